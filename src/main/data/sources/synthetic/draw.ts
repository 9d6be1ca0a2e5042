// The built-in dataset: deterministic from a seed, any size and class count, no download.
// Each class is a combination of stripe orientation (up to mirroring), stripe frequency and colour;
// every image draws its own phase, contrast, brightness, position jitter and noise, so
// the classes are learnable but not trivially separable by one pixel.
import { gaussian, mulberry32 } from '../../rng';
import type { LoadedDataset, Split } from '../../types';
import { sharedFloat32 } from '../../shared';

export const SYNTHETIC_VARIANTS = ['basic', 'hard'] as const;
export type SyntheticVariant = (typeof SYNTHETIC_VARIANTS)[number];

export interface SyntheticOptions {
  variant: SyntheticVariant;
  size: number;
  classes: number;
  train: number;
  val: number;
  seed: number;
  /** Subtract this mean instead of the training split's own. */
  mean?: [number, number, number];
}

interface ClassSpec {
  angle: number;
  freq: number;
  color: [number, number, number];
}

function classSpecs(classes: number, seed: number): ClassSpec[] {
  const rng = mulberry32(seed ^ 0x5eed);
  const orientations = Math.min(classes, 6);
  return Array.from({ length: classes }, (_, k) => {
    // Orientations in [0, π/2]; each image shows θ or its mirror π − θ, so a horizontal flip keeps the class.
    const angle = ((Math.PI / 2) * (k % orientations)) / Math.max(1, orientations - 1);
    const freq = 2 + (Math.floor(k / orientations) % 3) * 1.5;
    const hue = rng();
    const color: [number, number, number] = [
      0.5 + 0.5 * Math.cos(2 * Math.PI * hue),
      0.5 + 0.5 * Math.cos(2 * Math.PI * (hue + 1 / 3)),
      0.5 + 0.5 * Math.cos(2 * Math.PI * (hue + 2 / 3)),
    ];
    return { angle, freq, color };
  });
}

function render(out: Float32Array, offset: number, size: number, spec: ClassSpec, variant: SyntheticVariant, rng: () => number): void {
  const hard = variant === 'hard';
  const jitter = hard ? 0.35 : 0.12;
  const mirrored = rng() < 0.5;
  const angle = (mirrored ? Math.PI - spec.angle : spec.angle) + gaussian(rng) * (hard ? 0.12 : 0.05);
  const freq = spec.freq * (1 + gaussian(rng) * (hard ? 0.12 : 0.05));
  const phase = rng() * 2 * Math.PI;
  const contrast = 0.6 + 0.4 * rng();
  const bright = (rng() - 0.5) * (hard ? 0.5 : 0.2);
  const cx = 0.5 + (rng() - 0.5) * jitter;
  const cy = 0.5 + (rng() - 0.5) * jitter;
  const radius = hard ? 0.22 + 0.2 * rng() : 0.6;
  const noise = hard ? 0.35 : 0.15;
  const colorMix = hard ? 0.25 : 0.8;
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size - cx;
      const v = y / size - cy;
      const r2 = (u * u + v * v) / (radius * radius);
      const window = hard ? Math.exp(-r2) : 1;
      const s = Math.sin(2 * Math.PI * freq * (u * ca + v * sa) + phase) * contrast * window;
      const i = offset + (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const tint = colorMix * spec.color[c]! + (1 - colorMix) * 0.5;
        // Pixel values on the 0–255 scale of real images: the paper subtracts the mean and nothing else.
        out[i + c] = 255 * (0.5 + bright + 0.45 * s * tint + noise * gaussian(rng));
      }
    }
  }
}

function makeSplit(count: number, specs: ClassSpec[], opts: SyntheticOptions, seed: number): Split {
  const px = opts.size * opts.size * 3;
  const images = sharedFloat32(count * px);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % specs.length;
    labels[n] = label;
    // One generator per image: image n shows the same scene at every size (multi-scale evaluation relies on it).
    render(images, n * px, opts.size, specs[label]!, opts.variant, mulberry32((seed * 1_000_003 + n * 7919) >>> 0));
  }
  return { images, labels, count, side: opts.size };
}

export function parseSyntheticVariant(v: string | undefined): SyntheticVariant {
  const name = v ?? 'basic';
  if (!(SYNTHETIC_VARIANTS as readonly string[]).includes(name))
    throw new Error(`dataset synthetic:${name}: unknown variant; accepted: ${SYNTHETIC_VARIANTS.join(', ')}`);
  return name as SyntheticVariant;
}

export function loadSynthetic(opts: SyntheticOptions): LoadedDataset {
  const specs = classSpecs(opts.classes, opts.seed);
  const train = makeSplit(opts.train, specs, opts, opts.seed * 2 + 1);
  const val = makeSplit(opts.val, specs, opts, opts.seed * 2 + 2);
  const mean: [number, number, number] = opts.mean ? [...opts.mean] : [0, 0, 0];
  const px = opts.size * opts.size;
  if (!opts.mean) {
    for (let i = 0; i < train.images.length; i++) mean[i % 3]! += train.images[i]!;
    for (let c = 0; c < 3; c++) mean[c] = mean[c]! / (px * train.count);
  }
  // The paper's only preprocessing: subtract the training set's mean RGB.
  for (const split of [train, val]) for (let i = 0; i < split.images.length; i++) split.images[i]! -= mean[i % 3]!;
  return {
    name: `synthetic:${opts.variant}`,
    side: opts.size,
    classes: opts.classes,
    classNames: specs.map((_, k) => `class_${k}`),
    train,
    val,
    meanRgb: mean,
    // Colour is part of what defines a synthetic class: no colour shift.
    pca: null,
    evalSplit: 'val',
    flipInvariant: true,
    skipped: 0,
    skippedFiles: [],
  };
}
