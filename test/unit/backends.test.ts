// What the backend list says where a backend cannot do what its name promises.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUDA11_LIBRARIES, missingCuda11 } from '../../src/main/training/backends/tensorflow';
import { FrameReader } from '../../src/main/training/backends/torch/engine';
import { tempDir } from '../helpers';

describe('tfjs-node-gpu on a machine of today', () => {
  it('names the CUDA 11 libraries it cannot find, in LD_LIBRARY_PATH or the linker cache, and only those', () => {
    const dir = tempDir();
    expect(missingCuda11([dir], '')).toEqual(CUDA11_LIBRARIES);
    // A CUDA 12 machine: libcudart.so.12 is no help.
    fs.writeFileSync(path.join(dir, 'libcudart.so.12'), '');
    expect(missingCuda11([dir], '\tlibcudart.so.12 (libc6,x86-64) => /usr/lib/libcudart.so.12\n')).toEqual(CUDA11_LIBRARIES);
    fs.writeFileSync(path.join(dir, 'libcudart.so.11.0'), '');
    const cache = '\tlibcublas.so.11 (libc6,x86-64) => /usr/local/cuda-11.2/lib64/libcublas.so.11\n';
    expect(missingCuda11([dir], cache)).toEqual(['libcudnn.so.8']);
    fs.writeFileSync(path.join(dir, 'libcudnn.so.8'), '');
    expect(missingCuda11([dir], cache)).toEqual([]);
  });
});

describe('the torch engine’s frames', () => {
  const frame = (header: object, blobs: Buffer[]) => {
    const text = Buffer.from(JSON.stringify({ ...header, blobs: blobs.map((b) => b.length) }));
    const head = Buffer.alloc(4);
    head.writeUInt32LE(text.length);
    return Buffer.concat([head, text, ...blobs]);
  };

  it('come out whole however the pipe cuts them, two in one chunk or one over many', () => {
    const a = frame({ op: 'a' }, [Buffer.from([1, 2, 3, 4]), Buffer.alloc(0)]);
    const b = frame({ op: 'b' }, [Buffer.alloc(10, 7)]);
    const stream = Buffer.concat([a, b]);
    for (const size of [1, 2, 3, 5, 8, 13, stream.length]) {
      const reader = new FrameReader();
      const got: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) got.push(...reader.push(stream.subarray(at, at + size)));
      expect(got.map((f) => Buffer.from(f)), `chunks of ${size}`).toEqual([a, b]);
    }
  });

  it('a 64 MiB frame arriving in 64 KiB chunks is joined twice at most, not once a chunk', () => {
    const big = frame({ op: 'get' }, [Buffer.alloc(64 * 2 ** 20, 1)]);
    const reader = new FrameReader();
    const got: Buffer[] = [];
    for (let at = 0; at < big.length; at += 65536) got.push(...reader.push(big.subarray(at, at + 65536)));
    expect(got).toHaveLength(1);
    expect(got[0]!.length).toBe(big.length);
    expect(reader.joins).toBeLessThanOrEqual(2);
  });
});
