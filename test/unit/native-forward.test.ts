// Evaluation's whole-network native forward pass (one kernel per batch) against TF.js layers on the
// pure-JS CPU backend: the same logits for crops, the same score maps for whole images (dense).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { toFullyConvolutional } from '../../src/main/evaluation/dense';
import { evaluationForward, layersForward } from '../../src/main/evaluation/forward';
import { buildVgg, type BuildOptions } from '../../src/main/vgg/model';
import { mulberry32, gaussian } from '../../src/main/data/rng';
import { worstRelative } from '../helpers';
import { registerCountedNative } from '../addon';
import { need } from '../require';

const counted = registerCountedNative(tf);
const { calls } = counted;
const reason = need('native', counted.reason);
const passes = () => calls.vggForward ?? 0;

function images(n: number, h: number, w: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n * h * w * 3 }, () => 40 * gaussian(rng));
}

/** Logits of crops and score maps of whole images from a fresh model (seeded) on `backend`. */
async function outputs(backend: string, shape: BuildOptions, crops: number, whole: [number, number][]): Promise<{ route: string; out: { shape: number[]; data: Float32Array }[] }> {
  await tf.setBackend(backend);
  const model = buildVgg({ ...shape, seed: 3 });
  const forward = backend === 'cpu' ? layersForward(model, () => toFullyConvolutional(tf, model)) : evaluationForward(tf, model);
  const s = shape.inputSize;
  const results: tf.Tensor[] = [await forward.crops(tf.tensor4d(images(crops, s, s, 1), [crops, s, s, 3]))];
  for (const [i, [h, w]] of whole.entries()) results.push(await forward.dense(tf.tensor4d(images(2, h, w, 2 + i), [2, h, w, 3])));
  const out = await Promise.all(results.map(async (t) => ({ shape: t.shape, data: (await t.data()) as Float32Array })));
  tf.dispose(results);
  model.dispose();
  return { route: forward.route, out };
}


const cases: [string, BuildOptions, number][] = [
  // Dropout in the model: evaluation leaves it out, as TF.js's predict does.
  ['A with dropout', { config: 'A', inputSize: 32, width: 0.125, classes: 10, dropout: 0.5, fcWidth: 64 }, 5],
  ['A-LRN', { config: 'A-LRN', inputSize: 32, width: 0.125, classes: 5, dropout: 0 }, 3],
  ['C (1×1 convolutions), one crop', { config: 'C', inputSize: 32, width: 0.125, classes: 4, dropout: 0 }, 1],
  ['B at 40 px (pooling with a remainder)', { config: 'B', inputSize: 40, width: 0.125, classes: 3, dropout: 0 }, 2],
];

describe.skipIf(Boolean(reason))(`the whole-network native forward pass${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it.each(cases)('%s: the logits and score maps of TF.js layers on the CPU backend', async (_name, shape, crops) => {
    const s = shape.inputSize;
    // The training size itself, a larger square and a non-square image, all as whole images.
    const whole: [number, number][] = [[s, s], [2 * s, 2 * s], [s + 8, 2 * s]];
    const want = await outputs('cpu', shape, crops, whole);
    const before = passes();
    const got = await outputs('native', shape, crops, whole);
    expect(got.route).toBe('whole-network native kernel');
    expect(passes() - before).toBe(1 + whole.length);
    got.out.forEach((o, i) => {
      expect(o.shape, `output ${i}`).toEqual(want.out[i]!.shape);
      // The same arithmetic in another order (oneDNN/BLAS vs TF.js's loops) differs by ~1e-6 of the
      // largest logit on any CPU; a wrong layer, weight or offset moves logits by 1e-2 or more.
      expect(worstRelative(o.data, want.out[i]!.data), `output ${i}`).toBeLessThan(1e-4);
    });
    // Larger images give larger score maps: 2×2 for twice the size, 1×2 for twice the width.
    expect(got.out[1]!.shape.slice(1, 3)).toEqual([1, 1]);
    expect(got.out[2]!.shape.slice(1, 3)).toEqual([2, 2]);
    expect(got.out[3]!.shape.slice(1, 3)).toEqual([1, 2]);
  });

  it('crops of another size than the network was built for are refused, saying what does not fit', async () => {
    await tf.setBackend('native');
    const model = buildVgg({ config: 'A', inputSize: 32, width: 0.125, classes: 10, fcWidth: 16, seed: 1 });
    const forward = evaluationForward(tf, model);
    expect(() => forward.crops(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D)).toThrow(/a 1×1×256 feature map does not fit a dense layer of 64 inputs/);
    // Whole images smaller than the training size have no score map.
    expect(() => forward.dense(tf.zeros([1, 16, 16, 3]) as tf.Tensor4D)).toThrow(/smaller than the pooling window|does not fit/);
    model.dispose();
  });

  it('a model outside the plan is evaluated through TF.js layers', async () => {
    await tf.setBackend('native');
    const model = buildVgg({ config: 'A', inputSize: 32, width: 0.125, classes: 10, portable: true, seed: 1 });
    const forward = evaluationForward(tf, model);
    expect(forward.route).toBe('TF.js layers');
    const before = passes();
    const logits = await forward.crops(tf.zeros([2, 32, 32, 3]) as tf.Tensor4D);
    expect(logits.shape).toEqual([2, 10]);
    expect(passes()).toBe(before);
    model.dispose();
  });
});
