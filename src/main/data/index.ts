// Resolves a dataset SPEC (DESIGN.md) to data in memory at the training scale S, mean subtracted.
import { loadCifar, loadMnist } from './binary';
import { DatasetError } from './errors';
import { decodeItems, scanFolder } from './folder';
import { loadSynthetic, parseSyntheticVariant } from './synthetic';
import type { LoadedDataset, RawSplit, Split } from './types';
import { rgbStats } from './stats';
import { sharedFloat32 } from './shared';

export interface DatasetRequest {
  spec: string;
  /** Side S of the stored images; crops of the input size are cut from them. */
  side: number;
  seed: number;
  classes?: number;
  train?: number;
  val?: number;
  valFraction?: number;
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
function finish(name: string, classNames: string[], raw: { train: RawSplit; val: RawSplit }, skippedFiles: string[], given?: [number, number, number]): LoadedDataset {
  const px = raw.train.side * raw.train.side;
  const stats = raw.train.count ? rgbStats(raw.train.pixels, raw.train.count * px) : null;
  const mean: [number, number, number] = given ? [...given] : (stats?.mean ?? [0, 0, 0]);
  const toSplit = (r: RawSplit): Split => {
    const images = sharedFloat32(r.count * r.side * r.side * 3);
    for (let i = 0; i < images.length; i++) images[i] = r.pixels[i]! - mean[i % 3]!;
    return { images, labels: r.labels, count: r.count, side: r.side };
  };
  return { name, side: raw.train.side, classes: classNames.length, classNames, train: toSplit(raw.train), val: toSplit(raw.val), meanRgb: mean, pca: stats ? { eigenvalues: stats.eigenvalues, eigenvectors: stats.eigenvectors } : null, flipInvariant: true, skipped: skippedFiles.length, skippedFiles: skippedFiles.slice(0, 10) };
}

/** Keeps at most n samples of a split (in order), for quick runs on big datasets. */
function limit(r: RawSplit, n: number | undefined): RawSplit {
  if (n === undefined || n >= r.count) return r;
  const px = r.side * r.side * 3;
  return { pixels: r.pixels.subarray(0, n * px), labels: r.labels.subarray(0, n), count: n, side: r.side };
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
      const d = loadCifar(need('the folder of the binary distribution'), kind, req.side);
      const names = Array.from({ length: d.classes }, (_, i) => `class_${i}`);
      return finish(req.spec, names, { train: limit(d.train, req.train), val: limit(d.val, req.val) }, [], req.evalWithMean);
    }
    case 'mnist': {
      const d = loadMnist(need('the folder holding the IDX files'), req.side);
      return finish(req.spec, Array.from({ length: d.classes }, (_, i) => String(i)), { train: limit(d.train, req.train), val: limit(d.val, req.val) }, [], req.evalWithMean);
    }
    case 'folder': {
      const scan = scanFolder(need('one sub-folder per class'), req.valFraction ?? 0.1, req.seed);
      const skipped: string[] = [];
      const train = await decodeItems(req.evalWithMean ? [] : scan.train.slice(0, req.train), req.side, skipped);
      const val = await decodeItems(scan.val.slice(0, req.val), req.side, skipped);
      scan.classNames.forEach((name, label) => {
        if (!req.evalWithMean && !train.labels.includes(label)) throw new DatasetError(`folder:${rest}: class '${name}' has no readable image (all ${scan.train.filter((i) => i.label === label).length} failed to decode)`);
      });
      return finish(req.spec, scan.classNames, { train, val }, skipped, req.evalWithMean);
    }
    default:
      throw new DatasetError(`dataset '${req.spec}': unknown kind '${kind}'; accepted: ${DATASET_KINDS.join(', ')}`);
  }
}
