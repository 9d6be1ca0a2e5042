// Opens a dataset for training: the validation split in memory, the training split behind a feed.
// Image folders are decoded once by the whole pool into the store (each image with its smallest side
// S and its aspect ratio kept; memory up to the cache budget, disk beyond), which also yields the exact train mean RGB and colour axes; in-memory datasets are
// shared with the pool as they are.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeItems, plannedSizes } from '../image-files';
import { MAX_ASPECT } from '../geometry';
import { loadDataset, pickItems, type DatasetRequest } from '../index';
import { parseSpec } from '../spec';
import { checkLimit } from '../subset';
import { sharedFloat32 } from '../shared';
import { statsFromSums } from '../stats';
import { checkEveryClassRead } from '../splits';
import type { LoadedDataset, Split } from '../types';
import type { AugmentOptions } from './augment';
import { InThreadFeed, type FeedIndex, type TrainFeed } from './feed';
import { PoolFeed, WorkerPool } from './pool';
import { planFileStore, storeBytes, type ImageStore } from './store';
import { windowKernel } from './window';

export interface PipelineOptions {
  /** Threads building batches during training; 0 builds them on the training thread. */
  workers: number;
  /** Threads decoding an image folder before training (the trainer is idle then: all cores). */
  decodeWorkers: number;
  /** Decoded images kept in memory up to this many bytes; the rest go to a file in cacheDir. */
  cacheBytes: number;
  cacheDir: string;
  seed: number;
  /** Crop side (the input size) and the scale-jittering range (images are stored at its max). */
  size: number;
  jitter: { min: number; max: number } | null;
  /** The backend's threads take every core (a CPU backend): the batch threads run at a lower priority (data/pipeline/priority.ts). */
  yieldToBackend?: boolean;
  log?: (message: string) => void;
}

export type TrainingMeta = Omit<LoadedDataset, 'train'> & { train: { count: number; side: number } };

export interface TrainingSet {
  data: TrainingMeta;
  feed: TrainFeed;
  /** Ends the pipeline's threads and removes the disk cache. */
  close(): Promise<void>;
}

