// The paper's test protocols (section 3.2) over whole images rescaled so their smallest side is Q:
// center crop, dense (fully convolutional, flip-averaged), multi-crop (5×5 grid × 2 flips),
// their combination, and averaging over several scales.
import type * as TfCore from '@tensorflow/tfjs-core';
import { imageAt } from '../data/geometry';
import type { Split } from '../data/types';

type Tf = typeof TfCore;

import type { ProtocolName } from '../../shared/domain';
import type { Forward } from './forward';

export type Protocol = ProtocolName;

/** The trained network (forward.ts: crops and whole images), its input size, and whether to flip. */
export interface ProtocolModels extends Forward {
  inputSize: number;
  /** Test-time flip averaging, where the run trained with flips (default true). */
  flip?: boolean;
}

/** Crop offsets of g positions along a side of length L (g = 5: the paper's grid has 5×5 positions). */
export function gridOffsets(L: number, size: number, g = 5): number[] {
  if (L === size) return Array(g).fill(0);
  return Array.from({ length: g }, (_, i) => Math.round((i * (L - size)) / (g - 1)));
}

interface Crop {
  oy: number;
  ox: number;
  flip: boolean;
}

function crop(split: Split, i: number, c: Crop, size: number, out: Float32Array, at: number): void {
  const { base, w } = imageAt(i, split.side, split.layout);
  for (let r = 0; r < size; r++) {
    const src = base + ((c.oy + r) * w + c.ox) * 3;
    const dst = at + r * size * 3;
    if (!c.flip) out.set(split.images.subarray(src, src + size * 3), dst);
    else for (let x = 0; x < size; x++) for (let k = 0; k < 3; k++) out[dst + x * 3 + k] = split.images[src + (size - 1 - x) * 3 + k]!;
  }
}

/** Soft-max posteriors of crops (the same number for every image, placed by `crops` on each image's own size), averaged per image. */
async function cropPosteriors(tf: Tf, m: ProtocolModels, split: Split, crops: (h: number, w: number) => Crop[], onImage: () => void): Promise<Float32Array[]> {
  const size = m.inputSize;
  const per = crops(split.side, split.side).length;
  const perBatch = Math.max(1, Math.floor(256 / per));
  const out: Float32Array[] = [];
  for (let from = 0; from < split.count; from += perBatch) {
    const n = Math.min(perBatch, split.count - from);
    const buf = new Float32Array(n * per * size * size * 3);
    for (let i = 0; i < n; i++) {
      const { h, w } = imageAt(from + i, split.side, split.layout);
      crops(h, w).forEach((c, j) => crop(split, from + i, c, size, buf, (i * per + j) * size * size * 3));
    }
    const x = tf.tensor4d(buf, [n * per, size, size, 3]);
    const logits = await m.crops(x);
    const probs = tf.tidy(() => tf.mean(tf.reshape(tf.softmax(logits), [n, per, -1]), 1));
    tf.dispose([x, logits]);
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

/** n images of h×w RGB, each mirrored left to right. */
export function mirror(src: Float32Array, n: number, h: number, w: number): Float32Array {
  const out = new Float32Array(n * h * w * 3);
  for (let row = 0; row < n * h; row++) {
    const at = row * w * 3;
    for (let x = 0; x < w; x++) {
      const d = at + x * 3;
      const s = at + (w - 1 - x) * 3;
      out[d] = src[s]!;
      out[d + 1] = src[s + 1]!;
      out[d + 2] = src[s + 2]!;
    }
  }
  return out;
}

/**
 * n images of h×w with what the poolings' floors would drop cut evenly from both sides: the largest
 * multiple of the network's stride (VGG's five 2×2 poolings: 32) in each direction, centred. Left in, the remainder is dropped at the bottom
 * and the right only, and the score map looks at a window shifted towards the top-left corner — at
 * Q = S + 5 with a 32 px crop, a single cell seeing the top-left 32×32 instead of the centre.
 */
export function centreOnStride(src: Float32Array, n: number, h: number, w: number, stride: number, minSide = 1): { data: Float32Array; h: number; w: number } {
  const th = h - (h % stride);
  const tw = w - (w % stride);
  if ((th === h && tw === w) || th < minSide || tw < minSide) return { data: src, h, w };
  const oy = (h % stride) >> 1;
  const ox = (w % stride) >> 1;
  const out = new Float32Array(n * th * tw * 3);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < th; y++) {
      const from = ((i * h + oy + y) * w + ox) * 3;
      out.set(src.subarray(from, from + tw * 3), (i * th + y) * tw * 3);
    }
  return { data: out, h: th, w: tw };
}

/**
 * Dense evaluation of each whole image at its own size: consecutive images of one size share a batch.
 * Each image is first centred on the network's stride (centreOnStride), so that at Q = S the single
 * score-map cell sees the central crop.
 */
async function densePosteriors(tf: Tf, m: ProtocolModels, split: Split, onImage: () => void): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let from = 0; from < split.count; ) {
    const { base, h, w } = imageAt(from, split.side, split.layout);
    const perBatch = Math.max(1, Math.floor((64 * 224 * 224) / (h * w)));
    let n = 1;
    while (n < perBatch && from + n < split.count) {
      const next = imageAt(from + n, split.side, split.layout);
      if (next.h !== h || next.w !== w) break;
      n++;
    }
    // Score map (non-square for a non-square image) → spatial average → soft-max; the same for the mirrored image; then the mean of both.
    const post = async (img: TfCore.Tensor4D) => {
      const map = await m.dense(img);
      const p = tf.tidy(() => tf.softmax(tf.mean(map, [1, 2])));
      tf.dispose([img, map]);
      return p;
    };
    const img = centreOnStride(split.images.subarray(base, base + n * h * w * 3), n, h, w, m.stride, m.inputSize);
    const own = await post(tf.tensor4d(img.data, [n, img.h, img.w, 3]));
    let probs = own;
    if (m.flip !== false) {
      // Mirrored in a plain loop: the CPU backends' reverse goes element by element through index arithmetic, 40× slower.
      const mirrored = await post(tf.tensor4d(mirror(img.data, n, img.h, img.w), [n, img.h, img.w, 3]));
      probs = tf.tidy(() => tf.div(tf.add(own, mirrored), 2));
      tf.dispose([own, mirrored]);
    }
    out.push(...(await perImage(probs, n, onImage)));
    from += n;
  }
  return out;
}

