// Turning decoded images into the splits a run sees: subsets taken evenly across classes, validation
// carved from train where the data has its own test set, and the paper's only preprocessing — the
// training set's mean RGB subtracted.
import { rgbStats } from './stats';
import { sharedFloat32 } from './shared';
import { balancedSubset, carveValidation, checkLimit } from './subset';
import type { DatasetRequest, LoadedDataset, RawSplit, Split } from './types';
import { DatasetError } from './errors';

/** Refuses a dataset in which some class kept no readable image: `picked` are the files tried, `kept` the labels decoded. */
export function checkEveryClassRead(dataset: string, classNames: string[], picked: { label: number }[], kept: (label: number) => boolean): void {
  classNames.forEach((name, label) => {
    if (!kept(label)) throw new DatasetError(`${dataset}: class '${name}' has no readable image (all ${picked.filter((i) => i.label === label).length} failed to decode)`);
  });
}

/** At most n items of a list, evenly across classes (seeded). */
export function pickItems<T extends { label: number }>(items: T[], n: number | undefined, seed: number): T[] {
  const keep = balancedSubset(items.map((i) => i.label), n, seed);
  return keep ? keep.map((i) => items[i]!) : items;
}

/** Subtracts the training set's mean RGB (computed here, on train, unless given) and shares the pixels with worker threads. */
export function finish(name: string, classNames: string[], raw: { train: RawSplit; val: RawSplit }, skippedFiles: string[], given: [number, number, number] | undefined, evalSplit: 'val' | 'test', flipInvariant = true): LoadedDataset {
  const stats = raw.train.count ? rgbStats(raw.train.pixels, raw.train.pixels.length / 3) : null;
  const mean: [number, number, number] = given ? [...given] : (stats?.mean ?? [0, 0, 0]);
  const toSplit = (r: RawSplit): Split => {
    const images = sharedFloat32(r.pixels.length);
    for (let i = 0; i < images.length; i++) images[i] = r.pixels[i]! - mean[i % 3]!;
    return { images, labels: r.labels, count: r.count, side: r.side, ...(r.layout ? { layout: r.layout } : {}) };
  };
  return { name, side: raw.train.side, classes: classNames.length, classNames, train: toSplit(raw.train), val: toSplit(raw.val), meanRgb: mean, pca: stats ? { eigenvalues: stats.eigenvalues, eigenvectors: stats.eigenvectors } : null, evalSplit, flipInvariant, skipped: skippedFiles.length, skippedFiles: skippedFiles.slice(0, 10) };
}

/** The samples of a (square) split at the given indices. */
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
export function threeSplits(spec: string, classNames: string[], d: { train: RawSplit; test: RawSplit }, req: DatasetRequest, flip: boolean): LoadedDataset {
  if (req.evalWithMean) return finish(spec, classNames, { train: d.train, val: d.test }, [], req.evalWithMean, 'test', flip);
  checkLimit('training', req.trainSamples, classNames.length, spec);
  const carved = carveValidation(d.train.labels, req.valFraction ?? 0.1, req.seed);
  const train = limit(gather(d.train, carved.train), req.trainSamples, req.seed);
  const val = limit(gather(d.train, carved.val), req.valSamples, req.seed);
  return finish(spec, classNames, { train, val }, [], undefined, 'test', flip);
}
