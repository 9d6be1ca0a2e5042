// The whole native training step (one kernel: forward, loss, backward, SGD) against TF.js's own
// op-by-op step on the pure-JS CPU backend: the same losses, hit counts, weights and momenta.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { stepPlan } from '../../src/main/training/backends/native/step-plan';
import { createSgd } from '../../src/main/training/sgd';
import { buildVgg, setDropoutStep, type BuildOptions } from '../../src/main/vgg/model';
import { mulberry32, gaussian } from '../../src/main/data/rng';
import { worstRelative } from '../helpers';
import { registerCountedNative } from '../addon';
import { need } from '../require';

const counted = registerCountedNative(tf);
const { calls } = counted;
const reason = need('native', counted.reason);
const wholeSteps = () => calls.vggStep ?? 0;

interface Trace {
  losses: number[];
  correct: number[];
  weights: Float32Array[];
  slots: Float32Array[];
}

/** `steps` SGD steps of a fresh model (seeded) on `backend`, on the same batches every time. */
async function train(backend: string, shape: BuildOptions, batch: number, steps: number): Promise<Trace> {
  await tf.setBackend(backend);
  const rng = mulberry32(7);
  const model = buildVgg({ ...shape, seed: 3 });
  // A large weight decay, so that decaying what must not decay (biases) shows beyond rounding.
  const sgd = createSgd(tf, model, shape.classes, { momentum: 0.9, weightDecay: 0.5 });
  const trace: Trace = { losses: [], correct: [], weights: [], slots: [] };
  for (let s = 0; s < steps; s++) {
    const n = batch * shape.inputSize * shape.inputSize * 3;
    const x = tf.tensor4d(Float32Array.from({ length: n }, () => 40 * gaussian(rng)), [batch, shape.inputSize, shape.inputSize, 3]);
    const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => (i + s) % shape.classes), 'int32');
    setDropoutStep(model, s);
    const { loss, correct } = sgd.step(x, y, 0.01);
    trace.losses.push((await loss.data())[0]!);
    trace.correct.push((await correct.data())[0]!);
    tf.dispose([x, y, loss, correct]);
  }
  trace.weights = (await sgd.exportWeights()).map((r) => Float32Array.from(r.data));
  trace.slots = (await sgd.exportSlots()).map((r) => Float32Array.from(r.data));
  sgd.dispose();
  model.dispose();
  return trace;
}


// The smallest width the app offers: TF.js's pure-JavaScript reference is the slow side, and what is
// compared (masks, decay, gradients through each kind of layer) does not depend on the width.
const cases: [string, BuildOptions, number][] = [
  ['A with dropout', { config: 'A', inputSize: 32, width: 0.0625, classes: 10, dropout: 0.5, fcWidth: 32 }, 4],
  ['A-LRN', { config: 'A-LRN', inputSize: 32, width: 0.0625, classes: 5, dropout: 0.5, fcWidth: 32 }, 3],
  ['C (1×1 convolutions), batch 1', { config: 'C', inputSize: 32, width: 0.0625, classes: 4, dropout: 0, fcWidth: 32 }, 1],
  ['B at 40 px (pooling with a remainder)', { config: 'B', inputSize: 40, width: 0.0625, classes: 3, dropout: 0.5, fcWidth: 32 }, 2],
];

