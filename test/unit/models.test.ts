import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { modelStats, describeLayers } from '../../src/main/vgg/configs';
import { buildVgg } from '../../src/main/vgg/model';
import { LocalResponseNorm } from '../../src/main/vgg/lrn';
import { CONFIG_NAMES } from '../../src/shared/domain';

// Table 1 of the paper, exact counts at 224×224, width 1, 1000 classes.
const PAPER_PARAMS = { A: 132_863_336, 'A-LRN': 132_863_336, B: 133_047_848, C: 133_638_952, D: 138_357_544, E: 143_667_240 };
const WEIGHT_LAYERS = { A: 11, 'A-LRN': 11, B: 13, C: 16, D: 16, E: 19 };

describe('VGG configurations', () => {
  it.each(CONFIG_NAMES)('%s has the paper’s parameter count and depth', (config) => {
    const s = modelStats({ config, inputSize: 224, width: 1, classes: 1000 });
    expect(s.params).toBe(PAPER_PARAMS[config]);
    expect(s.weightLayers).toBe(WEIGHT_LAYERS[config]);
  });

  it('counts FLOPs of VGG-16 as the usual 15.5 G multiply-adds', () => {
    const s = modelStats({ config: 'D', inputSize: 224, width: 1, classes: 1000 });
    expect(s.flops / 2 / 1e9).toBeCloseTo(15.47, 1);
  });

  it('C uses 1×1 convolutions as the last conv of blocks 3–5', () => {
    const { weights } = describeLayers({ config: 'C', inputSize: 224, width: 1, classes: 1000 });
    const oneByOne = weights.filter((w) => w.kind === 'conv' && w.kernel === 1).map((w) => w.name);
    expect(oneByOne).toEqual(['block3_conv3', 'block4_conv3', 'block5_conv3']);
  });

  it.each(CONFIG_NAMES)('the built %s model has the analytic parameter count and fixed layer names', async (config) => {
    await tf.setBackend('cpu');
    const shape = { config, inputSize: 64, width: 0.25, classes: 10 };
    const model = buildVgg(shape);
    expect(model.countParams()).toBe(modelStats(shape).params);
    const names = model.layers.map((l) => l.name);
    expect(names).toContain('block1_conv1');
    expect(names.slice(-5)).toEqual(['fc1', 'fc1_dropout', 'fc2', 'fc2_dropout', 'predictions']);
    if (config === 'A-LRN') expect(names[1]).toBe('block1_lrn');
    const out = model.predict(tf.zeros([2, 64, 64, 3])) as tf.Tensor;
    expect(out.shape).toEqual([2, 10]);
    tf.dispose(out);
    model.dispose();
  });

  it('keeps at least one unit per layer at tiny widths', () => {
    const { weights } = describeLayers({ config: 'A', inputSize: 32, width: 0.001, classes: 2 });
    expect(Math.min(...weights.map((w) => w.outChannels))).toBe(1);
  });
});

describe('memory estimate', () => {
  it('suggests a power-of-two batch, smaller for a bigger model', async () => {
    const { memoryEstimate } = await import('../../src/main/services/models');
    const small = memoryEstimate({ config: 'A', inputSize: 32, width: 0.125, classes: 10 });
    const big = memoryEstimate({ config: 'E', inputSize: 224, width: 1, classes: 1000 });
    for (const m of [small, big]) expect(Math.log2(m.suggestedBatch) % 1).toBe(0);
    expect(big.bytesPerImage).toBeGreaterThan(100 * small.bytesPerImage);
    expect(big.suggestedBatch).toBeLessThanOrEqual(small.suggestedBatch);
    // Weights, gradients and momentum of VGG-19: 3 × 4 bytes × 143.7 M parameters.
    expect(big.paramBytes).toBe(143_667_240 * 12);
  });
});

describe('LRN (A-LRN)', () => {
  it('follows Caffe’s convention, b = a / (k + α/n · Σ a²)^β across n = 5 channels, against the formula written out', async () => {
    const [n, k, alpha, beta] = [5, 2, 1e-4, 0.75];
    const channels = 7;
    const a = Array.from({ length: 2 * 3 * 3 * channels }, (_, i) => 40 * Math.sin(i * 1.7) + 10);
    const x = tf.tensor4d(a, [2, 3, 3, channels]);
    const got = await (new LocalResponseNorm().apply(x) as tf.Tensor).data();
    let worst = 0;
    for (let p = 0; p < a.length / channels; p++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let j = Math.max(0, c - 2); j <= Math.min(channels - 1, c + 2); j++) sum += a[p * channels + j]! ** 2;
        const want = a[p * channels + c]! / (k + (alpha / n) * sum) ** beta;
        worst = Math.max(worst, Math.abs(got[p * channels + c]! - want) / Math.abs(want));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    x.dispose();
  });
});

