// The native backend's output-buffer pool: what comes back is handed out again, including buffers
// larger than its minimum spare cap when the run itself used that much at once (W3's fc1).
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/main/training/backends/native/pool';

/** Hands out n floats as a kernel output, stored by one tensor. */
function output(pool: BufferPool, n: number): Float32Array {
  const a = pool.alloc(n);
  pool.track(a);
  return a;
}

describe('native output buffer pool', () => {
  it('reuses a released buffer of the same size, and never one still in use or read out', () => {
    const pool = new BufferPool();
    const a = output(pool, 10_000);
    const b = output(pool, 10_000);
    pool.escape(b);
    pool.release(a);
    pool.release(b);
    expect(output(pool, 10_000)).toBe(a);
    // b was read out by user code: it is never handed out again.
    expect(output(pool, 10_000)).not.toBe(b);
  });

  it('keeps spares as large as the run needed at its peak, beyond 512 MiB', () => {
    const pool = new BufferPool();
    // A weight and its momentum of 600 MB each (pages are only reserved, never touched here).
    const n = 150_000_000;
    const w = output(pool, n);
    const v = output(pool, n);
    pool.release(w);
    pool.release(v);
    const before = pool.reused;
    const again = [output(pool, n), output(pool, n)];
    // The very same two buffers (compared by identity: 150 M elements each).
    expect(again[0] === v && again[1] === w).toBe(true);
    expect(pool.reused).toBe(before + 2);
  });
});
