import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildVgg } from '../../src/main/vgg/model';
import { toFullyConvolutional } from '../../src/main/evaluation/dense';
import { layersForward } from '../../src/main/evaluation/forward';
import { computeMetrics, rankOf } from '../../src/main/evaluation/metrics';
import { hits } from '../../src/main/training/sgd';
import { matchingPaperRows, paperScaleOf } from '../../src/shared/paper';
import { compareRows } from '../../src/main/services/compare';
import { PARAM_DEFAULTS, type EvaluationInfo, type RunDetail } from '../../src/shared/domain';
import { centreOnStride, gridOffsets, protocolPosteriors } from '../../src/main/evaluation/protocols';
import type { Split } from '../../src/main/data/types';
import { mulberry32, gaussian } from '../../src/main/data/rng';

const rng = mulberry32(5);
function randomSplit(count: number, side: number): Split {
  return { images: Float32Array.from({ length: count * side * side * 3 }, () => 30 * gaussian(rng)), labels: Int32Array.from({ length: count }, (_, i) => i % 3), count, side };
}

describe('dense evaluation', () => {
  it('at the training input size, the fully convolutional net equals the original to 1e-5', async () => {
    await tf.setBackend('cpu');
    const model = buildVgg({ config: 'A', inputSize: 64, width: 0.0625, classes: 5, seed: 3 });
    const dense = toFullyConvolutional(tf, model);
    const x = tf.tensor4d(randomSplit(3, 64).images, [3, 64, 64, 3]);
    const a = (await (model.predict(x) as tf.Tensor).data()) as Float32Array;
    const b = (await tf.mean(dense.predict(x) as tf.Tensor4D, [1, 2]).data()) as Float32Array;
    const scale = Math.max(1, ...a.map(Math.abs));
    a.forEach((v, i) => expect(Math.abs(v - b[i]!) / scale).toBeLessThan(1e-5));
  });

  it('gives a score map for larger images, and the flip average is symmetric', async () => {
    await tf.setBackend('cpu');
    const model = buildVgg({ config: 'A', inputSize: 32, width: 0.0625, classes: 3, seed: 4 });
    const dense = toFullyConvolutional(tf, model);
    const split = randomSplit(1, 48);
    // The mirror image of image 0 as image 1.
    const mirrored = new Float32Array(split.images.length);
    for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) for (let c = 0; c < 3; c++) mirrored[(y * 48 + x) * 3 + c] = split.images[(y * 48 + 47 - x) * 3 + c]!;
    const both: Split = { images: Float32Array.from([...split.images, ...mirrored]), labels: Int32Array.from([0, 0]), count: 2, side: 48 };
    const post = await protocolPosteriors(tf, { ...layersForward(model, () => dense), inputSize: 32 }, both, 'dense');
    post[0]!.forEach((v, j) => expect(v).toBeCloseTo(post[1]![j]!, 5));
    expect(post[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('at Q = S just above the crop, its single score-map cell sees the central crop, not the top-left one', async () => {
    // Input 32, Q = 37: the poolings' floors drop 5 rows and columns. Cut from the bottom and right
    // only, the one cell would look at the top-left 32×32; centred, it looks at the centre crop.
    await tf.setBackend('cpu');
    const model = buildVgg({ config: 'A', inputSize: 32, width: 0.0625, classes: 3, seed: 6 });
    const forward = { ...layersForward(model, () => toFullyConvolutional(tf, model)), inputSize: 32, flip: false };
    const split = randomSplit(4, 37);
    const dense = await protocolPosteriors(tf, forward, split, 'dense');
    const center = await protocolPosteriors(tf, forward, split, 'center');
    dense.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - center[i]![j]!)).toBeLessThan(1e-5)));
    // The top-left crop is another view: some image's posterior differs from it by far more.
    const topLeft = Float32Array.from({ length: 4 * 32 * 32 * 3 }, (_, k) => {
      const i = Math.floor(k / (32 * 32 * 3));
      const r = k % (32 * 32 * 3);
      const y = Math.floor(r / (32 * 3));
      return split.images[((i * 37 + y) * 37) * 3 + (r % (32 * 3))]!;
    });
    const corner = await protocolPosteriors(tf, forward, { ...split, images: topLeft, side: 32 }, 'center');
    expect(Math.max(...corner.flatMap((p, i) => [...p].map((v, j) => Math.abs(v - dense[i]![j]!))))).toBeGreaterThan(1e-3);
  });

  it('centres an image on the stride: the remainder is cut from both sides, the larger half at the bottom and right', () => {
    const src = Float32Array.from({ length: 37 * 35 * 3 }, (_, k) => k);
    const { data, h, w } = centreOnStride(src, 1, 37, 35, 32);
    expect([h, w]).toEqual([32, 32]);
    // Row 0 of the result is row 2 of the source (5 rows dropped: 2 above, 3 below), from column 1 (3 dropped: 1, 2).
    expect(data[0]).toBe(src[(2 * 35 + 1) * 3]);
    expect(data.at(-1)).toBe(src[(33 * 35 + 32) * 3 + 2]);
    // Already on the stride: the same array, not a copy.
    const even = src.subarray(0, 64 * 32 * 3);
    expect(centreOnStride(even, 1, 64, 32, 32).data).toBe(even);
  });
});

