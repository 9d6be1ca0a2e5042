// Batches cross to the torch engine through a shared-memory file (tmpfs), not its pipe. Through the
// pipe (a Unix socket: Node's stdio), every batch had the kernel take fresh pages for the socket's
// buffers, fill them, and free them once read: W2's 384 KiB batch cost the app ~270 µs and the engine
// as much again each step, on the cores PyTorch's threads compute on (they wait at each barrier for
// a thread the copy has preempted): W2 trained at 0.86–0.90 of the same engine looping on its own.
// A slot of the file is written in place (its pages stay, so the write is one copy into memory
// already there), the engine maps the file and reads the batch where it lies, and the slot is
// written again only once that request has been answered.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

/** Blobs smaller than this cross the pipe (labels, headers): a slot is for batches. */
export const SLOT_MIN_BYTES = 64 * 1024;
/**
 * Slots: the requests that may be in flight with a batch in shared memory (the trainer sends up to 8
 * steps before it reads their losses back); more take the pipe. Fewer where batches are large, so
 * that the file stays within SLOT_BUDGET_BYTES of memory.
 */
export const SLOTS = 12;
const SLOT_BUDGET_BYTES = 256 * 2 ** 20;

/** tmpfs where there is one (Linux); elsewhere the pipe alone. VGGLAB_TORCH_SHM=0 turns slots off (read when an engine starts). */
export function shmDir(): string | null {
  if (process.env.VGGLAB_TORCH_SHM === '0' || process.platform !== 'linux') return null;
  return fs.existsSync('/dev/shm') ? '/dev/shm' : null;
}

export class BatchSlots {
  private free: number[];
  private closed = false;
  /** A write failed (tmpfs full: a container's /dev/shm may be 64 MiB): every batch takes the pipe from then on. */
  private failed = false;

  private constructor(
    private readonly fd: number,
    /** The file's path until the engine has opened it, then unlinked (nothing is left behind). */
    readonly file: string,
    readonly slotBytes: number,
    readonly count: number,
  ) {
    this.free = Array.from({ length: count }, (_, i) => i);
  }

  /** Slots for blobs of up to `bytes` (larger ones take the pipe), or null where there is no shared memory to use. */
  static create(dir: string, bytes: number): BatchSlots | null {
    // Whole pages, so that each slot starts page-aligned (and float-aligned) in the engine's map.
    const page = 4096;
    const slotBytes = Math.ceil(bytes / page) * page;
    const count = Math.max(2, Math.min(SLOTS, Math.floor(SLOT_BUDGET_BYTES / slotBytes)));
    const file = path.join(dir, `vgglab-torch-${process.pid}-${randomUUID()}`);
    try {
      const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      fs.ftruncateSync(fd, slotBytes * count);
      return new BatchSlots(fd, file, slotBytes, count);
    } catch {
      try {
        fs.unlinkSync(file);
      } catch {
        /* never created */
      }
      return null;
    }
  }

  get size(): number {
    return this.slotBytes * this.count;
  }

  /** The blob written into a free slot; the slot's number, or null where none is free or the blob does not fit. */
  put(blob: Buffer): number | null {
    if (this.failed || this.closed || blob.byteLength > this.slotBytes || !this.free.length) return null;
    const slot = this.free[0]!;
    try {
      if (fs.writeSync(this.fd, blob, 0, blob.byteLength, slot * this.slotBytes) !== blob.byteLength) throw new Error('short write');
    } catch {
      this.failed = true;
      return null;
    }
    this.free.shift();
    return slot;
  }

  /** Slots whose request has been answered (or has failed): free to write again. */
  release(slots: number[]): void {
    this.free.push(...slots);
  }

  /** The file's name gone from the file system (the engine has it mapped, and this fd stays open). */
  unlink(): void {
    try {
      fs.unlinkSync(this.file);
    } catch {
      /* already gone */
    }
  }

  /** Once only: a descriptor closed twice may close another file that took its number. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unlink();
    fs.closeSync(this.fd);
  }
}
