// The CIFAR-10/100 binary distributions (.bin batches of label byte(s) and 32×32 RGB planes).
import fs from 'node:fs';
import path from 'node:path';
import { DatasetError } from '../../errors';
import { emptySplit, readFile } from '../../raw-files';
import { resizeSquare } from '../../resize';
import type { RawSplit } from '../../types';

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

/** The training file(s) and the test file; testOnly: read just the test split (evaluation, sample grids), leaving train empty. */
export function loadCifar(dir: string, kind: 'cifar10' | 'cifar100', side: number, testOnly = false): { train: RawSplit; test: RawSplit; classes: number } {
  if (!fs.existsSync(dir)) throw new DatasetError(`${kind}:${dir}: no such folder; expected the binary distribution (${kind === 'cifar10' ? 'data_batch_1.bin … data_batch_5.bin, test_batch.bin' : 'train.bin, test.bin'})`);
  if (kind === 'cifar10') {
    const trainFiles = [1, 2, 3, 4, 5].map((i) => path.join(dir, `data_batch_${i}.bin`)).filter((f) => fs.existsSync(f));
    const testFile = path.join(dir, 'test_batch.bin');
    if (!trainFiles.length || !fs.existsSync(testFile)) throw new DatasetError(`cifar10:${dir}: expected data_batch_1.bin … data_batch_5.bin and test_batch.bin (the CIFAR-10 binary version)`);
    return { train: testOnly ? emptySplit(side) : parseCifar(trainFiles.map(readFile), 1, 0, side, trainFiles[0]!), test: parseCifar([readFile(testFile)], 1, 0, side, testFile), classes: 10 };
  }
  const train = path.join(dir, 'train.bin');
  const test = path.join(dir, 'test.bin');
  if (!fs.existsSync(train) || !fs.existsSync(test)) throw new DatasetError(`cifar100:${dir}: expected train.bin and test.bin (the CIFAR-100 binary version)`);
  // Two label bytes: coarse, then fine; the 100 fine classes are used.
  return { train: testOnly ? emptySplit(side) : parseCifar([readFile(train)], 2, 1, side, train), test: parseCifar([readFile(test)], 2, 1, side, test), classes: 100 };
}
