// What the backend list says where a backend cannot do what its name promises.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUDA11_LIBRARIES, missingCuda11 } from '../../src/main/training/backends/tensorflow';
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
