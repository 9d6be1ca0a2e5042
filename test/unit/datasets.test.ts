import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/main/data';
import { scanFolder } from '../../src/main/data/sources/folder/scan';
import { balancedSubset } from '../../src/main/data/subset';
import { makeCifar10, makeImageFolder, makeMnist } from '../fixtures/datasets';
import { tempDir } from '../helpers';

describe('using at most N images', () => {
  it('takes every class evenly, seeded, never the first N of a class-ordered list', () => {
    const labels = [...Array(50).fill(0), ...Array(30).fill(1), ...Array(5).fill(2)];
    const pick = balancedSubset(labels, 12, 3)!;
    expect(pick).toHaveLength(12);
    expect(new Set(pick).size).toBe(12);
    const per = [0, 1, 2].map((c) => pick.filter((i) => labels[i] === c).length);
    expect(per).toEqual([4, 4, 4]);
    // A class with fewer than its share gives all it has; the others fill the rest.
    expect([0, 1, 2].map((c) => balancedSubset(labels, 40, 3)!.filter((i) => labels[i] === c).length)).toEqual([18, 17, 5]);
    expect(balancedSubset(labels, 12, 3)).toEqual(pick);
    expect(balancedSubset(labels, 12, 4)).not.toEqual(pick);
    expect(balancedSubset(labels, undefined, 3)).toBeNull();
    expect(balancedSubset(labels, 85, 3)).toBeNull();
  });

  it('a folder limited to 6 training images trains on two of each class, and a limit below the class count is refused', async () => {
    const root = tempDir();
    await makeImageFolder(root, { perClass: 8 });
    const d = await loadDataset({ dataset: `folder:${root}`, side: 32, seed: 1, trainSamples: 6, valSamples: 3 });
    expect(d.train.count).toBe(6);
    expect([...d.train.labels].sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect([...d.val.labels].sort()).toEqual([0, 1, 2]);
    await expect(loadDataset({ dataset: `folder:${root}`, side: 32, seed: 1, trainSamples: 2 })).rejects.toThrow(/a limit of 2 training image\(s\) is fewer than its 3 classes; use at least 3, or no limit to use every image/);
  });

  it('CIFAR limited to 10 images takes one of each of its 10 classes', () => {
    const dir = tempDir();
    makeCifar10(dir, 20);
    return loadDataset({ dataset: `cifar10:${dir}`, side: 32, seed: 1, trainSamples: 10, valSamples: 10 }).then((d) => {
      expect(d.train.count).toBe(10);
      // Ten classes, ten images: one of each.
      expect([...d.train.labels].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect([...d.val.labels].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
  });
});

describe('folder datasets', () => {
  it('discovers classes, decodes every format, skips and counts broken files exactly', async () => {
    const root = tempDir();
    await makeImageFolder(root, { perClass: 10, broken: true });
    const d = await loadDataset({ dataset: `folder:${root}`, side: 36, seed: 1, valFraction: 0.2 });
    expect(d.classNames).toEqual(['cats', 'dogs', 'owls']);
    expect(d.skipped).toBe(3);
    expect(d.skippedFiles.map((f) => path.basename(f)).sort()).toEqual(['empty.jpg', 'text.png', 'truncated.png']);
    // cats: 10 + gray-alpha + 16-bit; dogs: 10 + 2 broken; owls: 10 + 1 truncated (notes.txt is not an image).
    expect(d.train.count + d.val.count + d.skipped).toBe(12 + 12 + 11);
    expect(d.train.side).toBe(36);
    // Every class keeps validation images.
    expect(new Set(d.val.labels)).toEqual(new Set([0, 1, 2]));
  });

  it('a folder with train/ and test/ holds validation out of train/ and evaluates on test/', async () => {
    const root = tempDir();
    await makeImageFolder(path.join(root, 'train'), { perClass: 10 });
    await makeImageFolder(path.join(root, 'test'), { perClass: 3 });
    const scan = scanFolder(root, 0.2, 1);
    expect(scan.classNames).toEqual(['cats', 'dogs', 'owls']);
    expect(scan.test).toHaveLength(3 * 3 + 2);
    expect(scan.val.every((i) => i.file.includes(`${path.sep}train${path.sep}`))).toBe(true);
    expect(new Set(scan.val.map((i) => i.label))).toEqual(new Set([0, 1, 2]));
    const d = await loadDataset({ dataset: `folder:${root}`, side: 32, seed: 1, valFraction: 0.2 });
    expect(d.evalSplit).toBe('test');
    expect(d.train.count + d.val.count).toBe(12 + 10 + 10);
    const evaluated = await loadDataset({ dataset: `folder:${root}`, side: 32, seed: 1, valFraction: 0.2, evalWithMean: d.meanRgb });
    expect(evaluated.val.count).toBe(11);
    // Without test/, evaluation reports validation.
    const plain = tempDir();
    await makeImageFolder(plain, { perClass: 5 });
    expect((await loadDataset({ dataset: `folder:${plain}`, side: 32, seed: 1 })).evalSplit).toBe('val');
  });

  it('splits deterministically from the seed, and differently for another seed', () => {
    const root = tempDir();
    return makeImageFolder(root, { perClass: 10 }).then(() => {
      const a = scanFolder(root, 0.3, 7);
      const b = scanFolder(root, 0.3, 7);
      const c = scanFolder(root, 0.3, 8);
      expect(a.val.map((i) => i.file)).toEqual(b.val.map((i) => i.file));
      expect(a.val.map((i) => i.file)).not.toEqual(c.val.map((i) => i.file));
    });
  });

  it('computes the train mean RGB as a hand computation would', async () => {
    const root = tempDir();
    const { colors } = await makeImageFolder(root, { perClass: 5 });
    // Remove the two extra cats so that every image is one solid colour.
    fs.rmSync(path.join(root, 'cats', 'gray-alpha.png'));
    fs.rmSync(path.join(root, 'cats', 'deep.png'));
    const d = await loadDataset({ dataset: `folder:${root}`, side: 32, seed: 1, valFraction: 0.2 });
    const counts = [0, 1, 2].map((l) => d.train.labels.filter((x) => x === l).length);
    const names = ['cats', 'dogs', 'owls'];
    const total = counts.reduce((a, b) => a + b, 0);
    for (let c = 0; c < 3; c++) {
      const want = names.reduce((acc, n, i) => acc + colors[n]![c]! * counts[i]!, 0) / total;
      expect(d.meanRgb[c]).toBeCloseTo(want, 0);
    }
  });

  it('uses train/ and val/ when both exist', async () => {
    const root = tempDir();
    await makeImageFolder(path.join(root, 'train'), { perClass: 4 });
    await makeImageFolder(path.join(root, 'val'), { perClass: 2 });
    const d = await loadDataset({ dataset: `folder:${root}`, side: 32, seed: 1 });
    expect(d.train.count).toBe(14);
    expect(d.val.count).toBe(8);
  });

  it('refuses, naming the path and what is accepted: missing folder, one class, an empty class', async () => {
    await expect(loadDataset({ dataset: 'folder:/no/such/place', side: 32, seed: 1 })).rejects.toThrow(/folder:\/no\/such\/place: no such folder/);
    const one = tempDir();
    fs.mkdirSync(path.join(one, 'only'));
    await expect(loadDataset({ dataset: `folder:${one}`, side: 32, seed: 1 })).rejects.toThrow(/found 1 class folder\(s\); at least 2 are needed/);
    const empty = tempDir();
    await makeImageFolder(empty, { perClass: 2 });
    fs.mkdirSync(path.join(empty, 'zebras'));
    await expect(loadDataset({ dataset: `folder:${empty}`, side: 32, seed: 1 })).rejects.toThrow(/class 'zebras' has no image files/);
    const broken = tempDir();
    await makeImageFolder(broken, { perClass: 2 });
    for (const f of fs.readdirSync(path.join(broken, 'owls'))) fs.writeFileSync(path.join(broken, 'owls', f), 'junk');
    await expect(loadDataset({ dataset: `folder:${broken}`, side: 32, seed: 1 })).rejects.toThrow(/class 'owls' has no readable image/);
    await expect(loadDataset({ dataset: 'imagenet:/x', side: 32, seed: 1 })).rejects.toThrow(/unknown kind 'imagenet'; accepted: synthetic/);
  });
});

describe('binary datasets', () => {
  it('reads the CIFAR-10 binary batches with labels and pixel planes in place', async () => {
    const dir = tempDir();
    makeCifar10(dir, 20);
    const d = await loadDataset({ dataset: `cifar10:${dir}`, side: 32, seed: 1 });
    // 100 training images, a tenth of each class held out for validation; the test batch is the test set.
    expect([d.train.count, d.val.count, d.classes, d.evalSplit]).toEqual([90, 10, 10, 'test']);
    expect((await loadDataset({ dataset: `cifar10:${dir}`, side: 32, seed: 1, evalWithMean: d.meanRgb })).val.count).toBe(20);
    // An image of label L has R = 10L, G = 10L + 1, B = 10L + 2 before mean subtraction.
    const px = (i: number, c: number) => d.train.images[i * 32 * 32 * 3 + c]! + d.meanRgb[c]!;
    for (const i of [0, 1, 50]) {
      const L = d.train.labels[i]!;
      expect([px(i, 0), px(i, 1), px(i, 2)].map((v) => Math.round(v))).toEqual([10 * L, 10 * L + 1, 10 * L + 2]);
    }
  });

  it('reads gzipped IDX files (MNIST) and makes the one channel RGB', async () => {
    const dir = tempDir();
    makeMnist(dir, 30);
    const d = await loadDataset({ dataset: `mnist:${dir}`, side: 32, seed: 1 });
    // Three splits: validation is carved from train (one of each class's three), t10k is the test set.
    expect([d.train.count, d.val.count, d.classes, d.evalSplit]).toEqual([20, 10, 10, 'test']);
    expect([...d.val.labels].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const evaluated = await loadDataset({ dataset: `mnist:${dir}`, side: 32, seed: 1, evalWithMean: d.meanRgb });
    expect([evaluated.val.count, evaluated.evalSplit]).toEqual([10, 'test']);
    // Every pixel of a digit of label L is 20·L, in all three channels.
    for (const i of [0, 3, 11]) {
      const L = d.train.labels[i]!;
      const rgb = [0, 1, 2].map((c) => Math.round(d.train.images[i * 32 * 32 * 3 + 100 * 3 + c]! + d.meanRgb[c]!));
      expect(rgb).toEqual([20 * L, 20 * L, 20 * L]);
    }
    // Digits are not mirror-symmetric: MNIST/IDX trains without flips unless asked.
    expect(d.flipInvariant).toBe(false);
    const cifar = tempDir();
    makeCifar10(cifar, 2);
    expect((await loadDataset({ dataset: `cifar10:${cifar}`, side: 32, seed: 1 })).flipInvariant).toBe(true);
  });

  it('refuses a truncated CIFAR file and missing IDX files, naming them', async () => {
    const dir = tempDir();
    makeCifar10(dir, 2);
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), Buffer.alloc(100));
    await expect(loadDataset({ dataset: `cifar10:${dir}`, side: 32, seed: 1 })).rejects.toThrow(/test_batch\.bin: size 100 is not a whole number of 3073-byte CIFAR records/);
    await expect(loadDataset({ dataset: `mnist:${tempDir()}`, side: 32, seed: 1 })).rejects.toThrow(/train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\) is missing/);
    await expect(loadDataset({ dataset: 'cifar10', side: 32, seed: 1 })).rejects.toThrow(/needs a path, as cifar10:PATH/);
  });
});

describe('rescaling', () => {
  it('a window of the whole image at the same size is the image; a mirrored one is its mirror', async () => {
    const { resampleWindow } = await import('../../src/main/data/resize');
    const side = 6;
    const img = Float32Array.from({ length: side * side * 3 }, (_, i) => i);
    const out = new Float32Array(img.length);
    resampleWindow(img, 0, side, 0, 0, side, side, false, out, 0);
    expect(Array.from(out)).toEqual(Array.from(img));
    resampleWindow(img, 0, side, 0, 0, side, side, true, out, 0);
    expect(out[0]).toBe(img[(side - 1) * 3]);
    // Half size: each output pixel averages a 2×2 block (bilinear at the block centre).
    const half = new Float32Array(3 * 3 * 3);
    resampleWindow(img, 0, side, 0, 0, side, 3, false, half, 0);
    expect(half[0]).toBeCloseTo((img[0]! + img[3]! + img[side * 3]! + img[side * 3 + 3]!) / 4, 5);
  });
});

describe('the dataset kinds as the New-run form and Datasets page get them', () => {
  it('lists every kind of the registry, each example a SPEC of its own kind, the built-in ones free of a path', async () => {
    const { SOURCES } = await import('../../src/main/data/sources');
    const { parseSpec } = await import('../../src/main/data/spec');
    const { DatasetService } = await import('../../src/main/services/datasets');
    const kinds = new DatasetService(null as never).kinds();
    expect(kinds.map((k) => k.kind)).toEqual(SOURCES.map((s) => s.kind));
    for (const k of kinds) {
      expect(k.examples.length, k.kind).toBeGreaterThan(0);
      for (const e of k.examples) {
        const spec = parseSpec(e.spec);
        expect(spec.source.kind).toBe(k.kind);
        expect(spec.path === null).toBe(k.pathHolds === null);
      }
    }
    // The built-in data is drawn at the input size and says how many images it makes an epoch.
    expect(kinds.find((k) => k.kind === 'synthetic')).toMatchObject({ pathHolds: null, drawnAtInputSize: true, madeTrainImages: 2000 });
  });
});

describe('class names', () => {
  it("names Fashion-MNIST's classes (told from MNIST by its test labels), a folder's by its class folders, and numbers the rest", async () => {
    const { classNamesOf } = await import('../../src/main/data/class-names');
    const dir = tempDir();
    makeMnist(dir);
    // The fixture's test labels run 0, 1, 2, …: not Fashion-MNIST's start.
    expect(classNamesOf(`mnist:${dir}`)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // Fashion-MNIST's test set starts 9 2 1 1 6 1 4 6 5 7 (MNIST's 7 2 1 0 4 1 4 9 5 9).
    const head = Buffer.alloc(8);
    head.writeUInt32BE(0x00000801, 0);
    head.writeUInt32BE(10, 4);
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), zlib.gzipSync(Buffer.concat([head, Buffer.from([9, 2, 1, 1, 6, 1, 4, 6, 5, 7])])));
    expect(classNamesOf(`mnist:${dir}`)).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    expect((await loadDataset({ dataset: `mnist:${dir}`, side: 28, seed: 1 })).classNames[9]).toBe('Ankle boot');
    const folder = tempDir();
    await makeImageFolder(folder, { perClass: 2 });
    expect(classNamesOf(`folder:${folder}`)).toEqual(['cats', 'dogs', 'owls']);
    expect(classNamesOf('synthetic', 3)).toEqual(['0', '1', '2']);
    expect(classNamesOf('nonsense:here')).toBeNull();
  });
});
