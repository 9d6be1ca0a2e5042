// "Try the model": image files of any size and format the pipeline reads, prepared exactly as an
// evaluation prepares a folder's test images (smallest side Q, aspect kept, the run's training mean
// RGB subtracted), then scored with a test protocol. A file that cannot be read gets its own error;
// the others are still classified.
import { packLayout, rescaledSize } from '../data/geometry';
import { eachConcurrently } from '../data/image-files';
import { decodeImage, imageSize } from '../data/pipeline/decode';
import type { Split } from '../data/types';

export interface PreparedFiles {
  split: Split;
  /** For each file: its index in the split, or the reason it could not be read. */
  slots: ({ at: number } | { error: string })[];
}

/** Decodes the files at scale Q (in order, a few at a time), keeping each image whole. */
export async function prepareFiles(files: readonly string[], Q: number, meanRgb: readonly [number, number, number], concurrency = 8): Promise<PreparedFiles> {
  const decoded: ({ h: number; w: number; px: Buffer } | { error: string })[] = new Array(files.length);
  await eachConcurrently(files.length, concurrency, async (i) => {
    try {
      const { width, height } = await imageSize(files[i]!);
      const { h, w } = rescaledSize(width, height, Q);
      decoded[i] = { h, w, px: await decodeImage(files[i]!, w, h) };
    } catch (err) {
      decoded[i] = { error: `not a readable image (${(err as Error).message.split('\n')[0]})` };
    }
  });
  const ok = decoded.flatMap((d, i) => ('px' in d ? [i] : []));
  const dims = new Int32Array(ok.length * 2);
  ok.forEach((i, k) => {
    const d = decoded[i] as { h: number; w: number };
    dims[2 * k] = d.h;
    dims[2 * k + 1] = d.w;
  });
  const layout = packLayout(dims);
  const images = new Float32Array(layout.starts[ok.length]!);
  ok.forEach((i, k) => {
    const px = (decoded[i] as { px: Buffer }).px;
    const base = layout.starts[k]!;
    for (let j = 0; j < px.length; j++) images[base + j] = px[j]! - meanRgb[j % 3]!;
  });
  const slot = new Map(ok.map((i, k) => [i, k]));
  return {
    split: { images, labels: new Int32Array(ok.length), count: ok.length, side: Q, layout },
    slots: decoded.map((d, i) => ('px' in d ? { at: slot.get(i)! } : { error: d.error })),
  };
}

/** The k most probable classes of one posterior, most probable first (ties: the lower class first). */
export function topClasses(posterior: ArrayLike<number>, k = 5): { label: number; p: number }[] {
  return Array.from(posterior, (p, label) => ({ label, p }))
    .sort((a, b) => b.p - a.p || a.label - b.label)
    .slice(0, k);
}
