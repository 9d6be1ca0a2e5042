// The data section of `vgglab bench`: images/s of the input pipeline alone (one worker and the
// whole pool) — decoding files into the cache (once per run) and building augmented batches from it
// (every epoch) — beside sharp's own decode-and-resize throughput on the same files in one thread.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { mulberry32 } from '../data/rng';
import type { AugmentOptions } from '../data/pipeline/augment';
import { PoolFeed, WorkerPool } from '../data/pipeline/pool';
import { plannedSizes } from '../data/image-files';
import { planFileStore } from '../data/pipeline/store';

export interface DataBenchRow {
  set: string;
  threads: number;
  /** Files to the cache: decode, rescale to S, store, sum the colour statistics (once per run). */
  decodeImagesPerSec: number;
  /** Cache to batches: crop, flip, colour shift, mean subtraction (every epoch). */
  augmentImagesPerSec: number;
  /** Both, back to back: a first epoch from cold. */
  coldImagesPerSec: number;
  /** sharp alone, one image at a time on one thread: decode and rescale to S. */
  sharpImagesPerSec: number;
  /** sharp's rate over the pipeline's decode rate per thread (target ≤ 1.3). */
  perThreadRatio: number;
  /** What cut the crops: the addon's kernel or JavaScript (data/pipeline/window.ts). */
  crops: 'addon' | 'JavaScript';
}

interface ImageSet {
  name: string;
  files: string[];
  side: number;
  crop: number;
}

/** Natural-looking test images (smooth colour fields plus noise) so that codecs do real work. */
async function writeSet(dir: string, name: string, count: number, w: number, h: number, format: 'png' | 'jpeg', side: number, crop: number): Promise<ImageSet> {
  fs.mkdirSync(dir, { recursive: true });
  const rng = mulberry32(count * 31 + w);
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const raw = Buffer.alloc(w * h * 3);
    const f = [1 + rng() * 4, 1 + rng() * 4, rng() * 6];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) raw[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, 128 + 90 * Math.sin((f[0]! * x) / w * 6 + (f[1]! * y) / h * 6 + c + f[2]!) + (rng() - 0.5) * 40));
    const file = path.join(dir, `${i}.${format === 'jpeg' ? 'jpg' : 'png'}`);
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } })[format]().toFile(file);
    files.push(file);
  }
  return { name, files, side, crop };
}

async function sharpBaseline(set: ImageSet): Promise<number> {
  const before = sharp.concurrency();
  sharp.concurrency(1);
  try {
    const t0 = performance.now();
    for (const f of set.files) await sharp(f).resize(set.side, set.side, { fit: 'outside' }).raw().toBuffer();
    return (set.files.length / (performance.now() - t0)) * 1000;
  } finally {
    sharp.concurrency(before);
  }
}

async function pipelineRates(set: ImageSet, threads: number, cacheDir: string): Promise<{ decode: number; augment: number; crops: 'addon' | 'JavaScript' }> {
  // Reading the headers to plan each image's stored size is part of decoding a folder.
  const probe0 = performance.now();
  const sizes = await plannedSizes(set.files, set.side);
  const probeMs = performance.now() - probe0;
  const store = planFileStore(set.files, set.side, Int32Array.from(sizes.flatMap((d) => [d!.h, d!.w])), 2 ** 31, path.join(cacheDir, 'bench.bin'));
  const augment: AugmentOptions = { seed: 1, size: set.crop, side: set.side, flip: true, pca: { eigenvalues: [900, 100, 20], eigenvectors: [[0.58, 0.58, 0.58], [0.7, 0, -0.7], [0.4, -0.8, 0.4]] }, jitter: null, mean: [120, 115, 100] };
  const pool = new WorkerPool(threads, store, augment);
  const { crops } = await pool.ready;
  const index = { store: Int32Array.from(set.files, (_, i) => i), labels: new Int32Array(set.files.length) };
  const feed = new PoolFeed(pool, index);
  const batch = 32;
  const epoch = async (e: number) => {
    feed.startEpoch(e, Int32Array.from(index.store), 0, batch);
    for (let s = 0; s < Math.ceil(set.files.length / batch); s++) (await feed.next()).release();
  };
  try {
    const t0 = performance.now();
    await pool.decodeAll(set.files.length);
    const decode = (set.files.length / (performance.now() - t0 + probeMs)) * 1000;
    await epoch(1);
    const t1 = performance.now();
    await epoch(2);
    await epoch(3);
    const augment = ((2 * set.files.length) / (performance.now() - t1)) * 1000;
    return { decode, augment, crops };
  } finally {
    await feed.close();
  }
}

export async function runDataBench(log: (s: string) => void): Promise<DataBenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-databench-'));
  try {
    log('data: writing test images…');
    const sets = [await writeSet(path.join(dir, 'png32'), '32×32 PNG → 32 crop (S 37)', 2000, 32, 32, 'png', 37, 32), await writeSet(path.join(dir, 'jpeg256'), '256×341 JPEG → 224 crop (S 256)', 200, 341, 256, 'jpeg', 256, 224)];
    const rows: DataBenchRow[] = [];
    const cores = os.availableParallelism();
    for (const set of sets) {
      log(`data: ${set.name}: sharp alone…`);
      const sharpRate = await sharpBaseline(set);
      for (const threads of [...new Set([1, cores])]) {
        log(`data: ${set.name}: pipeline with ${threads} thread(s)…`);
        const r = await pipelineRates(set, threads, dir);
        rows.push({
          set: set.name,
          threads,
          decodeImagesPerSec: r.decode,
          augmentImagesPerSec: r.augment,
          coldImagesPerSec: 1 / (1 / r.decode + 1 / r.augment),
          sharpImagesPerSec: sharpRate,
          perThreadRatio: sharpRate / (r.decode / threads),
          crops: r.crops,
        });
      }
    }
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