describe.skipIf(Boolean(reason))(`the whole native training step${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it.each(cases)('%s: the same losses, hits, weights and momenta as TF.js on the CPU backend', async (_name, shape, batch) => {
    const before = wholeSteps();
    const want = await train('cpu', shape, batch, 3);
    expect(wholeSteps()).toBe(before);
    const got = await train('native', shape, batch, 3);
    // Every step of the native run went through the one kernel.
    expect(wholeSteps() - before).toBe(3);
    // Both runs do the same arithmetic in another order (oneDNN/BLAS vs TF.js's loops): after three
    // steps they differ by ~1e-6 of each array's magnitude on every CPU. A real fault (a wrong mask,
    // decay on a bias, a missed gradient) moves a value by 1e-3 or more; 1e-4 lies between.
    got.losses.forEach((l, i) => expect(Math.abs(l - want.losses[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want.losses[i]!))));
    expect(got.correct).toEqual(want.correct);
    got.weights.forEach((w, i) => expect(worstRelative(w, want.weights[i]!), `weight ${i}`).toBeLessThan(1e-4));
    got.slots.forEach((v, i) => expect(worstRelative(v, want.slots[i]!), `momentum ${i}`).toBeLessThan(1e-4));
  });

  it('a weight that became infinite makes the loss of its step NaN, so the run ends as diverged', async () => {
    await tf.setBackend('native');
    const model = buildVgg({ config: 'A', inputSize: 32, width: 0.0625, classes: 4, fcWidth: 16, seed: 1 });
    const sgd = createSgd(tf, model, 4, { momentum: 0.9, weightDecay: 5e-4 });
    // The last conv layer's kernel: ReLU and max-pooling after it may drop what it makes of an
    // infinity, so only the weight check can see the run has gone wrong.
    const kernel = model.getLayer('block5_conv2').getWeights()[0]!;
    const values = kernel.dataSync().slice();
    values[0] = Infinity;
    model.getLayer('block5_conv2').setWeights([tf.tensor(values, kernel.shape), model.getLayer('block5_conv2').getWeights()[1]!]);
    const before = wholeSteps();
    const { loss, correct } = sgd.step(tf.ones([2, 32, 32, 3]) as tf.Tensor4D, tf.tensor1d([0, 1], 'int32'), 0.01);
    expect(wholeSteps()).toBe(before + 1);
    expect(Number.isFinite((await loss.data())[0])).toBe(false);
    tf.dispose([loss, correct]);
    sgd.dispose();
    model.dispose();
  });

  it('a label outside the network\'s classes is refused, naming it, before anything is computed', async () => {
    await tf.setBackend('native');
    const model = buildVgg({ config: 'A', inputSize: 32, width: 0.0625, classes: 4, fcWidth: 16, seed: 1 });
    const sgd = createSgd(tf, model, 4, { momentum: 0.9, weightDecay: 5e-4 });
    const before = await sgd.exportWeights();
    expect(() => sgd.step(tf.ones([2, 32, 32, 3]) as tf.Tensor4D, tf.tensor1d([1, 4], 'int32'), 0.01)).toThrow(/label 4 of image 1 is outside the network's 4 classes \(0 to 3\)/);
    (await sgd.exportWeights()).forEach((w, i) => expect(w.data).toEqual(before[i]!.data));
    sgd.dispose();
    model.dispose();
  });

  it('a checkpoint reads the weights and momentum in place: their values, and no buffer of the step\'s pool lost', async () => {
    await tf.setBackend('native');
    const { pool } = await import('../../src/main/training/backends/native/kernels');
    const model = buildVgg({ config: 'A', inputSize: 32, width: 0.25, classes: 10, fcWidth: 128, seed: 2 });
    const sgd = createSgd(tf, model, 10, { momentum: 0.9, weightDecay: 5e-4 });
    const x = tf.randomNormal([4, 32, 32, 3], 0, 40, 'float32', 5) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    const steps = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const { loss, correct } = sgd.step(x, y, 0.01);
        await loss.data();
        tf.dispose([loss, correct]);
      }
    };
    await steps(3);
    // What is lent is what the model holds (exportWeights hands out copies' worth: read-out values).
    const lent = await sgd.lendState((w, v) => [...w, ...v].map((r) => Float32Array.from(r.data)));
    const read = [...(await sgd.exportWeights()), ...(await sgd.exportSlots())];
    expect(lent.length).toBe(read.length);
    lent.forEach((a, i) => expect(a).toEqual(read[i]!.data));
    // Read-out buffers leave the pool, so the steps after it allocate their successors once.
    await steps(3);
    const allocated = pool.allocated;
    await sgd.lendState((w, v) => [...w, ...v].reduce((sum, r) => sum + r.data[0]!, 0));
    await steps(3);
    // A lent buffer stays in the pool: the steps after a checkpoint reuse every buffer.
    expect(pool.allocated).toBe(allocated);
    tf.dispose([x, y]);
    sgd.dispose();
    model.dispose();
  });

  it('a model with a layer outside the plan trains op by op, and says which layer', async () => {
    await tf.setBackend('native');
    const shape: BuildOptions = { config: 'A', inputSize: 32, width: 0.125, classes: 10, portable: true };
    const model = buildVgg(shape);
    expect(stepPlan(model)).toMatch(/layer .*dropout.* \(Dropout\)/);
    const before = wholeSteps();
    const sgd = createSgd(tf, model, 10, { momentum: 0.9, weightDecay: 5e-4 });
    const { loss, correct } = sgd.step(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D, tf.tensor1d([1, 2], 'int32'), 0.01);
    expect(Number.isFinite((await loss.data())[0])).toBe(true);
    expect(wholeSteps()).toBe(before);
    tf.dispose([loss, correct]);
    sgd.dispose();
    model.dispose();
  });
});
