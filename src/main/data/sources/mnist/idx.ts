// MNIST-style IDX files (MNIST, Fashion-MNIST), gzipped or not: one channel, made RGB.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DatasetError } from '../../errors';
import { emptySplit, readFile } from '../../raw-files';
import { resizeSquare } from '../../resize';
import type { RawSplit } from '../../types';

function readIdx(file: string): { dims: number[]; data: Buffer } {
  let buf = readFile(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  if (buf.length < 8 || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) throw new DatasetError(`${file}: not an unsigned-byte IDX file`);
  const rank = buf[3]!;
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const data = buf.subarray(4 + 4 * rank);
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new DatasetError(`${file}: truncated (${data.length} bytes for dimensions ${dims.join('×')})`);
  return { dims, data };
}

function findIdx(dir: string, stem: string): string {
  for (const name of [stem, `${stem}.gz`, stem.replace('-idx', '.idx'), `${stem.replace('-idx', '.idx')}.gz`]) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) return f;
  }
  throw new DatasetError(`mnist:${dir}: ${stem} (or ${stem}.gz) is missing; expected train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte`);
}

function idxSplit(dir: string, prefix: string, side: number): RawSplit {
  const imgs = readIdx(findIdx(dir, `${prefix}-images-idx3-ubyte`));
  const labs = readIdx(findIdx(dir, `${prefix}-labels-idx1-ubyte`));
  const [count, h, w] = imgs.dims as [number, number, number];
  if (h !== w) throw new DatasetError(`mnist:${dir}: images are ${h}×${w}; square images expected`);
  if (labs.dims[0] !== count) throw new DatasetError(`mnist:${dir}: ${count} images but ${labs.dims[0]} labels`);
  const pixels = new Float32Array(count * side * side * 3);
  const rgb = new Float32Array(h * w * 3);
  for (let n = 0; n < count; n++) {
    // One channel becomes RGB.
    for (let p = 0; p < h * w; p++) rgb[p * 3] = rgb[p * 3 + 1] = rgb[p * 3 + 2] = imgs.data[n * h * w + p]!;
    resizeSquare(rgb, h, side, pixels, n * side * side * 3);
  }
  return { pixels, labels: Int32Array.from(labs.data), count, side };
}

export function loadMnist(dir: string, side: number, testOnly = false): { train: RawSplit; test: RawSplit; classes: number } {
  if (!fs.existsSync(dir)) throw new DatasetError(`mnist:${dir}: no such folder; expected the four IDX files of MNIST or Fashion-MNIST`);
  const train = testOnly ? emptySplit(side) : idxSplit(dir, 'train', side);
  const test = idxSplit(dir, 't10k', side);
  const classes = Math.max(...train.labels, ...test.labels) + 1;
  return { train, test, classes };
}

/** Fashion-MNIST's classes (Zalando's labels, in label order). */
const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
/** The first ten test labels of each set: MNIST's t10k begins 7 2 1 0 4 1 4 9 5 9, Fashion-MNIST's 9 2 1 1 6 1 4 6 5 7. */
const FASHION_TEST_START = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7];

/**
 * The classes' names: Fashion-MNIST's where the folder holds Fashion-MNIST (its test labels start as
 * that set's do; both sets have the same file names), else the digits. Reads the labels file only.
 */
export function mnistClassNames(dir: string, classes = 10): string[] {
  try {
    const labels = readIdx(findIdx(dir, 't10k-labels-idx1-ubyte')).data;
    if (classes === FASHION.length && FASHION_TEST_START.every((l, i) => labels[i] === l)) return FASHION;
  } catch {
    /* no test labels: the digits */
  }
  return Array.from({ length: classes }, (_, i) => String(i));
}
