// Where the training images live, in a form every pipeline thread can read: in-memory datasets
// (built-in, CIFAR, MNIST) as one shared array of S×S images; image folders as a cache of decoded
// images, each rescaled so its smallest side is S and kept at its own size (data/geometry.ts), in
// shared memory up to a budget and in one file on disk beyond it.
import fs from 'node:fs';
import { imageAt, packLayout, type Layout } from '../geometry';
import type { Pixels } from './window';

export type ImageStore =
  | { kind: 'memory'; side: number; count: number; pixels: Pixels }
  | {
      kind: 'files';
      side: number;
      files: string[];
      /** Each image's stored size and where its bytes start (in `mem`, or from memBytes on in `diskFile`). */
      layout: Layout;
      /** Images 0 … memCount−1 live in `mem`; the rest in `diskFile` at starts[i] − memBytes. */
      memCount: number;
      mem: Uint8Array;
      diskFile: string | null;
    };

/** One stored image: its pixels, where they start, and its size. */
export interface StoredImage {
  px: Pixels;
  base: number;
  h: number;
  w: number;
}

export const imageBytes = (h: number, w = h) => h * w * 3;

/** Plans a cache for decoded images of the given sizes (h, w pairs) under a memory budget (bytes). */
export function planFileStore(files: string[], side: number, dims: Int32Array, budgetBytes: number, diskFile: string): Extract<ImageStore, { kind: 'files' }> {
  const layout = packLayout(dims);
  let memCount = 0;
  while (memCount < files.length && layout.starts[memCount + 1]! <= budgetBytes) memCount++;
  const memBytes = layout.starts[memCount]!;
  const spill = layout.starts[files.length]! - memBytes;
  if (spill > 0) {
    fs.writeFileSync(diskFile, '');
    fs.truncateSync(diskFile, spill);
  }
  return { kind: 'files', side, files, layout, memCount, mem: new Uint8Array(new SharedArrayBuffer(memBytes)), diskFile: spill > 0 ? diskFile : null };
}

/** Bytes of the images a store keeps in memory and on disk. */
export function storeBytes(store: Extract<ImageStore, { kind: 'files' }>): { mem: number; disk: number } {
  const mem = store.layout.starts[store.memCount]!;
  return { mem, disk: store.layout.starts[store.files.length]! - mem };
}

/** Reads and writes images of a store from one thread (each thread opens the disk file itself). */
export class StoreAccess {
  private fd: number | null = null;
  private scratch = new Uint8Array(0);
  /** Where the disk part starts in the store's byte layout (the images kept in memory come first). */
  private readonly memBytes: number;
  constructor(readonly store: ImageStore) {
    this.memBytes = store.kind === 'files' ? storeBytes(store).mem : 0;
  }

  /** Image i; its pixel array may be reused by the next call. */
  read(i: number): StoredImage {
    const s = this.store;
    if (s.kind === 'memory') return { px: s.pixels, ...imageAt(i, s.side) };
    const { base, h, w } = imageAt(i, s.side, s.layout);
    if (i < s.memCount) return { px: s.mem, base, h, w };
    const bytes = imageBytes(h, w);
    if (this.scratch.length < bytes) this.scratch = new Uint8Array(bytes);
    fs.readSync(this.disk(), this.scratch, 0, bytes, base - this.memBytes);
    return { px: this.scratch, base: 0, h, w };
  }

  write(i: number, pixels: Uint8Array): void {
    const s = this.store;
    if (s.kind !== 'files') throw new Error('in-memory stores are written when loaded');
    const { base, h, w } = imageAt(i, s.side, s.layout);
    if (pixels.length !== imageBytes(h, w)) throw new Error(`image ${i} decoded to ${pixels.length} bytes, planned ${imageBytes(h, w)}`);
    if (i < s.memCount) s.mem.set(pixels, base);
    else fs.writeSync(this.disk(), pixels, 0, pixels.length, base - this.memBytes);
  }

  private disk(): number {
    if (this.fd === null) {
      if (this.store.kind !== 'files' || !this.store.diskFile) throw new Error('this store has no disk part');
      this.fd = fs.openSync(this.store.diskFile, 'r+');
    }
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
