// The paper's training-time augmentation, one batch at a time: scale jittering (a window of the
// stored image resampled), a random crop anywhere in the whole image (stored with its smallest side
// at S and its aspect ratio kept), a random horizontal flip, AlexNet's PCA colour shift and
// the mean-RGB subtraction. Every random draw comes from a generator seeded by (run seed, epoch,
// position in the epoch), so a batch is the same whichever thread builds it, and a resumed run
// draws what the uninterrupted one would have.
import { gaussian, mulberry32 } from '../rng';
import type { LoadedDataset } from '../types';
import type { StoredImage } from './store';
import { windowKernel } from './window';

export type { Pixels } from './window';

export interface AugmentOptions {
  seed: number;
  /** Crop side (the network's input size). */
  size: number;
  /** The stored images' smallest side S. */
  side: number;
  /** Horizontal flips keep the label. */
  flip: boolean;
  /** Colour axes for the shift; null: no shift. */
  pca: LoadedDataset['pca'];
  /** Scale jittering: S drawn per image in [min, max]; images are stored at max. */
  jitter: { min: number; max: number } | null;
  /** Subtracted from every pixel (zeros where the stored images are already centred). */
  mean: [number, number, number];
  /** Evaluation: no randomness; the central window at this scale. */
  evalScale?: number;
}

/** One generator per image, from the run seed, the epoch and the image's position in it. */
export function imageRng(seed: number, epoch: number, position: number) {
  let h = (seed ^ 0xa11ce) >>> 0;
  h = Math.imul(h ^ (epoch + 0x9e3779b9), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (position + 0x7f4a7c15), 0xc2b2ae35) >>> 0;
  return mulberry32(h ^ (h >>> 16));
}

/**
 * Writes stored image `img` (h×w HWC, smallest side S) augmented into out[at …] (size×size×3 floats).
 * `rng` null: the deterministic evaluation path (central crop, no flip, no shift).
 */
export function augmentOne(img: StoredImage, opts: AugmentOptions, rng: (() => number) | null, out: Float32Array, at: number): void {
  const { size, side: S, mean } = opts;
  const { px: src, base, h, w: width } = img;
  const scaleS = rng && opts.jitter ? opts.jitter.min + Math.floor(rng() * (opts.jitter.max - opts.jitter.min + 1)) : (opts.evalScale ?? (opts.jitter?.max ?? S));
  // The window of the stored image that is the crop at scale scaleS (the whole image rescaled to scaleS, then cut).
  const w = scaleS === S ? size : Math.min(h, width, Math.round((size * S) / scaleS));
  const oy = rng ? Math.floor(rng() * (h - w + 1)) : (h - w) >> 1;
  const ox = rng ? Math.floor(rng() * (width - w + 1)) : (width - w) >> 1;
  const flip = rng !== null && opts.flip && rng() < 0.5;
  // Colour shift and mean subtraction are one offset per channel, added while copying.
  let s0 = 0, s1 = 0, s2 = 0;
  if (rng && opts.pca) {
    const { eigenvalues: l, eigenvectors: v } = opts.pca;
    // Eigenvalues are of 0–255 pixels; AlexNet's α·λ is meant for a 0–1 scale, so λ/255 keeps the shift's size.
    const a0 = (gaussian(rng) * 0.1 * l[0]!) / 255;
    const a1 = (gaussian(rng) * 0.1 * l[1]!) / 255;
    const a2 = (gaussian(rng) * 0.1 * l[2]!) / 255;
    s0 = 0 + a0 * v[0]![0]! + a1 * v[1]![0]! + a2 * v[2]![0]!;
    s1 = 0 + a0 * v[0]![1]! + a1 * v[1]![1]! + a2 * v[2]![1]!;
    s2 = 0 + a0 * v[0]![2]! + a1 * v[1]![2]! + a2 * v[2]![2]!;
  }
  windowKernel().cut(src, base, width, oy, ox, w, size, flip, s0 - mean[0], s1 - mean[1], s2 - mean[2], out, at);
}

/**
 * The batch of images `items`, each read through `read`, written into `out` where given (at least
 * items × size² × 3 floats) or a new array.
 * Training: `at` gives the epoch and the position of the first image, which seed the draws;
 * evaluation (`at` null): the deterministic central window.
 */
export function buildBatch(read: (item: number) => StoredImage, items: ArrayLike<number>, opts: AugmentOptions, at: { epoch: number; first: number } | null, out?: Float32Array): Float32Array {
  const n = opts.size * opts.size * 3;
  const x = out ? out.subarray(0, items.length * n) : new Float32Array(items.length * n);
  for (let k = 0; k < items.length; k++) augmentOne(read(items[k]!), opts, at ? imageRng(opts.seed, at.epoch, at.first + k) : null, x, k * n);
  return x;
}