/**
 * One test protocol: the posteriors of a split's images, and one image's work at test scale Q in
 * passes of a training-size crop (what the bench counts as views).
 */
export interface ProtocolSpec {
  /** Protocols it combines (their mean); the bench times the parts, not the combination. */
  parts?: readonly Protocol[];
  views(Q: number, size: number, flips: number): number;
  posteriors(tf: Tf, m: ProtocolModels, split: Split, onImage: () => void): Promise<Float32Array[]>;
}

/** The 5×5 grid spans the whole image along each side, each crop also mirrored where the run trained with flips. */
const multicropCrops = (m: ProtocolModels) => (h: number, w: number) => {
  const size = m.inputSize;
  const flips = m.flip === false ? [false] : [false, true];
  return gridOffsets(h, size).flatMap((oy) => gridOffsets(w, size).flatMap((ox) => flips.map((flip) => ({ oy, ox, flip }))));
};

/**
 * The protocols, by name: the only list (src/shared/names.ts names them for the contract, and a name
 * without an entry here does not compile). Adding one is an entry here and its name there.
 */
export const PROTOCOL_SPECS: Record<Protocol, ProtocolSpec> = {
  center: {
    views: () => 1,
    posteriors: (tf, m, split, onImage) => cropPosteriors(tf, m, split, (h, w) => [{ oy: (h - m.inputSize) >> 1, ox: (w - m.inputSize) >> 1, flip: false }], onImage),
  },
  // The image's area over the crop's, per flip (the bench's images are square).
  dense: { views: (Q, size, flips) => flips * (Q / size) ** 2, posteriors: densePosteriors },
  multicrop: { views: (_Q, _size, flips) => 25 * flips, posteriors: (tf, m, split, onImage) => cropPosteriors(tf, m, split, multicropCrops(m), onImage) },
  'dense+multicrop': {
    parts: ['dense', 'multicrop'],
    views: (Q, size, flips) => PROTOCOL_SPECS.dense.views(Q, size, flips) + PROTOCOL_SPECS.multicrop.views(Q, size, flips),
    posteriors: async (tf, m, split, onImage) => {
      const a = await densePosteriors(tf, m, split, () => {});
      const b = await PROTOCOL_SPECS.multicrop.posteriors(tf, m, split, onImage);
      return a.map((p, i) => p.map((v, j) => (v + b[i]![j]!) / 2));
    },
  },
};

/** Posteriors of every image of `split` (smallest side Q, each image whole) under one protocol. */
export async function protocolPosteriors(tf: Tf, m: ProtocolModels, split: Split, protocol: Protocol, onImage: () => void = () => {}): Promise<Float32Array[]> {
  if (split.side < m.inputSize) throw new Error(`test scale ${split.side} is smaller than the input size ${m.inputSize}`);
  return PROTOCOL_SPECS[protocol].posteriors(tf, m, split, onImage);
}

export function averagePosteriors(sets: Float32Array[][]): Float32Array[] {
  return sets[0]!.map((_, i) => {
    const acc = new Float32Array(sets[0]![i]!.length);
    for (const set of sets) set[i]!.forEach((v, j) => (acc[j]! += v / sets.length));
    return acc;
  });
}
