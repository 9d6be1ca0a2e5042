// The binary distributions: CIFAR-10/100 (.bin batches) and MNIST-style IDX files (gzipped or not).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DatasetError } from './errors';
import { resizeSquare } from './resize';
import type { RawSplit } from './types';

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'EACCES' ? `${file}: permission denied` : `${file}: cannot be read (${code ?? (err as Error).message})`);
  }
}

/** CIFAR records: label byte(s), then 3072 bytes of 32×32 planes R, G, B. */
function parseCifar(bufs: Buffer[], labelBytes: 1 | 2, labelIndex: number, side: number, file: string): RawSplit {
  const rec = labelBytes + 3072;
  const counts = bufs.map((b) => {
    if (b.length === 0 || b.length % rec !== 0) throw new DatasetError(`${file}: size ${b.length} is not a whole number of ${rec}-byte CIFAR records`);
    return b.length / rec;
  });
  const count = counts.reduce((a, b) => a + b, 0);
  const pixels = new Float32Array(count * side * side * 3);
  const labels = new Int32Array(count);
  const hwc = new Float32Array(32 * 32 * 3);
  let n = 0;
  for (const buf of bufs) {
    for (let off = 0; off < buf.length; off += rec, n++) {
      labels[n] = buf[off + labelIndex]!;
      for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) hwc[p * 3 + c] = buf[off + labelBytes + c * 1024 + p]!;
      resizeSquare(hwc, 32, side, pixels, n * side * side * 3);
    }
  }
  return { pixels, labels, count, side };
}

const EMPTY = (side: number): RawSplit => ({ pixels: new Float32Array(0), labels: new Int32Array(0), count: 0, side });

/** The training file(s) and the test file; testOnly: read just the test split (evaluation, sample grids), leaving train empty. */
export function loadCifar(dir: string, kind: 'cifar10' | 'cifar100', side: number, testOnly = false): { train: RawSplit; test: RawSplit; classes: number } {
  if (!fs.existsSync(dir)) throw new DatasetError(`${kind}:${dir}: no such folder; expected the binary distribution (${kind === 'cifar10' ? 'data_batch_1.bin … data_batch_5.bin, test_batch.bin' : 'train.bin, test.bin'})`);
  if (kind === 'cifar10') {
    const trainFiles = [1, 2, 3, 4, 5].map((i) => path.join(dir, `data_batch_${i}.bin`)).filter((f) => fs.existsSync(f));
    const testFile = path.join(dir, 'test_batch.bin');
    if (!trainFiles.length || !fs.existsSync(testFile)) throw new DatasetError(`cifar10:${dir}: expected data_batch_1.bin … data_batch_5.bin and test_batch.bin (the CIFAR-10 binary version)`);
    return { train: testOnly ? EMPTY(side) : parseCifar(trainFiles.map(readFile), 1, 0, side, trainFiles[0]!), test: parseCifar([readFile(testFile)], 1, 0, side, testFile), classes: 10 };
  }
  const train = path.join(dir, 'train.bin');
  const test = path.join(dir, 'test.bin');
  if (!fs.existsSync(train) || !fs.existsSync(test)) throw new DatasetError(`cifar100:${dir}: expected train.bin and test.bin (the CIFAR-100 binary version)`);
  // Two label bytes: coarse, then fine; the 100 fine classes are used.
  return { train: testOnly ? EMPTY(side) : parseCifar([readFile(train)], 2, 1, side, train), test: parseCifar([readFile(test)], 2, 1, side, test), classes: 100 };
}

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
  const train = testOnly ? EMPTY(side) : idxSplit(dir, 'train', side);
  const test = idxSplit(dir, 't10k', side);
  const classes = Math.max(...train.labels, ...test.labels) + 1;
  return { train, test, classes };
}
