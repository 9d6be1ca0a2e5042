// A tiny VGG-A trains in a real worker thread against a real SQLite file.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/main/app';
import { listBackends } from '../../src/main/training/backends';
import { METRICS, metricKey } from '../../src/shared/metrics';
import { skipNote, tempDir, startRun } from '../helpers';

let app: App;
let dataDir: string;
const missing = (await listBackends()).find((b) => !b.available);
const HINTS: Record<string, RegExp> = { 'tensorflow-gpu': /tfjs-node-gpu/, tensorflow: /tfjs-node/, webgpu: /Vulkan/, native: /OpenBLAS/ };

beforeAll(() => {
  dataDir = tempDir();
  app = createApp({ dataDir });
});
afterAll(() => app.close());

const count = (sql: string, ...args: unknown[]) => (app.db.prepare(sql).get(...args) as { n: number }).n;

describe('training in a worker', () => {
  it('learns the synthetic dataset well above chance and records every metric', async () => {
    // A task this net learns with certainty, not by luck: four synthetic classes (orientation,
    // frequency and colour all differ) and a learning rate of 1e-3. At the paper's 1e-2 a BN-free
    // VGG on 0–255 inputs sometimes collapses to chance for whole epochs, depending on seed and BLAS
    // kernel; at 1e-3 every one of 8 seeds reached a best validation top-1 of 0.97–1.00 by epoch 10
    // (and 0.90 or more by epoch 9). The bar below, 0.6 against a chance level of 0.25, leaves a
    // margin of more than 0.35 to the worst of those, so a different summation order cannot cross it.
    const { id } = await startRun(app, {
      config: 'A',
      inputSize: 32,
      width: 0.125,
      classes: 4,
      epochs: 12,
      batch: 32,
      lr: 0.001,
      schedule: 'none',
      trainSamples: 512,
      valSamples: 256,
      seed: 1,
    });
    expect(await app.runs.waitFor(id)).toBe('completed');
    const run = app.runs.get(id);
    expect(run.backend).toBeTruthy();
    expect(run.device).toBeTruthy();
    const valTop1 = app.db.prepare("SELECT value FROM metrics WHERE run_id = ? AND name = 'top1' AND split = 'val' ORDER BY step").pluck().all(id) as number[];
    expect(valTop1).toHaveLength(12);
    expect(Math.max(...valTop1), JSON.stringify(valTop1)).toBeGreaterThan(0.6);
    // The best checkpoint records that best epoch's accuracy.
    expect(app.db.prepare("SELECT max(val_top1) FROM checkpoints WHERE run_id = ?").pluck().get(id)).toBe(Math.max(...valTop1));
    // The training loss falls: the last epoch's mean is below the first's (ln 4 ≈ 1.39 at chance).
    const epochLoss = app.db.prepare("SELECT value FROM metrics WHERE run_id = ? AND name = 'epoch_loss' ORDER BY step").pluck().all(id) as number[];
    expect(epochLoss.at(-1)!, JSON.stringify(epochLoss)).toBeLessThan(epochLoss[0]! * 0.75);
    expect(run.summary!.data).toMatchObject({ train: 512, val: 256, classes: 4, skipped: 0 });
    const steps = Math.ceil(512 / 32) * run.summary!.epochs;
    expect(count("SELECT count(*) AS n FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train'", id)).toBe(steps);
    expect(count("SELECT count(*) AS n FROM metrics WHERE run_id = ? AND name = 'top1' AND split = 'val'", id)).toBe(run.summary!.epochs);
    expect(run.epoch).toBe(run.summary!.epochs);
    // The share of step time spent preparing data is recorded every epoch.
    const wait = app.db.prepare("SELECT value FROM metrics WHERE run_id = ? AND name = 'data_wait'").pluck().all(id) as number[];
    expect(wait).toHaveLength(run.summary!.epochs);
    for (const w of wait) expect(w).toBeGreaterThanOrEqual(0), expect(w).toBeLessThan(1);
    // Every series recorded is one of the shared list (the run page and Compare draw from it), and every listed one is recorded.
    const recorded = app.db.prepare("SELECT DISTINCT split || '/' || name FROM metrics WHERE run_id = ? ORDER BY 1").pluck().all(id);
    expect(recorded).toEqual(METRICS.map(metricKey).sort());
  });

  it('records an lr_drop event when validation accuracy plateaus', async () => {
    // minDelta 1 makes every epoch after the first "no improvement": the drop is certain after epoch 2.
    const { id } = await startRun(app, { config: 'A', inputSize: 32, width: 0.0625, epochs: 3, batch: 32, trainSamples: 64, valSamples: 32, patience: 1, maxDrops: 1, minDelta: 1 });
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

  // The premise, checked: some optional backend must be missing on this machine (tfjs-node-gpu or
  // tfjs-node, when their download failed; webgpu without a Vulkan driver; native without OpenBLAS).
  it.skipIf(!missing)(`fails a run at once when a forced backend is missing, naming what to install${skipNote(missing ? null : 'every backend is installed here')}`, async () => {
    const { id } = await startRun(app, { config: 'A', backend: missing!.name, epochs: 1 });
    expect(await app.runs.waitFor(id)).toBe('failed');
    expect(app.runs.get(id).error).toContain(`backend '${missing!.name}' is not available`);
    expect(app.runs.get(id).error).toMatch(HINTS[missing!.name]!);
    expect(app.db.prepare('SELECT count(*) FROM metrics WHERE run_id = ?').pluck().get(id)).toBe(0);
  });
});
