// Reading the files of the binary distributions (CIFAR, IDX): errors name the file and what went wrong.
import fs from 'node:fs';
import { DatasetError } from './errors';
import type { RawSplit } from './types';

export function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'EACCES' ? `${file}: permission denied` : `${file}: cannot be read (${code ?? (err as Error).message})`);
  }
}

/** A split with no images (the training split when only the test split is read). */
export const emptySplit = (side: number): RawSplit => ({ pixels: new Float32Array(0), labels: new Int32Array(0), count: 0, side });
