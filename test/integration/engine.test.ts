// The engine's promises, each checked on real runs: resume after a kill, determinism,
// backend parity, divergence, schedules, warm start, no tensor leaks.
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/main/app';
import { tsxWorkerFactory } from '../../src/main/services/scheduler';
import { listBackends, probeWebGpu } from '../../src/main/training/backends';
import { readCheckpoint } from '../../src/main/training/checkpoint';
import { killed as sigkilled, vgglab, waitInDb } from '../cli-process';
import { skipNote, tempDir, startRun, startChain } from '../helpers';
import { until } from '../wait';
import { need } from '../require';

const tiny = { config: 'A' as const, inputSize: 32, width: 0.0625, batch: 16, trainSamples: 64, valSamples: 32 };
// The pure-JavaScript backend is slow (~0.1 s an image): its comparisons run on two steps of 8
// images, the fewest that show a sequence.
const tinyCpu = { ...tiny, batch: 8, trainSamples: 16, valSamples: 8, backend: 'cpu' as const };
let app: App;
let dataDir: string;
const backends = await listBackends();
const native = backends.find((b) => b.name === 'native')!;
const hasNative = !need('native', native.available ? null : native.reason);
// The premise of the buffer-limit test: a WebGPU adapter whose largest buffer is below VGG-16's fc1
// at 224 px (25088 × 4096 floats, 392 MiB), as on Mesa's software adapter (128 MiB). A hardware
// adapter with a larger limit would train it, so the test does not apply there.
const FC1_BYTES = 25088 * 4096 * 4;
const probe = await probeWebGpu();
const webGpuLimit = typeof probe === 'string' ? null : Math.min(probe.adapter.limits.maxBufferSize, probe.adapter.limits.maxStorageBufferBindingSize);
const smallWebGpu =
  webGpuLimit === null ? need('webgpu', `no WebGPU adapter (${probe as string})`) : webGpuLimit >= FC1_BYTES ? `this WebGPU adapter takes buffers of ${(webGpuLimit / 2 ** 20).toFixed(0)} MiB, enough for the 392 MiB weight` : null;

beforeAll(async () => {
  dataDir = tempDir();
  app = createApp({ dataDir });
});
afterAll(() => app.close());

const rows = <T>(sql: string, ...args: unknown[]) => app.db.prepare(sql).all(...args) as T[];
const losses = (id: number) => rows<{ value: number }>("SELECT value FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' ORDER BY step", id).map((r) => r.value);

async function trainToEnd(params: Record<string, unknown>) {
  const { id } = await startRun(app, params as never);
  const status = await app.runs.waitFor(id);
  return { id, status, run: app.runs.get(id) };
}

