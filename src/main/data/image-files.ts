// Image-file datasets (a kind whose source scans files instead of holding pixels): the scan a kind
// returns, and the decoding of its files at scale S — by loadDataset for evaluation and registration,
// and by the training pipeline's worker threads (pipeline/open.ts). Images are decoded by sharp (EXIF
// rotation, any colour space, 8 or 16 bit, alpha dropped) and rescaled isotropically so the shorter
// side is S: kept whole (evaluation, the training cache) or as their central S×S square (validation
// during training, which looks at central crops only).
import { packLayout, rescaledSize } from './geometry';
import { decodeImage, imageSize } from './pipeline/decode';
import type { RawSplit } from './types';

export interface Item {
  file: string;
  label: number;
}

/** The classes and the files of each split. */
export interface ImageFileScan {
  classNames: string[];
  train: Item[];
  val: Item[];
  /** The data's own test split, where it has one: evaluation reports it. */
  test?: Item[];
}

/** Runs `work(i)` for i = 0 … count − 1, at most `concurrency` at a time (file reads and decodes wait on I/O and sharp's threads). */
export async function eachConcurrently(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** The stored size of each file at scale S (smallest side S, aspect kept); null where the header cannot be read. */
export async function plannedSizes(files: string[], side: number, concurrency = 8): Promise<({ h: number; w: number } | null)[]> {
  const out: ({ h: number; w: number } | null)[] = new Array(files.length).fill(null);
  await eachConcurrently(files.length, concurrency, async (i) => {
    try {
      const { width, height } = await imageSize(files[i]!);
      out[i] = rescaledSize(width, height, side);
    } catch {
      out[i] = null;
    }
  });
  return out;
}

/**
 * Decodes a list in order; unreadable files are skipped and reported, never fatal. `whole`: each
 * image keeps its aspect ratio (smallest side S) and the split gets a layout; else its central S×S square.
 */
export async function decodeItems(items: Item[], side: number, skipped: string[], whole = false, concurrency = 4): Promise<RawSplit> {
  const sizes = whole ? await plannedSizes(items.map((i) => i.file), side) : null;
  const decoded: (Buffer | null)[] = new Array(items.length).fill(null);
  await eachConcurrently(items.length, concurrency, async (i) => {
    const size = sizes ? sizes[i] : { h: side, w: side };
    try {
      if (!size) throw new Error('unreadable header');
      decoded[i] = await decodeImage(items[i]!.file, size.w, size.h);
    } catch {
      decoded[i] = null;
    }
  });
  const kept = items.map((_, i) => i).filter((i) => decoded[i]);
  for (let i = 0; i < items.length; i++) if (!decoded[i]) skipped.push(items[i]!.file);
  const dims = new Int32Array(kept.length * 2);
  kept.forEach((i, k) => {
    const size = sizes ? sizes[i]! : { h: side, w: side };
    dims[2 * k] = size.h;
    dims[2 * k + 1] = size.w;
  });
  const layout = packLayout(dims);
  const pixels = new Uint8Array(layout.starts[kept.length]!);
  kept.forEach((i, k) => pixels.set(decoded[i]!, layout.starts[k]!));
  return { pixels, labels: Int32Array.from(kept, (i) => items[i]!.label), count: kept.length, side, ...(whole ? { layout } : {}) };
}