describe('multi-crop', () => {
  it('visits a 5×5 grid × 2 flips = 50 crops per image and scale', async () => {
    expect(gridOffsets(40, 32)).toEqual([0, 2, 4, 6, 8]);
    const seen: number[] = [];
    const fake = {
      predict: (x: tf.Tensor) => {
        seen.push(x.shape[0]!);
        return tf.zeros([x.shape[0]!, 3]);
      },
    } as unknown as tfl.LayersModel;
    await tf.setBackend('cpu');
    const post = await protocolPosteriors(tf, { ...layersForward(fake, null), inputSize: 32 }, randomSplit(7, 40), 'multicrop');
    expect(post).toHaveLength(7);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(7 * 50);
    // All-zero logits: each posterior is uniform.
    expect(post[0]![0]).toBeCloseTo(1 / 3, 6);
    // A run trained without flips is tested without them: 25 crops.
    seen.length = 0;
    await protocolPosteriors(tf, { ...layersForward(fake, null), inputSize: 32, flip: false }, randomSplit(7, 40), 'multicrop');
    expect(seen.reduce((a, b) => a + b, 0)).toBe(7 * 25);
  });
});

describe('metrics', () => {
  it('top-1 and top-5 on hand-made scores, ties counting against the prediction', () => {
    const scores = [
      [0.9, 0.05, 0.05, 0, 0, 0, 0], // label 0: top-1 hit
      [0.5, 0.5, 0, 0, 0, 0, 0], // label 1 tied with 0: a miss at top-1, a hit at top-5
      [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1], // label 6 tied with four others below two: rank 6 → top-5 miss
    ];
    expect(rankOf(scores[1]!, 1)).toBe(1);
    expect(rankOf(scores[2]!, 6)).toBe(6);
    const m = computeMetrics(scores, [0, 1, 6], 7);
    expect(m.top1Error).toBeCloseTo(2 / 3, 10);
    expect(m.top5Error).toBeCloseTo(1 / 3, 10);
    expect(m.confusion[1]![0]).toBe(1);
    expect(m.perClassAccuracy.slice(0, 2)).toEqual([1, 0]);
    expect(m.confidentMistakes[0]).toMatchObject({ index: 1, label: 1, predicted: 0 });
  });

  it('training-time validation counts ties exactly as evaluation does', async () => {
    const scores = [
      [0.9, 0.05, 0.05, 0, 0, 0, 0],
      [0.5, 0.5, 0, 0, 0, 0, 0],
      [0.5, 0.5, 0, 0, 0, 0, 0],
      [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1],
      [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    ];
    // Label 0 tied with 1 (argMax would call it a hit), label 1 tied with 0, all-equal scores.
    const labels = [0, 0, 1, 6, 0];
    const m = computeMetrics(scores, labels, 7);
    const [logits, y] = [tf.tensor2d(scores), tf.tensor1d(labels, 'int32')];
    const [top1, top5] = await Promise.all([hits(tf, logits, y, 7, 1).data(), hits(tf, logits, y, 7, 5).data()]);
    expect(1 - top1[0]! / 5).toBeCloseTo(m.top1Error, 10);
    expect(1 - top5[0]! / 5).toBeCloseTo(m.top5Error, 10);
    expect(top1[0]).toBe(1);
    expect(top5[0]).toBe(3);
  });

  it('the confusion matrix and per-class accuracy count a tie as top-1 does: a dead net is right for no class', () => {
    // Flat scores for every image (a net at chance that outputs a constant): top-1 error 100 %.
    const flat = Array.from({ length: 6 }, () => [0.25, 0.25, 0.25, 0.25]);
    const m = computeMetrics(flat, [0, 1, 2, 3, 0, 1], 4);
    expect(m.top1Error).toBe(1);
    const diagonal = m.confusion.reduce((sum, row, c) => sum + row[c]!, 0);
    expect(diagonal).toBe(0);
    expect(m.perClassAccuracy).toEqual([0, 0, 0, 0]);
    // Where the true class ties with another for the top, that other class is the prediction.
    const tied = computeMetrics([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45]], [0, 2], 3);
    expect(tied.confusion[0]).toEqual([0, 1, 0]);
    expect(tied.confusion[1]).toEqual([0, 0, 0]);
    expect(tied.confusion[2]).toEqual([0, 1, 0]);
    // Everywhere, the diagonal is the top-1 count.
    const scores = [[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.3, 0.3, 0.4], [0.5, 0.5, 0]];
    const mixed = computeMetrics(scores, [0, 1, 2, 1], 3);
    expect(mixed.confusion.reduce((sum, row, c) => sum + row[c]!, 0)).toBe(Math.round((1 - mixed.top1Error) * 4));
  });
});

