// Where the training images live, in a form every pipeline thread can read: in-memory datasets
// (built-in, CIFAR, MNIST) as one shared array; image folders as a cache of decoded S×S images,
// in shared memory up to a budget and in one file on disk beyond it.
import fs from 'node:fs';
import type { Pixels } from './augment';

export type ImageStore =
  | { kind: 'memory'; side: number; count: number; pixels: Pixels }
  | {
      kind: 'files';
      side: number;
      files: string[];
      /** Images 0 … memSlots−1 live in `mem`; the rest at (i − memSlots)·bytes in `diskFile`. */
      memSlots: number;
      mem: Uint8Array;
      diskFile: string | null;
    };

export const imageBytes = (side: number) => side * side * 3;

/** Plans a cache for `count` decoded images of side S under a memory budget (bytes). */
export function planFileStore(files: string[], side: number, budgetBytes: number, diskFile: string): Extract<ImageStore, { kind: 'files' }> {
  const bytes = imageBytes(side);
  const memSlots = Math.min(files.length, Math.max(0, Math.floor(budgetBytes / bytes)));
  const spill = files.length - memSlots;
  if (spill > 0) {
    fs.writeFileSync(diskFile, '');
    fs.truncateSync(diskFile, spill * bytes);
  }
  return { kind: 'files', side, files, memSlots, mem: new Uint8Array(new SharedArrayBuffer(memSlots * bytes)), diskFile: spill > 0 ? diskFile : null };
}

/** Reads and writes images of a store from one thread (each thread opens the disk file itself). */
export class StoreAccess {
  private fd: number | null = null;
  private readonly scratch: Uint8Array;
  constructor(readonly store: ImageStore) {
    this.scratch = new Uint8Array(imageBytes(store.side));
  }

  /** The pixels of image i and where they start; the array may be reused by the next call. */
  read(i: number): [Pixels, number] {
    const s = this.store;
    const bytes = imageBytes(s.side);
    if (s.kind === 'memory') return [s.pixels, i * bytes];
    if (i < s.memSlots) return [s.mem, i * bytes];
    fs.readSync(this.disk(), this.scratch, 0, bytes, (i - s.memSlots) * bytes);
    return [this.scratch, 0];
  }

  write(i: number, pixels: Uint8Array): void {
    const s = this.store;
    if (s.kind !== 'files') throw new Error('in-memory stores are written when loaded');
    const bytes = imageBytes(s.side);
    if (i < s.memSlots) s.mem.set(pixels, i * bytes);
    else fs.writeSync(this.disk(), pixels, 0, bytes, (i - s.memSlots) * bytes);
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
