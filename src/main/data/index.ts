// Resolves a dataset SPEC (DESIGN.md) to data in memory at scale S, mean subtracted.
import { loadCifar, loadMnist } from './binary';
import { DatasetError } from './errors';
import { decodeItems, scanFolder } from './folder';
import { loadSynthetic, parseSyntheticVariant } from './synthetic';
import type { LoadedDataset, RawSplit, Split } from './types';
import { rgbStats } from './stats';
import { sharedFloat32 } from './shared';
import { balancedSubset, carveValidation, checkLimit } from './subset';

/** At most n files of a folder split, evenly across classes (seeded). */
export function pickItems<T extends { label: number }>(items: T[], n: number | undefined, seed: number): T[] {
  const keep = balancedSubset(items.map((i) => i.label), n, seed);
  return keep ? keep.map((i) => items[i]!) : items;
}

export interface DatasetRequest {
  spec: string;
  /** Side S of the stored images; crops of the input size are cut from them. */
  side: number;
  seed: number;
  classes?: number;
  train?: number;
  val?: number;
  valFraction?: number;
  /** Horizontal flips: forced on or off; else the dataset's own default (flipInvariant). */
  flip?: boolean;
  /** Evaluation: load only the validation split and subtract this (the training run's) mean. */
  evalWithMean?: [number, number, number];
}

export const DATASET_KINDS = ['synthetic[:basic|hard]', 'folder:PATH', 'cifar10:PATH', 'cifar100:PATH', 'mnist:PATH'] as const;
export { DatasetError };

function splitSpec(spec: string): [string, string | undefined] {
  const i = spec.indexOf(':');
  return i < 0 ? [spec, undefined] : [spec.slice(0, i), spec.slice(i + 1)];
}

/** The paper's only preprocessing: subtract the training set's mean RGB (computed here, on train). */
function finish(name: string, classNames: string[], raw: { train: RawSplit; val: RawSplit }, skippedFiles: string[], given: [number, number, number] | undefined, evalSplit: 'val' | 'test', flipInvariant = true): LoadedDataset {
  const stats = raw.train.count ? rgbStats(raw.train.pixels, raw.train.pixels.length / 3) : null;
  const mean: [number, number, number] = given ? [...given] : (stats?.mean ?? [0, 0, 0]);
  const toSplit = (r: RawSplit): Split => {
    const images = sharedFloat32(r.pixels.length);
    for (let i = 0; i < images.length; i++) images[i] = r.pixels[i]! - mean[i % 3]!;
    return { images, labels: r.labels, count: r.count, side: r.side, ...(r.layout ? { layout: r.layout } : {}) };
  };
  return { name, side: raw.train.side, classes: classNames.length, classNames, train: toSplit(raw.train), val: toSplit(raw.val), meanRgb: mean, pca: stats ? { eigenvalues: stats.eigenvalues, eigenvectors: stats.eigenvectors } : null, evalSplit, flipInvariant, skipped: skippedFiles.length, skippedFiles: skippedFiles.slice(0, 10) };
}

/** The samples of a split at the given indices. */
function gather(r: RawSplit, keep: number[]): RawSplit {
  const px = r.side * r.side * 3;
  const pixels = new Float32Array(keep.length * px);
  keep.forEach((i, k) => pixels.set(r.pixels.subarray(i * px, (i + 1) * px), k * px));
  return { pixels, labels: Int32Array.from(keep, (i) => r.labels[i]!), count: keep.length, side: r.side };
}

/** Keeps at most n samples of a split, evenly across its classes (seeded), for quick runs on big datasets. */
function limit(r: RawSplit, n: number | undefined, seed: number): RawSplit {
  const keep = balancedSubset(r.labels, n, seed);
  return keep ? gather(r, keep) : r;
}

/**
 * A dataset with its own test set (CIFAR, MNIST): training sees train minus a held-out validation
 * share; evaluation sees the test set, whole.
 */
function threeSplits(spec: string, classNames: string[], d: { train: RawSplit; test: RawSplit }, req: DatasetRequest, flip: boolean): LoadedDataset {
  if (req.evalWithMean) return finish(spec, classNames, { train: d.train, val: d.test }, [], req.evalWithMean, 'test', flip);
  checkLimit('training', req.train, classNames.length, spec);
  const carved = carveValidation(d.train.labels, req.valFraction ?? 0.1, req.seed);
  const train = limit(gather(d.train, carved.train), req.train, req.seed);
  const val = limit(gather(d.train, carved.val), req.val, req.seed);
  return finish(spec, classNames, { train, val }, [], undefined, 'test', flip);
}

export async function loadDataset(req: DatasetRequest): Promise<LoadedDataset> {
  const [kind, rest] = splitSpec(req.spec);
  const need = (what: string) => {
    if (!rest) throw new DatasetError(`dataset '${req.spec}': ${kind} needs a path, as ${kind}:PATH (${what})`);
    return rest;
  };
  switch (kind) {
    case 'synthetic':
      return loadSynthetic({ variant: parseSyntheticVariant(rest), size: req.side, classes: req.classes ?? 10, train: req.evalWithMean ? 0 : (req.train ?? 2000), val: req.val ?? 500, seed: req.seed, mean: req.evalWithMean });
    case 'cifar10':
    case 'cifar100': {
      const d = loadCifar(need('the folder of the binary distribution'), kind, req.side, Boolean(req.evalWithMean));
      return threeSplits(req.spec, Array.from({ length: d.classes }, (_, i) => `class_${i}`), d, req, true);
    }
    case 'mnist': {
      const d = loadMnist(need('the folder holding the IDX files'), req.side, Boolean(req.evalWithMean));
      // Digits and text are not mirror-symmetric: no flips unless asked for.
      return threeSplits(req.spec, Array.from({ length: d.classes }, (_, i) => String(i)), d, req, false);
    }
    case 'folder': {
      const scan = scanFolder(need('one sub-folder per class'), req.valFraction ?? 0.1, req.seed);
      const skipped: string[] = [];
      if (!req.evalWithMean) checkLimit('training', req.train, scan.classNames.length, req.spec);
      const train = await decodeItems(req.evalWithMean ? [] : pickItems(scan.train, req.train, req.seed), req.side, skipped, true);
      // Evaluation reports the folder's test/ split, whole, where it has one.
      const evalSplit = scan.test ? 'test' : 'val';
      // Training and evaluation images are whole (smallest side S, aspect kept); validation during training looks at central crops only, so it keeps central squares.
      const val = await decodeItems(req.evalWithMean && scan.test ? scan.test : pickItems(scan.val, req.val, req.seed), req.side, skipped, Boolean(req.evalWithMean));
      scan.classNames.forEach((name, label) => {
        if (!req.evalWithMean && !train.labels.includes(label)) throw new DatasetError(`folder:${rest}: class '${name}' has no readable image (all ${scan.train.filter((i) => i.label === label).length} failed to decode)`);
      });
      return finish(req.spec, scan.classNames, { train, val }, skipped, req.evalWithMean, evalSplit);
    }
    default:
      throw new DatasetError(`dataset '${req.spec}': unknown kind '${kind}'; accepted: ${DATASET_KINDS.join(', ')}`);
  }
}