describe('paper rows', () => {
  it('match a run by its real training scale, in proportion to its crop', () => {
    expect(paperScaleOf({ min: 256, max: 256 }, 224)).toBe('256');
    expect(paperScaleOf({ min: 384, max: 384 }, 224)).toBe('384');
    expect(paperScaleOf({ min: 55, max: 55 }, 32)).toBe('384');
    expect(paperScaleOf({ min: 37, max: 37 }, 32)).toBe('256');
    expect(paperScaleOf({ min: 37, max: 73 }, 32)).toBe('256-512');
    expect(matchingPaperRows(['D'], '384', false, 'dense').map((r) => [r.table, r.top1Error])).toEqual([['Table 3', 26.8]]);
    expect(matchingPaperRows(['D'], '256', true, 'dense').map((r) => [r.table, r.top1Error])).toEqual([['Table 4', 26.6]]);
  });

  it('a fusion of jittered D and E gets Table 6 beside it; paper rows give epochs only where the paper does', () => {
    const run = (id: number, config: 'D' | 'E'): RunDetail =>
      ({ id, config, params: { ...PARAM_DEFAULTS, config, scale: '37:73', dataset: 'mnist:/x' }, summary: null, epoch: 4, backend: 'native', device: 'cpu', startedAt: null, endedAt: null }) as unknown as RunDetail;
    const ev = (id: number, runId: number | null, members: number[]): EvaluationInfo =>
      ({ id, runId, members, protocol: 'dense', scales: [37, 55, 73], top1Error: 0.1, top5Error: 0.01, details: { checkpoint: { kind: 'last', epoch: 4 }, split: 'test' } }) as unknown as EvaluationInfo;
    const rows = compareRows([run(1, 'D'), run(2, 'E')], [ev(1, 1, [1]), ev(2, 2, [2]), ev(3, null, [1, 2])], { paper: true });
    const paper = rows.filter((r) => r.source === 'paper').map((r) => [r.run, r.config, r.protocol, r.epochs]);
    expect(paper).toEqual([
      ['paper Table 4', 'D', 'dense', null],
      ['paper Table 4', 'E', 'dense', null],
      ['paper Table 6', 'D+E', 'dense', null],
    ]);
    // The fusion's own row comes before the paper's.
    expect(rows.findIndex((r) => r.protocol === 'fusion dense')).toBeLessThan(rows.findIndex((r) => r.run === 'paper Table 6'));
    // Fixed S = 256 nets: the paper's 74 epochs.
    const fixed = compareRows([{ ...run(1, 'D'), params: { ...PARAM_DEFAULTS, config: 'D', dataset: 'mnist:/x' } } as RunDetail], [{ ...ev(1, 1, [1]), scales: [37] }], { paper: true });
    expect(fixed.filter((r) => r.source === 'paper').map((r) => [r.run, r.epochs])).toEqual([['paper Table 3', 74]]);
  });
});

