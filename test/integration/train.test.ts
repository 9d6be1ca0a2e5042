// A tiny VGG-A trains in a real worker thread against a real SQLite file.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/main/services/app';
import { tempDir } from '../helpers';

let app: App;
let dataDir: string;

beforeAll(() => {
  dataDir = tempDir();
  app = createApp({ dataDir });
});
afterAll(() => app.close());

const count = (sql: string, ...args: unknown[]) => (app.db.prepare(sql).get(...args) as { n: number }).n;

describe('training in a worker', () => {
  it('learns the synthetic dataset well above chance and records every metric', async () => {
    const { id } = await app.runs.start({
      config: 'A',
      inputSize: 32,
      width: 0.125,
      epochs: 6,
      batch: 32,
      trainSamples: 1024,
      valSamples: 256,
      seed: 1,
    });
    expect(await app.runs.waitFor(id)).toBe('completed');
    const run = app.runs.get(id);
    expect(run.backend).toBeTruthy();
    expect(run.device).toBeTruthy();
    // 10 classes: chance is 10%.
    expect(run.summary!.val.top1!).toBeGreaterThan(0.35);
    expect(run.summary!.data).toMatchObject({ train: 1024, val: 256, classes: 10, skipped: 0 });
    const steps = Math.ceil(1024 / 32) * run.summary!.epochs;
    expect(count("SELECT count(*) AS n FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train'", id)).toBe(steps);
    expect(count("SELECT count(*) AS n FROM metrics WHERE run_id = ? AND name = 'top1' AND split = 'val'", id)).toBe(run.summary!.epochs);
    expect(run.epoch).toBe(run.summary!.epochs);
    // The share of step time spent preparing data is recorded every epoch.
    const wait = app.db.prepare("SELECT value FROM metrics WHERE run_id = ? AND name = 'data_wait'").pluck().all(id) as number[];
    expect(wait).toHaveLength(run.summary!.epochs);
    for (const w of wait) expect(w).toBeGreaterThanOrEqual(0), expect(w).toBeLessThan(1);
  });

  it('records an lr_drop event when validation accuracy plateaus', async () => {
    // minDelta 1 makes every epoch after the first "no improvement": the drop is certain after epoch 2.
    const { id } = await app.runs.start({ config: 'A', inputSize: 32, width: 0.0625, epochs: 3, batch: 32, trainSamples: 64, valSamples: 32, patience: 1, maxDrops: 1, minDelta: 1 });
    expect(await app.runs.waitFor(id)).toBe('completed');
    const drops = app.runs.events(id).filter((e) => e.kind === 'lr_drop');
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ epoch: 2, payload: { from: 0.01 } });
    expect(drops[0]!.payload.to as number).toBeCloseTo(0.001, 10);
    // After the last drop and one more patience without improvement, training stops (the paper's rule).
    expect(app.runs.events(id).some((e) => e.kind === 'early_stop')).toBe(true);
    const lr = app.db.prepare("SELECT epoch, value FROM metrics WHERE run_id = ? AND name = 'lr' ORDER BY epoch").all(id) as { epoch: number; value: number }[];
    expect(lr.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(lr[2]!.value).toBeCloseTo(0.001, 10);
  });

  it('keeps everything in the SQLite file after the app closes', async () => {
    await app.close();
    const db = new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n).toBe(2);
    expect((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok');
    db.close();
    app = createApp({ dataDir });
    expect(app.runs.list().map((r) => r.status)).toEqual(['completed', 'completed']);
  });

  it('fails a run at once when a forced backend is missing, naming what to install', async () => {
    const { id } = await app.runs.start({ config: 'A', backend: 'tensorflow-gpu', epochs: 1 });
    expect(await app.runs.waitFor(id)).toBe('failed');
    expect(app.runs.get(id).error).toMatch(/tfjs-node-gpu/);
  });
});