/** The default number of batch-building threads: the cores the compute backend leaves free, at least one (backends on the CPU use every core). */
export function defaultPipelineWorkers(backendUsesCpuCores: boolean): number {
  return backendUsesCpuCores ? 1 : Math.max(1, os.availableParallelism() - 1);
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const cropsCut = (route: 'addon' | 'JavaScript') => `crops cut ${route === 'addon' ? 'by the addon' : 'in JavaScript'}`;

async function makeFeed(store: ImageStore, index: FeedIndex, augment: AugmentOptions, opts: PipelineOptions): Promise<TrainFeed> {
  let feed: TrainFeed;
  if (opts.workers > 0) {
    const pool = new WorkerPool(opts.workers, store, augment, opts.yieldToBackend);
    // Started before training, so the first steps do not wait for threads to boot.
    const { crops, threads } = await pool.ready;
    const poolFeed = new PoolFeed(pool, index);
    const nice = [...new Set(threads.map((t) => t.nice))];
    opts.log?.(`data pipeline: ${opts.workers} worker thread(s) build the training batches${nice.length === 1 && nice[0] !== 0 ? ` at nice ${nice[0]}` : ''}, up to ${poolFeed.maxDepth} batches ahead, ${cropsCut(crops)}`);
    feed = poolFeed;
  } else {
    feed = new InThreadFeed(store, index, augment);
    opts.log?.(`data pipeline: batches built on the training thread (--data-workers 0), ${cropsCut(windowKernel().route)}`);
  }
  return feed;
}

export async function openTrainingSet(req: DatasetRequest, opts: PipelineOptions): Promise<TrainingSet> {
  const side = req.side;
  const spec = parseSpec(req.dataset);
  if (!spec.source.scan) {
    const data = await loadDataset(req);
    const store: ImageStore = { kind: 'memory', side, count: data.train.count, pixels: data.train.images };
    const index = { store: Int32Array.from({ length: data.train.count }, (_, i) => i), labels: data.train.labels };
    // These images are stored with the mean already subtracted.
    const flip = req.flip ?? data.flipInvariant;
    const augment: AugmentOptions = { seed: opts.seed, size: opts.size, side, flip, pca: data.pca, jitter: opts.jitter, mean: [0, 0, 0] };
    const feed = await makeFeed(store, index, augment, opts);
    return { data: { ...data, flipInvariant: flip, train: { count: data.train.count, side } }, feed, close: () => feed.close() };
  }

  const scan = spec.source.scan(spec.arg!, req);
  checkLimit('training', req.trainSamples, scan.classNames.length, req.dataset);
  const picked = pickItems(scan.train, req.trainSamples, req.seed);
  const skippedFiles: string[] = [];
  // Each image is stored with its smallest side S and its own aspect ratio: sizes come from the headers.
  const sizes = await plannedSizes(picked.map((i) => i.file), side, Math.max(8, opts.decodeWorkers * 2));
  picked.forEach((item, i) => sizes[i] || skippedFiles.push(item.file));
  const items = picked.filter((_, i) => sizes[i]);
  const dims = Int32Array.from(sizes.filter((d) => d !== null).flatMap((d) => [d.h, d.w]));
  const valRaw = await decodeItems(pickItems(scan.val, req.valSamples, req.seed), side, skippedFiles);

  // The cache folder belongs to this run: files left by a killed process are stale.
  for (const f of fs.existsSync(opts.cacheDir) ? fs.readdirSync(opts.cacheDir) : []) if (/^decoded-\d+-\d+\.bin$/.test(f)) fs.rmSync(path.join(opts.cacheDir, f), { force: true });
  fs.mkdirSync(opts.cacheDir, { recursive: true });
  const diskFile = path.join(opts.cacheDir, `decoded-${process.pid}-${Date.now()}.bin`);
  const store = planFileStore(items.map((i) => i.file), side, dims, opts.cacheBytes, diskFile);
  const cleanup = () => store.diskFile && fs.rmSync(store.diskFile, { force: true });
  const spilled = items.length - store.memCount;
  const bytes = storeBytes(store);
  const wide = items.filter((_, i) => Math.max(dims[2 * i]!, dims[2 * i + 1]!) === Math.round(MAX_ASPECT * side)).length;
  opts.log?.(`decoding ${items.length} training images, smallest side S=${side}, aspect ratio kept${wide ? ` (${wide} at the ${MAX_ASPECT}:1 limit, longer sides cut to it)` : ''}, with ${opts.decodeWorkers} worker thread(s); cache: ${store.memCount} in memory (${mib(bytes.mem)}), ${spilled} on disk${spilled ? ` (${mib(bytes.disk)})` : ''}`);
  const decoder = new WorkerPool(opts.decodeWorkers, store, { seed: 0, size: side, side, flip: false, pca: null, jitter: null, mean: [0, 0, 0] });
  let decoded;
  try {
    await decoder.ready;
    decoded = await decoder.decodeAll(items.length);
  } catch (err) {
    cleanup();
    throw err;
  } finally {
    await decoder.close();
  }
  const broken = new Set(decoded.broken);
  for (const i of decoded.broken) skippedFiles.push(items[i]!.file);
  const good = items.map((_, i) => i).filter((i) => !broken.has(i));
  try {
    checkEveryClassRead(req.dataset, scan.classNames, picked, (label) => good.some((i) => items[i]!.label === label));
  } catch (err) {
    cleanup();
    throw err;
  }
  const stats = statsFromSums(decoded.sums);
  const rate = (items.length / Math.max(decoded.ms, 1e-3)) * 1000 * opts.decodeWorkers;
  opts.log?.(`decoded ${items.length} images (${rate.toFixed(0)} images/s with ${opts.decodeWorkers} thread(s)); ${decoded.broken.length} unreadable`);
  const mean = stats.mean;
  const val: Split = { images: sharedFloat32(valRaw.pixels.length), labels: valRaw.labels, count: valRaw.count, side };
  for (let i = 0; i < val.images.length; i++) val.images[i] = valRaw.pixels[i]! - mean[i % 3]!;
  const index: FeedIndex = { store: Int32Array.from(good), labels: Int32Array.from(good, (i) => items[i]!.label) };
  const augment: AugmentOptions = { seed: opts.seed, size: opts.size, side, flip: req.flip ?? true, pca: { eigenvalues: stats.eigenvalues, eigenvectors: stats.eigenvectors }, jitter: opts.jitter, mean };
  const data: TrainingMeta = {
    name: req.dataset,
    side,
    classes: scan.classNames.length,
    classNames: scan.classNames,
    train: { count: good.length, side },
    val,
    meanRgb: mean,
    pca: augment.pca,
    evalSplit: scan.test ? 'test' : 'val',
    flipInvariant: augment.flip,
    skipped: skippedFiles.length,
    skippedFiles: skippedFiles.slice(0, 10),
  };
  const feed = await makeFeed(store, index, augment, opts);
  return {
    data,
    feed,
    close: async () => {
      await feed.close();
      cleanup();
    },
  };
}
