// The CLI's start-up, as a script calls it: `vgglab --help`, `vgglab runs --json` on a folder of
// 1,000 runs and `vgglab show N --json`, each run 7 times as a fresh process; the median and the
// fastest wall time are printed, for the bundle (out/main/cli.js, built by `npm run build`) and for
// the TypeScript through tsx (VGGLAB_TSX_CLI=1, what runs while sources are newer than the build).
// Run: npm run bench:cli. A benchmark, not a test: it prints, it asserts nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/main/store/db';
import { insertMetrics } from '../src/main/store/metrics';
import { insertRun, markFinished } from '../src/main/store/runs';
import { thisProcess } from '../src/main/services/ownership';
import { TrainParams, CONFIG_NAMES } from '../src/shared/domain';
import { builtFile } from '../src/main/thread-boot.mjs';

const REPEATS = 7;
const RUNS = 1000;
const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'vgglab.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-cli-bench-'));

const db = openDatabase(dir);
db.transaction(() => {
  for (let i = 0; i < RUNS; i++) {
    const id = insertRun(db, TrainParams.parse({ config: CONFIG_NAMES[i % 6], seed: i, experiment: `exp ${i % 10}` }), '0.1.0', thisProcess());
    insertMetrics(db, id, Array.from({ length: 10 }, (_, e) => ({ step: (e + 1) * 100, epoch: e + 1, split: 'val' as const, name: 'top1', value: 0.5 + e / 30 })));
    markFinished(db, id, 'completed', null, null);
  }
})();
db.close();

function time(args: string[], env: NodeJS.ProcessEnv): { median: number; best: number } {
  const secs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, '--data-dir', dir, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
    secs.push((performance.now() - t0) / 1000);
    if (r.status !== 0) throw new Error(`vgglab ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  secs.sort((a, b) => a - b);
  return { median: secs[REPEATS >> 1]!, best: secs[0]! };
}

const bundled = builtFile('cli.js') !== null;
console.log(`CLI start-up on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${RUNS} runs in the folder, ${REPEATS} runs each; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (!bundled) console.log('the bundle is missing or older than the sources: run `npm run build` first; only the tsx figures follow');
for (const [label, env] of [...(bundled ? [['bundle', {}] as const] : []), ['tsx', { VGGLAB_TSX_CLI: '1' }] as const]) {
  for (const args of [['--help'], ['runs', '--json'], ['show', String(RUNS / 2), '--json']]) {
    const t = time(args, env);
    console.log(`${label.padEnd(6)} vgglab ${args.join(' ').padEnd(18)} median ${t.median.toFixed(3)} s, fastest ${t.best.toFixed(3)} s`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
