// Images as the paper treats them: rescaled so the smallest side is S with the aspect ratio kept,
// cropped anywhere in the whole image during training, and seen whole by dense and multi-crop tests.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { MAX_ASPECT, packLayout, rescaledSize } from '../../src/main/data/geometry';
import { decodeItems, plannedSizes } from '../../src/main/data/image-files';
import { augmentOne, imageRng } from '../../src/main/data/pipeline/augment';
import { planFileStore, StoreAccess } from '../../src/main/data/pipeline/store';
import { layersForward } from '../../src/main/evaluation/forward';
import { protocolPosteriors } from '../../src/main/evaluation/protocols';
import type { Split } from '../../src/main/data/types';
import { tempDir } from '../helpers';

describe('isotropic rescale', () => {
  it('makes the smallest side S and keeps the aspect ratio, up to a 3:1 limit', () => {
    expect(rescaledSize(200, 100, 32)).toEqual({ h: 32, w: 64 });
    expect(rescaledSize(100, 300, 32)).toEqual({ h: 96, w: 32 });
    expect(rescaledSize(640, 480, 256)).toEqual({ h: 256, w: 341 });
    expect(rescaledSize(1000, 100, 32)).toEqual({ h: 32, w: MAX_ASPECT * 32 });
  });

  it('plans each file from its header (EXIF rotation applied) and decodes it whole', async () => {
    const dir = tempDir();
    const w = 60, h = 20;
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < 10 ? [255, 0, 0] : x >= 50 ? [0, 0, 255] : [0, 0, 0], (y * w + x) * 3);
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path.join(dir, 'wide.png'));
    // Stored landscape, upright portrait (EXIF orientation 6).
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(path.join(dir, 'rotated.jpg'));
    const sizes = await plannedSizes([path.join(dir, 'wide.png'), path.join(dir, 'rotated.jpg'), path.join(dir, 'missing.png')], 10);
    expect(sizes).toEqual([{ h: 10, w: 30 }, { h: 30, w: 10 }, null]);
    const skipped: string[] = [];
    const split = await decodeItems([{ file: path.join(dir, 'wide.png'), label: 0 }, { file: path.join(dir, 'missing.png'), label: 1 }], 10, skipped, true);
    expect(skipped).toHaveLength(1);
    expect(split.count).toBe(1);
    expect(Array.from(split.layout!.dims)).toEqual([10, 30]);
    // Both ends survive: red at the left, blue at the right.
    const px = (x: number, y: number) => [...split.pixels.subarray((y * 30 + x) * 3, (y * 30 + x) * 3 + 3)];
    expect(px(1, 5)[0]).toBeGreaterThan(200);
    expect(px(28, 5)[2]).toBeGreaterThan(200);
    // Without `whole`, the central square only: neither end.
    const square = await decodeItems([{ file: path.join(dir, 'wide.png'), label: 0 }], 10, [], false);
    expect(square.layout).toBeUndefined();
    expect(square.pixels.length).toBe(10 * 10 * 3);
    expect(Math.max(...square.pixels)).toBeLessThan(60);
  });
});

describe('the image cache', () => {
  it('keeps images of different sizes in memory and on disk, each read back at its own size', () => {
    const dims = Int32Array.from([4, 8, 8, 4, 4, 4, 4, 12]);
    const layout = packLayout(dims);
    const file = path.join(tempDir(), 'cache.bin');
    // Room in memory for the first two images only.
    const store = planFileStore(['a', 'b', 'c', 'd'], 4, dims, layout.starts[2]!, file);
    expect(store.memCount).toBe(2);
    expect(fs.statSync(file).size).toBe((4 * 4 + 4 * 12) * 3);
    const access = new StoreAccess(store);
    const images = [0, 1, 2, 3].map((i) => Uint8Array.from({ length: dims[2 * i]! * dims[2 * i + 1]! * 3 }, (_, k) => (i * 50 + k) % 256));
    images.forEach((px, i) => access.write(i, px));
    expect(() => access.write(0, new Uint8Array(3))).toThrow(/planned 96/);
    images.forEach((px, i) => {
      const img = access.read(i);
      expect([img.h, img.w]).toEqual([dims[2 * i], dims[2 * i + 1]]);
      expect(Array.from(img.px.subarray(img.base, img.base + px.length))).toEqual(Array.from(px));
    });
    access.close();
  });
});

describe('training crops', () => {
  it('come from anywhere in a 2:1 image, both ends included', () => {
    const h = 8, w = 16, size = 8;
    // Each pixel holds its column.
    const px = Float32Array.from({ length: h * w * 3 }, (_, k) => Math.floor(k / 3) % w);
    const out = new Float32Array(size * size * 3);
    const lefts = new Set<number>();
    for (let p = 0; p < 200; p++) {
      augmentOne({ px, base: 0, h, w }, { seed: 1, size, side: h, flip: false, pca: null, jitter: null, mean: [0, 0, 0] }, imageRng(1, 1, p), out, 0);
      lefts.add(out[0]!);
    }
    // Every horizontal offset 0 … w − size is drawn.
    expect([...lefts].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('dense and multi-crop evaluation of a 2:1 image', () => {
  // Class scores per pixel: class 0 = red, class 1 = green, class 2 = 0 — so a model's posterior
  // tells which colours the part of the image it saw holds.
  function colourModels() {
    const conv = () => tfl.layers.conv2d({ filters: 3, kernelSize: 1, useBias: false, weights: [tf.tensor4d([1, 0, 0, 0, 1, 0, 0, 0, 0], [1, 1, 3, 3])] });
    const dense = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [null, null, 3] as unknown as number[] }), conv()] });
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [8, 8, 3] }), conv(), tfl.layers.globalAveragePooling2d({})] });
    return { ...layersForward(model, () => dense), inputSize: 8 };
  }
  /** An 8×24 image, black but for a red patch at the left end (and a green one at the right end when asked). */
  function wideSplit(green: number): Split {
    const h = 8, w = 24;
    const images = new Float32Array(h * w * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        if (x < 4) images[(y * w + x) * 3] = 10;
        if (x >= w - 4) images[(y * w + x) * 3 + 1] = green;
      }
    return { images, labels: Int32Array.from([0]), count: 1, side: 8, layout: packLayout(Int32Array.from([h, w])) };
  }

  it('dense evaluation averages the score map over the whole image; the centre crop sees neither end', async () => {
    await tf.setBackend('cpu');
    const m = colourModels();
    const [centre] = await protocolPosteriors(tf, m, wideSplit(0), 'center');
    centre!.forEach((p) => expect(p).toBeCloseTo(1 / 3, 6));
    const [red] = await protocolPosteriors(tf, m, wideSplit(0), 'dense');
    expect(red![0]).toBeGreaterThan(red![1]! + 0.1);
    // Red at one end, twice as much green at the other: the average over both ends favours green.
    const [both] = await protocolPosteriors(tf, m, wideSplit(20), 'dense');
    expect(both![1]).toBeGreaterThan(both![0]! + 0.1);
  });

  it('the 5×5 multi-crop grid spans the whole width', async () => {
    await tf.setBackend('cpu');
    const [red] = await protocolPosteriors(tf, { ...colourModels(), flip: false }, wideSplit(0), 'multicrop');
    expect(red![0]).toBeGreaterThan(red![2]!);
    const [both] = await protocolPosteriors(tf, { ...colourModels(), flip: false }, wideSplit(20), 'multicrop');
    expect(both![1]).toBeGreaterThan(both![0]!);
  });
});