describe('engine', () => {
  it('same seed on the cpu backend gives the same loss sequence to the last digit', async () => {
    const a = await trainToEnd({ ...tinyCpu, epochs: 1, seed: 11 });
    const b = await trainToEnd({ ...tinyCpu, epochs: 1, seed: 11 });
    expect(a.status).toBe('completed');
    expect(losses(a.id)).toHaveLength(2);
    expect(losses(b.id)).toEqual(losses(a.id));
    const c = await trainToEnd({ ...tinyCpu, epochs: 1, seed: 12 });
    expect(losses(c.id)).not.toEqual(losses(a.id));
  });

  it.skipIf(!hasNative)(`native and cpu backends give matching loss curves${skipNote(hasNative ? null : `native backend unavailable: ${native.reason}`)}`, async () => {
    const cpu = await trainToEnd({ ...tinyCpu, epochs: 1, seed: 11 });
    const nat = await trainToEnd({ ...tinyCpu, epochs: 1, backend: 'native', seed: 11 });
    expect(nat.run.backend).toBe('native');
    const [x, y] = [losses(cpu.id), losses(nat.id)];
    // Both recorded every step: a comparison of two empty lists would prove nothing.
    expect(x).toHaveLength(2);
    expect(y).toHaveLength(2);
    x.forEach((v, i) => expect(Math.abs(y[i]! - v) / Math.abs(v)).toBeLessThan(1e-3));
  });

  it('an absurd learning rate ends the run as diverged, naming the step and rate', async () => {
    const r = await trainToEnd({ ...tiny, epochs: 2, lr: 5, seed: 2 });
    expect(r.status).toBe('diverged');
    expect(r.run.error).toMatch(/loss became (NaN|Infinity|-Infinity) at step \d+ .*learning rate 5/);
  });

  it('a step schedule divides the rate by 10 at the named epochs', async () => {
    const r = await trainToEnd({ ...tiny, epochs: 3, schedule: 'step:1,2' });
    expect(r.run.summary!.lrDrops.map((d) => d.epoch)).toEqual([1, 2]);
    const lr = rows<{ value: number }>("SELECT value FROM metrics WHERE run_id = ? AND name = 'lr' ORDER BY epoch", r.id).map((x) => x.value);
    [0.01, 0.001, 0.0001].forEach((want, i) => expect(lr[i]).toBeCloseTo(want, 10));
  });

  it('keeps the number of live tensors flat across epochs', async () => {
    const r = await trainToEnd({ ...tiny, epochs: 4, schedule: 'none' });
    const counts = rows<{ value: number }>("SELECT value FROM metrics WHERE run_id = ? AND name = 'num_tensors' ORDER BY epoch", r.id).map((x) => x.value);
    expect(counts, JSON.stringify(counts)).toHaveLength(4);
    expect(new Set(counts.slice(1)).size, JSON.stringify(counts)).toBe(1);
  });

  it('warm-starts B from a finished A: exactly the paper’s layers are copied', async () => {
    const a = await trainToEnd({ ...tiny, epochs: 1 });
    const b = await trainToEnd({ ...tiny, config: 'B', epochs: 1, init: `from:${a.id}`, lr: 1e-9, momentum: 0, weightDecay: 0 });
    expect(b.status).toBe('completed');
    const ev = app.runs.events(b.id).find((e) => e.kind === 'warm_start')!;
    expect(ev.payload.layers).toEqual(['block1_conv1', 'block2_conv1', 'block3_conv1', 'block3_conv2', 'fc1', 'fc2', 'predictions'].flatMap((l) => [`${l}/kernel`, `${l}/bias`]));
    // With a negligible learning rate the copied weights survive the epoch unchanged (to float precision).
    const [ca, cb] = [a, b].map((r) => readCheckpoint(app.db.prepare('SELECT path FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT 1').pluck().get(r.id) as string));
    const w = (ck: typeof ca, name: string) => ck!.weights.find((t) => t.name === name)!.data;
    for (const name of ['block1_conv1/kernel', 'block3_conv2/kernel', 'fc1/kernel', 'predictions/bias']) {
      const [x, y] = [w(ca, name), w(cb, name)];
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
      expect(worst, name).toBeLessThan(1e-6);
    }
    // A layer the warm start leaves random differs from the source by far more than the update
    // (lr 1e-9) could move it: its own fresh initialisation.
    // (block4/5 exist in both A and B; the paper copies only the first four conv layers.)
    for (const name of ['block4_conv1/kernel', 'block5_conv2/kernel']) {
      const [x, y] = [w(ca, name), w(cb, name)];
      expect(y).toHaveLength(x.length);
      let diff = 0;
      for (let i = 0; i < x.length; i++) diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      expect(diff, name).toBeGreaterThan(1e-3);
    }
  });

  it('multi-scale training: a net starts from a finished run of its own configuration, every layer copied', async () => {
    const a = await trainToEnd({ ...tiny, config: 'B', epochs: 1 });
    const b = await trainToEnd({ ...tiny, config: 'B', epochs: 1, scale: '40', init: `from:${a.id}`, lr: 1e-9, momentum: 0, weightDecay: 0 });
    expect(b.status, b.run.error ?? '').toBe('completed');
    const ev = app.runs.events(b.id).find((e) => e.kind === 'warm_start')!;
    const all = ['block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2', 'block3_conv1', 'block3_conv2', 'block4_conv1', 'block4_conv2', 'block5_conv1', 'block5_conv2', 'fc1', 'fc2', 'predictions'];
    expect(ev.payload.layers).toEqual(all.flatMap((l) => [`${l}/kernel`, `${l}/bias`]));
    const [ca, cb] = [a, b].map((r) => readCheckpoint(app.db.prepare('SELECT path FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT 1').pluck().get(r.id) as string));
    for (const t of ca!.weights) {
      const other = cb!.weights.find((x) => x.name === t.name)!;
      let worst = 0;
      for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(t.data[i]! - other.data[i]!));
      expect(worst, t.name).toBeLessThan(1e-6);
    }
    // Neither A into a shallower net nor a deeper net into another is a warm start the paper made.
    const before = app.runs.list().length;
    await expect(startRun(app, { ...tiny, config: 'C', epochs: 1, init: `from:${a.id}` })).rejects.toThrow(/a warm start takes a trained configuration A .* or a finished run of the same configuration .*; this is C from B/);
    expect(app.runs.list().length).toBe(before);
  });

  it('the layers a warm start leaves random start from the chosen initialisation (--init-rest)', async () => {
    const a = app.runs.list().find((r) => r.config === 'A' && r.status === 'completed')!;
    const std = async (initRest: 'glorot' | 'paper') => {
      const r = await trainToEnd({ ...tiny, config: 'B', epochs: 1, init: `from:${a.id}`, initRest, lr: 1e-9, momentum: 0, weightDecay: 0 });
      const ck = readCheckpoint(app.db.prepare('SELECT path FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT 1').pluck().get(r.id) as string);
      const k = ck.weights.find((t) => t.name === 'block4_conv1/kernel')!.data;
      const mean = k.reduce((x, y) => x + y, 0) / k.length;
      return Math.sqrt(k.reduce((x, y) => x + (y - mean) ** 2, 0) / k.length);
    };
    // N(0, 0.01²) against Glorot's uniform, whose std for this 3×3×16×32 kernel is sqrt(6/(144+288))/√3 ≈ 0.068;
    // with 4,608 weights the sample std is within a few per cent of either.
    expect(await std('paper')).toBeLessThan(0.02);
    expect(await std('glorot')).toBeGreaterThan(0.05);
  });

  it('refuses a warm start whose shapes differ, naming the layer and both shapes, before recording anything', async () => {
    const before = app.runs.list().length;
    const a = app.runs.list().find((r) => r.config === 'A' && r.status === 'completed')!;
    await expect(startRun(app, { ...tiny, config: 'D', width: 0.125, epochs: 1, init: `from:${a.id}` })).rejects.toThrow(/layer block1_conv1 has shape \[3, 3, 3, 4\] in run \d+ but \[3, 3, 3, 8\] here/);
    expect(app.runs.list().length).toBe(before);
  });

  it('resumes a killed run from its last checkpoint: epochs and steps continue without gap or duplicate', async () => {
    const killedDir = tempDir();
    await createApp({ dataDir: killedDir }).close();
    // 20 epochs: after its second checkpoint 18 remain (144 steps, 18 validations and fsynced
    // checkpoints), against a database polled every 5 ms; the trainer's not having exited when it
    // was killed is asserted, not assumed.
    const child = vgglab(killedDir, ['train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '128', '--val-samples', '32', '--epochs', '20', '--schedule', 'none', '--json']);
    await waitInDb(killedDir, 'two checkpoints', (db) => (db.prepare('SELECT count(*) FROM checkpoints').pluck().get() as number) >= 2, { watch: { trainer: child.proc } });
    await sigkilled(child.proc);
    expect((await child.done).code, 'the trainer ended on its own before the kill').toBeNull();
    const again = createApp({ dataDir: killedDir });
    try {
      const [run] = again.runs.list();
      expect(run!.status).toBe('interrupted');
      const from = await again.runs.resume(run!.id);
      expect(from.fromEpoch).toBeGreaterThanOrEqual(2);
      expect(await again.runs.waitFor(run!.id)).toBe('completed');
      const steps = again.db.prepare("SELECT step FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' ORDER BY step").pluck().all(run!.id) as number[];
      expect(steps).toEqual(Array.from({ length: 20 * 8 }, (_, i) => i + 1));
      const epochs = again.db.prepare("SELECT epoch FROM metrics WHERE run_id = ? AND name = 'top1' AND split = 'val' ORDER BY step").pluck().all(run!.id) as number[];
      expect(epochs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(again.runs.events(run!.id).some((e) => e.kind === 'resume')).toBe(true);
      expect(again.db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
    } finally {
      await again.close();
    }
  });
});

describe('experiments', () => {
  it('runs the paper chain: A first, then B and D warm-started from that A, in order', async () => {
    const { ids } = await startChain(app, { ...tiny, epochs: 1 }, ['B', 'D']);
    expect(ids).toHaveLength(3);
    const statuses = await Promise.all(ids.map((id) => app.runs.waitFor(id)));
    expect(statuses).toEqual(['completed', 'completed', 'completed']);
    const [a, b, d] = ids.map((id) => app.runs.get(id));
    expect([a!.config, b!.config, d!.config]).toEqual(['A', 'B', 'D']);
    expect(b!.params.init).toBe(`from:${a!.id}`);
    expect(app.runs.events(d!.id).find((e) => e.kind === 'warm_start')?.payload.fromRun).toBe(a!.id);
    // B started only after A had finished.
    expect(Date.parse(b!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a!.endedAt!));
    expect(new Set([a, b, d].map((r) => r!.experiment)).size).toBe(1);
  });
});

describe('failures', () => {
  it('an unwritable checkpoint folder fails the run cleanly and leaves the database intact', async () => {
    const { id } = await startRun(app, { ...tiny, epochs: 2 });
    // A file where the run's checkpoint folder belongs: every checkpoint write fails (even as root).
    const dir = path.join(dataDir, 'runs', String(id));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'checkpoints'), 'not a folder');
    expect(await app.runs.waitFor(id)).toBe('failed');
    expect(app.runs.get(id).error).toMatch(/ENOTDIR|not a directory|EEXIST/i);
    expect(app.db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
    // Metrics recorded before the failure are kept.
    expect(app.db.prepare("SELECT count(*) FROM metrics WHERE run_id = ? AND name = 'loss'").pluck().get(id)).toBeGreaterThan(0);
  });

  it.skipIf(Boolean(smallWebGpu))(`on webgpu, a weight larger than the adapter allows is refused before training, with the sizes${skipNote(smallWebGpu)}`, async () => {
    const r = await trainToEnd({ config: 'D', inputSize: 224, width: 1, classes: 1000, batch: 1, trainSamples: 2, valSamples: 2, epochs: 1, backend: 'webgpu' });
    expect(r.status).toBe('failed');
    expect(r.run.error).toMatch(/largest weight of this model \(392 MiB\) exceeds the device's buffer limit \(\d+ MiB\)/);
  });
});

describe('worker reuse', () => {
  it('a kept worker runs one run after another (as tfjs-node needs), stop included', async () => {
    let spawned = 0;
    const reuseApp = createApp({
      dataDir: tempDir(),
      reuseWorkers: new Set(['native', 'cpu', 'webgpu']),
      workerFactory: () => {
        spawned += 1;
        return tsxWorkerFactory();
      },
    });
    try {
      // All on one backend (cpu), so that the one kept worker serves all three runs.
      const a = await startRun(reuseApp, { ...tinyCpu, epochs: 1 });
      expect(await reuseApp.runs.waitFor(a.id)).toBe('completed');
      // No plateau schedule: it would end the run early.
      // Stopped once it trains (200 epochs: it cannot finish first); the trainer looks for a stop every
      // 8 steps, so its steps are small.
      const b = await startRun(reuseApp, { ...tinyCpu, batch: 2, epochs: 200, schedule: 'none' });
      await until(`run ${b.id}'s first step`, () => (reuseApp.db.prepare("SELECT count(*) FROM metrics WHERE run_id = ? AND name = 'loss'").pluck().get(b.id) as number) > 0);
      reuseApp.runs.stop(b.id);
      expect(await reuseApp.runs.waitFor(b.id)).toBe('stopped');
      const c = await startRun(reuseApp, { ...tinyCpu, epochs: 1, seed: 11 });
      expect(await reuseApp.runs.waitFor(c.id)).toBe('completed');
      expect(spawned).toBe(1);
      // The kept worker's third run is the same as a fresh worker's, to the last bit (cpu is
      // deterministic): nothing leaked from the runs before it.
      const fresh = await trainToEnd({ ...tinyCpu, epochs: 1, seed: 11 });
      const kept = reuseApp.db.prepare("SELECT value FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' ORDER BY step").pluck().all(c.id);
      expect(kept).toHaveLength(2);
      expect(kept).toEqual(losses(fresh.id));
    } finally {
      await reuseApp.close();
    }
  });
});

describe('more failures', () => {
  it('a model too large to allocate fails with an out-of-memory message that suggests what to change', async () => {
    const r = await trainToEnd({ config: 'A', inputSize: 1024, width: 4, batch: 1, trainSamples: 1, valSamples: 1, epochs: 1, backend: hasNative ? 'native' : 'cpu' });
    expect(r.status).toBe('failed');
    expect(r.run.error).toMatch(/out of memory: .*try a smaller batch size or width multiplier/);
  });

  it('a worker that dies fails its run with the error, and the next run still trains', async () => {
    let first = true;
    const crashy = createApp({
      dataDir: tempDir(),
      workerFactory: () => {
        if (!first) return tsxWorkerFactory();
        first = false;
        return new Worker('process.exit(3)', { eval: true });
      },
    });
    try {
      const a = await startRun(crashy, { ...tiny, epochs: 1 });
      const b = await startRun(crashy, { ...tiny, epochs: 1 });
      expect(await crashy.runs.waitFor(a.id)).toBe('failed');
      expect(crashy.runs.get(a.id).error).toMatch(/training worker exited unexpectedly \(code 3\)/);
      expect(await crashy.runs.waitFor(b.id)).toBe('completed');
    } finally {
      await crashy.close();
    }
  });
});

describe('scale jittering', () => {
  it('trains with S drawn per image from [SMIN, SMAX] (images stored once at SMAX) and evaluates at {SMIN, middle, SMAX}', async () => {
    const r = await trainToEnd({ ...tiny, epochs: 2, scale: '32:48' });
    expect(r.status, r.run.error ?? '').toBe('completed');
    expect(r.run.summary!.data.side).toBe(48);
    const e = await app.evaluations.evaluate([r.id], 'center');
    expect(e.scales).toEqual([32, 40, 48]);
  });

  it('refuses SMAX below SMIN and S below the input size before recording, naming the field (each front end phrases it: --scale, "Training scale S")', async () => {
    const before = app.runs.list().length;
    await expect(startRun(app, { ...tiny, epochs: 1, scale: '48:32' })).rejects.toMatchObject({ issues: [{ field: 'scale', message: 'SMAX (32) must not be below SMIN (48)' }] });
    await expect(startRun(app, { ...tiny, epochs: 1, scale: '16' })).rejects.toMatchObject({ issues: [{ field: 'scale', message: 'S (16) must be at least the input size (32)' }] });
    expect(app.runs.list().length).toBe(before);
  });
});
