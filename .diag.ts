import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { createApp } from './src/main/services/app';
import { insertMetrics, metricSeries } from './src/main/store/metrics';
import { insertRun, markFinished, listRuns } from './src/main/store/runs';
import { TrainParams, CONFIG_NAMES, type MetricPoint } from './src/shared/domain';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'diag-'));
const app = createApp({ dataDir, concurrency: 0 });
app.db.transaction(() => { for (let i = 0; i < 10000; i++) { const id = insertRun(app.db, TrainParams.parse({ config: CONFIG_NAMES[i % 6], seed: i, epochs: 10 }), 'b'); markFinished(app.db, id, 'completed', null, null); } })();
const big = insertRun(app.db, TrainParams.parse({ config: 'D', epochs: 1000 }), 'b');
const ts = performance.now();
for (let from = 0; from < 994000; from += 100000) { const pts: MetricPoint[] = []; for (let s = from + 1; s <= Math.min(994000, from + 100000); s++) pts.push({ step: s, epoch: 1, split: 'train', name: 'loss', value: Math.sin(s) }); insertMetrics(app.db, big, pts); }
console.log("seed metrics ms", (performance.now() - ts).toFixed(0));
const t = (label: string, f: () => unknown) => { const t0 = performance.now(); const r = f(); console.log(label, (performance.now() - t0).toFixed(1), 'ms'); return r; };
for (let k = 0; k < 2; k++) {
  t('listRuns 100', () => listRuns(app.db, 100));
  const all = t('listRuns all', () => listRuns(app.db)) as unknown[];
  t('JSON all', () => JSON.stringify(all).length);
  t('series loss 2000 buckets', () => metricSeries(app.db, big, 'train', 'loss', 2000));
  t('series val top1', () => metricSeries(app.db, big, 'val', 'top1', 100000));
}
console.log('json size', JSON.stringify(listRuns(app.db)).length);
t('js pass iterate raw', () => { let n = 0; let mn = Infinity; for (const r of app.db.prepare("SELECT step, value FROM metrics WHERE run_id = ? AND split = 'train' AND name = 'loss' ORDER BY step").raw(true).iterate(big) as Iterable<[number, number]>) { n++; if (r[1] < mn) mn = r[1]; } return n; });
t('js pass all raw', () => (app.db.prepare("SELECT step, value FROM metrics WHERE run_id = ? AND split = 'train' AND name = 'loss' ORDER BY step").raw(true).all(big) as unknown[]).length);
t('count', () => app.db.prepare("SELECT min(step), max(step), count(*) FROM metrics WHERE run_id = ? AND split = 'train' AND name = 'loss'").get(big));
t('sql min only', () => app.db.prepare("SELECT step, min(value) FROM metrics WHERE run_id = ? AND split = 'train' AND name = 'loss' GROUP BY step / 500").all(big).length);
