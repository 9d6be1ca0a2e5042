// Output buffers of the native kernels, reused: a training step allocates the same few dozen
// activation-sized arrays every time, and fresh ones cost a zero fill each and garbage collections.
// A buffer comes back when TF.js disposes the last tensor using it, unless it has escaped: read
// out by user code (dataSync/data), or shared with another tensor (a view or a second owner).
import type { DataId } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/** Smaller arrays are cheap to allocate; pooling them is not worth the bookkeeping. */
const MIN_POOLED = 4096;
/**
 * Spare buffers kept at most, in bytes: this, or as much as was ever in use at once if more. A
 * step of W3 (VGG-D at 224 px) replaces fc1's 411 MB weight and momentum; with a fixed 512 MiB cap
 * both were dropped and allocated afresh every step, and the kernel zeroing their pages took 5 % of
 * the step. Spares never exceed what the run itself needed at its peak.
 */
const MIN_SPARE_CAP = 512 * 2 ** 20;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owners = new WeakMap<ArrayBufferLike, Float32Array>();
  private readonly inUse = new WeakSet<Float32Array>();
  private readonly escaped = new WeakSet<Float32Array>();
  private spareBytes = 0;
  /** Bytes of pooled buffers handed out and not yet back, and the most ever at once. */
  private liveBytes = 0;
  private peakLiveBytes = 0;
  reused = 0;
  allocated = 0;

  /** An array of n floats with arbitrary contents: the kernel must write every element. */
  alloc(n: number): Float32Array {
    if (n < MIN_POOLED) return new Float32Array(n);
    const spare = this.free.get(n)?.pop();
    const a = spare ?? new Float32Array(n);
    if (spare) {
      this.spareBytes -= spare.byteLength;
      this.reused += 1;
    } else {
      this.owners.set(a.buffer, a);
      this.allocated += 1;
    }
    this.liveBytes += a.byteLength;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    return a;
  }

  /** Called when a tensor's data is stored: a pooled buffer may back exactly one tensor, whole. */
  track(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const owner = this.owners.get(values.buffer);
    if (!owner) return;
    if (values !== owner || this.inUse.has(owner)) this.escaped.add(owner);
    else this.inUse.add(owner);
  }

  /** Called when a tensor's values are handed out to code outside the backend. */
  escape(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const owner = this.owners.get(values.buffer);
    if (owner) this.escaped.add(owner);
  }

  /** Called when the last tensor using `values` is gone. */
  release(values: unknown): void {
    if (!(values instanceof Float32Array) || this.owners.get(values.buffer) !== values) return;
    this.inUse.delete(values);
    this.liveBytes -= values.byteLength;
    if (this.escaped.has(values)) {
      this.owners.delete(values.buffer);
      return;
    }
    if (this.spareBytes + values.byteLength > Math.max(MIN_SPARE_CAP, this.peakLiveBytes)) {
      this.owners.delete(values.buffer);
      return;
    }
    const list = this.free.get(values.length) ?? [];
    list.push(values);
    this.free.set(values.length, list);
    this.spareBytes += values.byteLength;
  }
}

/** TF.js's CPU backend, telling the pool when tensor data is stored, read out and freed. */
export class PooledCpuBackend extends MathBackendCPU {
  constructor(readonly pool: BufferPool) {
    super();
  }

  override write(values: Parameters<MathBackendCPU['write']>[0], shape: number[], dtype: Parameters<MathBackendCPU['write']>[2]): DataId {
    this.pool.track(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: Parameters<MathBackendCPU['move']>[1], shape: number[], dtype: Parameters<MathBackendCPU['move']>[3], refCount: number): void {
    this.pool.track(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  /**
   * The values of `dataId` for a caller that reads them at once and keeps no reference (a
   * checkpoint being written): unlike readSync, the buffer stays the pool's. Marking VGG-D's
   * weights and momentum escaped dropped 1.1 GB from the pool at every epoch's checkpoint, and
   * the next step allocated it afresh.
   */
  lend(dataId: DataId): ReturnType<MathBackendCPU['readSync']> {
    return super.readSync(dataId);
  }

  override readSync(dataId: DataId): ReturnType<MathBackendCPU['readSync']> {
    const v = super.readSync(dataId);
    this.pool.escape(v);
    return v;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const gone = super.disposeData(dataId, force);
    if (gone) this.pool.release(values);
    return gone;
  }
}
