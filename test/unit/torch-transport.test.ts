// How batches reach the torch engine: through a shared-memory file, slot by slot, with more steps in
// flight than there are slots (the rest cross the pipe), give the same losses as through the pipe
// alone; the engine has the file mapped while its name is gone, and nothing is left behind. The
// memory layout (NCHW or channels_last) is measured at the first step and said once; a layout
// pinned beforehand (a resumed run's) is kept and said, not measured again.
import fs from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { torch, startTorchEngine } from '../../src/main/training/backends/torch';
import type { TorchEngine } from '../../src/main/training/backends/torch/engine';
import { SLOTS } from '../../src/main/training/backends/torch/batch-slots';
import { createTorchSgd } from '../../src/main/training/backends/torch/sgd';
import { buildVgg, type BuildOptions } from '../../src/main/vgg/model';
import { gaussian, mulberry32 } from '../../src/main/data/rng';
import { skipNote } from '../helpers';
import { need } from '../require';

const probe = await torch.probe();
const reason = need('torch', probe.available ? null : probe.reason);
const engines: TorchEngine[] = [];
afterAll(async () => {
  engines.forEach((e) => e.close());
  // Closed means gone: each child exits on its pipe's end (or is killed 2 s later).
  const alive = () => engines.filter((e) => e.pid && fs.existsSync(`/proc/${e.pid}`)).length;
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
});

const ours = () => (fs.existsSync('/dev/shm') ? fs.readdirSync('/dev/shm').filter((f) => f.startsWith(`vgglab-torch-${process.pid}-`)) : []);

async function engineWith(shm: boolean): Promise<TorchEngine> {
  const was = process.env.VGGLAB_TORCH_SHM;
  process.env.VGGLAB_TORCH_SHM = shm ? '1' : '0';
  try {
    const { engine } = await startTorchEngine();
    engines.push(engine);
    return engine;
  } finally {
    if (was === undefined) delete process.env.VGGLAB_TORCH_SHM;
    else process.env.VGGLAB_TORCH_SHM = was;
  }
}

// Batches of 24 at 32 px: 288 KiB each, above the size that takes a slot.
const shape: BuildOptions = { config: 'A', inputSize: 32, width: 0.0625, classes: 10, dropout: 0, fcWidth: 32 };
const BATCH = 24;
const STEPS = 3 * SLOTS;

/** STEPS steps sent without waiting (more in flight than there are slots), each on a batch of its own. */
async function losses(engine: TorchEngine, layout: 'nchw' | 'channels_last' | null, reported: string[]): Promise<number[]> {
  await tf.setBackend('cpu');
  const model = buildVgg({ ...shape, seed: 3 });
  const sgd = createTorchSgd(tf, model, shape.classes, { momentum: 0.9, weightDecay: 5e-4, onLayout: (l, note) => reported.push(`${l}: ${note}`) }, engine);
  if (layout) sgd.pinLayout!(layout);
  const rng = mulberry32(11);
  const pending: Promise<[number, number]>[] = [];
  for (let s = 0; s < STEPS; s++) {
    // The first answered before the rest are sent: the engine has the slots mapped by then.
    if (s === 1) await pending[0];
    const n = BATCH * 32 * 32 * 3;
    const x = tf.tensor4d(Float32Array.from({ length: n }, () => 40 * gaussian(rng)), [BATCH, 32, 32, 3]);
    const y = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => (i + s) % shape.classes), 'int32');
    const out = sgd.step(x, y, 0.01);
    if (!('later' in out)) throw new Error('the torch step answers later');
    pending.push(out.later);
    // The step has read (copied) the batch when it returns: released at once, as the trainer does.
    tf.dispose([x, y]);
  }
  const got = (await Promise.all(pending)).map(([loss]) => loss);
  sgd.dispose();
  model.dispose();
  return got;
}

describe.skipIf(!!reason)(`batches to the torch engine${skipNote(reason)}`, () => {
  it.skipIf(!fs.existsSync('/dev/shm'))('through shared-memory slots: the same losses as through the pipe, the file mapped but unnamed, nothing left behind', async () => {
    const bySlots = await engineWith(true);
    const byPipe = await engineWith(false);
    const reported: string[] = [];
    // One layout for both, so that the two differ only in how the batches travel.
    const a = await losses(bySlots, 'channels_last', reported);
    const b = await losses(byPipe, 'channels_last', reported);
    // The same arithmetic on the same bytes in one process (same threads): equal to rounding noise at
    // most; a batch read from a wrong or overwritten slot changes a loss in its first digits.
    a.forEach((l, i) => expect(Math.abs(l - b[i]!) / Math.abs(b[i]!), `loss at step ${i + 1}`).toBeLessThan(1e-5));
    expect(new Set(a).size, 'every step had a batch of its own').toBe(STEPS);
    // Slots taken until all were in flight, the rest by the pipe (then slots again as answers came).
    expect(bySlots.slotted).toBeGreaterThanOrEqual(SLOTS);
    expect(bySlots.slotted).toBeLessThan(STEPS);
    expect(byPipe.slotted).toBe(0);
    const maps = fs.readFileSync(`/proc/${bySlots.pid}/maps`, 'utf8');
    expect(maps, 'the engine maps the batch file').toMatch(/vgglab-torch-\d+-[\w-]+ \(deleted\)/);
    expect(fs.readFileSync(`/proc/${byPipe.pid}/maps`, 'utf8')).not.toMatch(/vgglab-torch-/);
    expect(ours(), 'the file is unlinked once mapped').toEqual([]);
    expect(reported, 'a pinned layout is said, not measured').toEqual(['channels_last: torch memory layout: channels_last (kept from the checkpoint)', 'channels_last: torch memory layout: channels_last (kept from the checkpoint)']);
  });

  it.skipIf(!fs.existsSync('/dev/shm'))('a slot that cannot be written (tmpfs full, as a container\'s small /dev/shm may be): that batch and the rest take the pipe, the losses unchanged', async () => {
    const bySlots = await engineWith(true);
    const byPipe = await engineWith(false);
    const writeSync = fs.writeSync;
    // The fourth write into the file fails as a full tmpfs fails it.
    let writes = 0;
    const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((...args: unknown[]) => {
      // A slot's write: a buffer at a position (nothing else here writes at one).
      if (typeof args[4] === 'number' && ++writes === 4) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (writeSync as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync);
    try {
      const a = await losses(bySlots, 'channels_last', []);
      const b = await losses(byPipe, 'channels_last', []);
      a.forEach((l, i) => expect(Math.abs(l - b[i]!) / Math.abs(b[i]!), `loss at step ${i + 1}`).toBeLessThan(1e-5));
      expect(writes, 'no write tried after the failed one').toBe(4);
      expect(bySlots.slotted).toBe(3);
    } finally {
      spy.mockRestore();
    }
  });

  it('the memory layout is measured at the first step and said once', async () => {
    const engine = await engineWith(true);
    const reported: string[] = [];
    await losses(engine, null, reported);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/^(nchw|channels_last): torch memory layout: (NCHW|channels_last) \(measured on the first batch: NCHW [\d.e+]+, channels_last [\d.e+]+ img\/s/);
    engine.close();
    expect(ours()).toEqual([]);
  });
});
