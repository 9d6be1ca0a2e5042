// The paper's test protocols (section 3.2) over images stored at test scale Q:
// center crop, dense (fully convolutional, flip-averaged), multi-crop (5×5 grid × 2 flips),
// their combination, and averaging over several scales.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Split } from '../data/types';

type Tf = typeof TfCore;

import type { ProtocolName } from '../../shared/domain';

export type Protocol = ProtocolName;

export interface ProtocolModels {
  model: tfl.LayersModel;
  dense: tfl.LayersModel | null;
  inputSize: number;
  /** Test-time flip averaging, where the run trained with flips (default true). */
  flip?: boolean;
}

/** Crop offsets of a g×g grid over a Q-sided image (g = 5: the paper's 25 positions). */
export function gridOffsets(Q: number, size: number, g = 5): number[] {
  if (Q === size) return Array(g).fill(0);
  return Array.from({ length: g }, (_, i) => Math.round((i * (Q - size)) / (g - 1)));
}

function crop(split: Split, i: number, oy: number, ox: number, size: number, flip: boolean, out: Float32Array, at: number): void {
  const S = split.side;
  const base = i * S * S * 3;
  for (let r = 0; r < size; r++) {
    const src = base + ((oy + r) * S + ox) * 3;
    const dst = at + r * size * 3;
    if (!flip) out.set(split.images.subarray(src, src + size * 3), dst);
    else for (let c = 0; c < size; c++) for (let k = 0; k < 3; k++) out[dst + c * 3 + k] = split.images[src + (size - 1 - c) * 3 + k]!;
  }
}

/** Soft-max posteriors of crops (each image's crops contiguous), averaged per image. */
async function cropPosteriors(tf: Tf, m: ProtocolModels, split: Split, crops: { oy: number; ox: number; flip: boolean }[], onImage: () => void): Promise<Float32Array[]> {
  const size = m.inputSize;
  const perBatch = Math.max(1, Math.floor(256 / crops.length));
  const out: Float32Array[] = [];
  for (let from = 0; from < split.count; from += perBatch) {
    const n = Math.min(perBatch, split.count - from);
    const buf = new Float32Array(n * crops.length * size * size * 3);
    for (let i = 0; i < n; i++) crops.forEach((c, j) => crop(split, from + i, c.oy, c.ox, size, c.flip, buf, (i * crops.length + j) * size * size * 3));
    const probs = tf.tidy(() => {
      const logits = m.model.predict(tf.tensor4d(buf, [n * crops.length, size, size, 3])) as TfCore.Tensor2D;
      return tf.mean(tf.reshape(tf.softmax(logits), [n, crops.length, -1]), 1);
    });
    out.push(...(await perImage(probs, n, onImage)));
  }
  return out;
}

/** Reads an [n, classes] tensor back as one array per image, and disposes it. */
async function perImage(probs: TfCore.Tensor, n: number, onImage: () => void): Promise<Float32Array[]> {
  const data = (await probs.data()) as Float32Array;
  probs.dispose();
  const classes = data.length / n;
  return Array.from({ length: n }, (_, i) => {
    onImage();
    return data.slice(i * classes, (i + 1) * classes);
  });
}

async function densePosteriors(tf: Tf, m: ProtocolModels, split: Split, onImage: () => void): Promise<Float32Array[]> {
  if (!m.dense) throw new Error('dense evaluation needs the fully convolutional model');
  const S = split.side;
  const perBatch = Math.max(1, Math.floor((64 * 224 * 224) / (S * S)));
  const out: Float32Array[] = [];
  for (let from = 0; from < split.count; from += perBatch) {
    const n = Math.min(perBatch, split.count - from);
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(split.images.subarray(from * S * S * 3, (from + n) * S * S * 3), [n, S, S, 3]);
      // Score map → spatial average → soft-max; the same for the mirrored image; then the mean of both.
      const post = (img: TfCore.Tensor4D) => tf.softmax(tf.mean(m.dense!.predict(img) as TfCore.Tensor4D, [1, 2]));
      return m.flip === false ? post(x) : tf.div(tf.add(post(x), post(tf.reverse(x, 2))), 2);
    });
    out.push(...(await perImage(probs, n, onImage)));
  }
  return out;
}

/** Posteriors of every image of `split` (stored at side Q) under one protocol. */
export async function protocolPosteriors(tf: Tf, m: ProtocolModels, split: Split, protocol: Protocol, onImage: () => void = () => {}): Promise<Float32Array[]> {
  const Q = split.side;
  const size = m.inputSize;
  if (Q < size) throw new Error(`test scale ${Q} is smaller than the input size ${size}`);
  const center = { oy: (Q - size) >> 1, ox: (Q - size) >> 1, flip: false };
  if (protocol === 'center') return cropPosteriors(tf, m, split, [center], onImage);
  const grid = gridOffsets(Q, size);
  const flips = m.flip === false ? [false] : [false, true];
  const multicrop = grid.flatMap((oy) => grid.flatMap((ox) => flips.map((flip) => ({ oy, ox, flip }))));
  if (protocol === 'multicrop') return cropPosteriors(tf, m, split, multicrop, onImage);
  if (protocol === 'dense') return densePosteriors(tf, m, split, onImage);
  const a = await densePosteriors(tf, m, split, () => {});
  const b = await cropPosteriors(tf, m, split, multicrop, onImage);
  return a.map((p, i) => p.map((v, j) => (v + b[i]![j]!) / 2));
}

export function averagePosteriors(sets: Float32Array[][]): Float32Array[] {
  return sets[0]!.map((_, i) => {
    const acc = new Float32Array(sets[0]![i]!.length);
    for (const set of sets) set[i]!.forEach((v, j) => (acc[j]! += v / sets.length));
    return acc;
  });
}
