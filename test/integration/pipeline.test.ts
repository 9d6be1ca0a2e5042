// The data pipeline as the trainer uses it: real worker threads, real files, the disk cache.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/main/data';
import { decodeImage } from '../../src/main/data/pipeline/decode';
import type { Batch, TrainFeed } from '../../src/main/data/pipeline/feed';
import { openTrainingSet, type PipelineOptions } from '../../src/main/data/pipeline/open';
import { PoolFeed } from '../../src/main/data/pipeline/pool';
import { makeImageFolder } from '../fixtures/datasets';
import { tempDir } from '../helpers';

const base = (cacheDir: string): PipelineOptions => ({ workers: 0, decodeWorkers: 1, cacheBytes: 2 ** 30, cacheDir, seed: 3, size: 32, jitter: null });

const orderOf = (feed: TrainFeed) => Int32Array.from({ length: feed.count }, (_, i) => (i * 7) % feed.count);

/** An epoch's batches, none released: each keeps its own array. */
async function epochBatches(feed: TrainFeed, epoch: number, batch: number): Promise<Batch[]> {
  feed.startEpoch(epoch, orderOf(feed), 0, batch);
  const out: Batch[] = [];
  for (let s = 0; s < Math.ceil(feed.count / batch); s++) out.push(await feed.next());
  return out;
}

/** The 3×2 picture every BMP layout below stores, top row first: red, green, blue / white, black, yellow. */
const PICTURE = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0], [255, 255, 0]];

/** A BMP file written by hand (BITMAPINFOHEADER), as a camera or Windows Paint would store it. */
function bmpFile(bits: 1 | 8 | 24 | 32, topDown = false): Buffer {
  const [w, h] = [3, 2];
  const palette = bits <= 8 ? PICTURE : [];
  const stride = Math.ceil((w * bits) / 32) * 4;
  const offset = 54 + palette.length * 4;
  const file = Buffer.alloc(offset + stride * h);
  file.write('BM', 0);
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(offset, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(w, 18);
  file.writeInt32LE(topDown ? -h : h, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(bits, 28);
  file.writeUInt32LE(palette.length, 46);
  palette.forEach(([r, g, b], i) => file.set([b!, g!, r!, 0], 54 + i * 4));
  for (let y = 0; y < h; y++) {
    const row = offset + (topDown ? y : h - 1 - y) * stride;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const [r, g, b] = PICTURE[i]!;
      if (bits === 24) file.set([b!, g!, r!], row + x * 3);
      else if (bits === 32) file.set([b!, g!, r!, 0], row + x * 4);
      else if (bits === 8) file[row + x] = i;
    }
  }
  if (bits === 1) {
    // Two colours only: the palette is black and white, and the picture a checkerboard.
    file.set([0, 0, 0, 0, 255, 255, 255, 0], 54);
    file.writeUInt32LE(2, 46);
    file.writeUInt32LE(54 + 8, 10);
    return Buffer.concat([file.subarray(0, 62), Buffer.from([0b10100000, 0, 0, 0, 0b01000000, 0, 0, 0])]);
  }
  return file;
}

describe('data pipeline', () => {
  it('decodes a folder in the pool (broken files skipped and counted), spills past the memory budget to disk, and builds the same batches as the training thread would', async () => {
    const root = tempDir();
    await makeImageFolder(root, { perClass: 12, broken: true });
    const req = { dataset: `folder:${root}`, side: 40, seed: 1, valFraction: 0.2 };
    const cacheDir = tempDir();
    // Room for 5 decoded images in memory: the rest go to the disk cache.
    const pooled = await openTrainingSet(req, { ...base(cacheDir), workers: 2, decodeWorkers: 2, cacheBytes: 5 * 40 * 40 * 3, jitter: { min: 36, max: 40 } });
    const local = await openTrainingSet(req, { ...base(tempDir()), jitter: { min: 36, max: 40 } });
    try {
      expect(fs.readdirSync(cacheDir)).toHaveLength(1);
      expect(pooled.data.skipped).toBe(3);
      expect(pooled.data.skippedFiles.map((f) => path.basename(f)).sort()).toEqual(['empty.jpg', 'text.png', 'truncated.png']);
      expect(pooled.feed.count).toBe(local.feed.count);
      // The mean the workers summed equals the one computed over the whole split in one place.
      const whole = await loadDataset(req);
      expect(pooled.data.train.count).toBe(whole.train.count);
      pooled.data.meanRgb.forEach((m, c) => expect(m).toBeCloseTo(whole.meanRgb[c]!, 6));
      // The colour axes come from every 4th pixel: close, not equal.
      expect(Math.abs(pooled.data.pca!.eigenvalues[0] / whole.pca!.eigenvalues[0] - 1)).toBeLessThan(0.01);
      for (const epoch of [1, 2]) {
        const a = await epochBatches(pooled.feed, epoch, 8);
        const b = await epochBatches(local.feed, epoch, 8);
        expect(a.map((x) => x.n)).toEqual(b.map((x) => x.n));
        a.forEach((x, k) => {
          expect(x.y).toEqual(b[k]!.y);
          expect(x.x).toEqual(b[k]!.x);
        });
      }
      // Another epoch draws other crops.
      const e1 = await epochBatches(local.feed, 1, 8);
      const e3 = await epochBatches(local.feed, 3, 8);
      expect(e1[0]!.x).not.toEqual(e3[0]!.x);
      expect(pooled.feed.takeStats().images).toBeGreaterThan(0);
    } finally {
      await pooled.close();
      await local.close();
    }
    expect(fs.readdirSync(cacheDir)).toHaveLength(0);
  });

  it('crops, flips, scale jitter and the colour shift keep every label', async () => {
    const root = tempDir();
    const { colors } = await makeImageFolder(root, { perClass: 10 });
    fs.rmSync(path.join(root, 'cats', 'gray-alpha.png'));
    const set = await openTrainingSet({ dataset: `folder:${root}`, side: 48, seed: 1, valFraction: 0.2 }, { ...base(tempDir()), workers: 1, jitter: { min: 32, max: 48 } });
    const names = set.data.classNames;
    try {
      for (const b of await epochBatches(set.feed, 1, 7)) {
        for (let k = 0; k < b.n; k++) {
          const px = b.x.subarray(k * 32 * 32 * 3, (k + 1) * 32 * 32 * 3);
          const avg = [0, 1, 2].map((c) => px.filter((_, i) => i % 3 === c).reduce((s, v) => s + v, 0) / (32 * 32) + set.data.meanRgb[c]!);
          const nearest = names.map((n) => colors[n]!.reduce((s, v, c) => s + (v - avg[c]!) ** 2, 0));
          expect(nearest.indexOf(Math.min(...nearest))).toBe(b.y[k]);
        }
      }
    } finally {
      await set.close();
    }
  });

  it('builds the same synthetic batches with one worker, two workers or none', async () => {
    const req = { dataset: 'synthetic', side: 32, seed: 5, trainSamples: 100, valSamples: 10 };
    const sets = await Promise.all([0, 1, 2].map((workers) => openTrainingSet(req, { ...base(tempDir()), workers })));
    try {
      const [a, b, c] = await Promise.all(sets.map((s) => epochBatches(s.feed, 2, 16)));
      expect(b!.map((x) => x.x)).toEqual(a!.map((x) => x.x));
      expect(c!.map((x) => x.x)).toEqual(a!.map((x) => x.x));
      expect(c!.map((x) => x.y)).toEqual(a!.map((x) => x.y));
    } finally {
      await Promise.all(sets.map((s) => s.close()));
    }
  });

  it('hands the arrays of released batches out again, with the same contents as fresh ones, in the training thread and from workers', async () => {
    const req = { dataset: 'synthetic', side: 32, seed: 5, trainSamples: 100, valSamples: 10 };
    const sets = await Promise.all([0, 2].map((workers) => openTrainingSet(req, { ...base(tempDir()), workers })));
    try {
      const fresh = (await epochBatches(sets[0]!.feed, 2, 16)).map((b) => b.x);
      for (const { feed } of sets) {
        // An epoch left after one batch: the pool's batches still in flight land in slots that must come back.
        feed.startEpoch(1, orderOf(feed), 0, 16);
        (await feed.next()).release();
        feed.startEpoch(2, orderOf(feed), 0, 16);
        const arrays = new Set<ArrayBufferLike>();
        const got: Float32Array[] = [];
        for (let s = 0; s < fresh.length; s++) {
          const b = await feed.next();
          arrays.add(b.x.buffer);
          got.push(Float32Array.from(b.x));
          b.release();
          b.release();
        }
        expect(got).toEqual(fresh);
        // In the thread, one array serves every step; the pool copies each batch out of its slot as
        // it arrives, so at most its prefetch depth plus the one the trainer holds.
        expect(arrays.size).toBeLessThanOrEqual(feed instanceof PoolFeed ? feed.depth + 1 : 1);
        // A batch released twice is given back once: two batches taken after it never share an array.
        feed.startEpoch(3, orderOf(feed), 0, 16);
        const [b1, b2] = [await feed.next(), await feed.next()];
        expect(b1.x.buffer).not.toBe(b2.x.buffer);
      }
    } finally {
      await Promise.all(sets.map((s) => s.close()));
    }
  });

  // Where the tests themselves run at nice 10 or more, lowering cannot be told from inheriting.
  it.skipIf(process.platform !== 'linux' || os.getPriority() >= 10)('runs its batch threads at a lower priority where the backend takes every core, and only there', async () => {
    // Nice values of this process's threads, read from the system rather than from the pipeline.
    // A thread listed may end before its stat is read: it is left out.
    const niceOf = () => new Map(fs.readdirSync('/proc/self/task').flatMap((tid) => {
      try {
        return [[tid, Number(fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16])] as const];
      } catch {
        return [];
      }
    }));
    const before = niceOf();
    const self = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    const req = { dataset: 'synthetic', side: 32, seed: 5, trainSamples: 64, valSamples: 8 };
    for (const yieldToBackend of [true, false]) {
      const logs: string[] = [];
      const set = await openTrainingSet(req, { ...base(tempDir()), workers: 2, yieldToBackend, log: (m) => logs.push(m) });
      try {
        const added = [...niceOf()].filter(([tid]) => !before.has(tid));
        const lowered = added.filter(([, nice]) => nice === 10);
        // Two batch threads (among any other threads Node started meanwhile); the trainer's own thread keeps its priority.
        expect(lowered).toHaveLength(yieldToBackend ? 2 : 0);
        expect(niceOf().get(String(self))).toBe(before.get(String(self)));
        expect(logs.some((m) => /build the training batches at nice 10,/.test(m))).toBe(yieldToBackend);
        // Batches still come.
        expect((await epochBatches(set.feed, 1, 16)).length).toBe(4);
      } finally {
        await set.close();
      }
    }
  });

  it('reads BMP files pixel for pixel in every common layout (24 and 32 bit, 8-bit palette, 1 bit, bottom-up and top-down), and names a broken one', async () => {
    const dir = tempDir();
    const flat = PICTURE.flat();
    for (const [bits, topDown] of [[24, false], [24, true], [32, false], [8, false], [8, true]] as const) {
      const file = path.join(dir, `p${bits}${topDown ? 'td' : ''}.bmp`);
      fs.writeFileSync(file, bmpFile(bits, topDown));
      expect([...(await decodeImage(file, 3, 2))], `${bits} bit${topDown ? ', top-down' : ''}`).toEqual(flat);
    }
    // 1 bit, bottom-up: the last row in the file is the top of the picture.
    fs.writeFileSync(path.join(dir, 'p1.bmp'), bmpFile(1));
    const mono = [...(await decodeImage(path.join(dir, 'p1.bmp'), 3, 2))].filter((_, i) => i % 3 === 0);
    expect(mono).toEqual([0, 255, 0, 255, 0, 255]);
    fs.writeFileSync(path.join(dir, 'cut.bmp'), bmpFile(24).subarray(0, 30));
    await expect(decodeImage(path.join(dir, 'cut.bmp'), 3, 2)).rejects.toThrow();
  });

  it('decodes CMYK and EXIF-rotated files, and a 10,000 × 10,000 image with bounded memory', async () => {
    const dir = tempDir();
    const red = { r: 220, g: 20, b: 20 };
    // CMYK JPEG: comes out as (about) the same sRGB red.
    await sharp({ create: { width: 50, height: 40, channels: 3, background: red } }).toColourspace('cmyk').jpeg({ quality: 95 }).toFile(path.join(dir, 'cmyk.jpg'));
    expect((await sharp(path.join(dir, 'cmyk.jpg')).metadata()).space).toBe('cmyk');
    const cmyk = await decodeImage(path.join(dir, 'cmyk.jpg'), 16);
    expect(Math.abs(cmyk[0]! - 220)).toBeLessThan(30);
    expect(cmyk[2]!).toBeLessThan(60);
    // Left half red, right half blue, stored landscape with EXIF orientation 6 (rotate 90° clockwise):
    // upright it is portrait with red on top.
    const w = 60, h = 20;
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < w / 2 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(path.join(dir, 'rotated.jpg'));
    const rot = await decodeImage(path.join(dir, 'rotated.jpg'), 20);
    const at = (x: number, y: number) => [...rot.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)];
    expect(at(10, 2)[0]!).toBeGreaterThan(200);
    expect(at(10, 17)[2]!).toBeGreaterThan(200);
    // 10,000 × 10,000 (300 MB as RGB): shrink-on-load keeps the decode far below that.
    await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: red } }).jpeg().toFile(path.join(dir, 'huge.jpg'));
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const huge = await decodeImage(path.join(dir, 'huge.jpg'), 32);
    clearInterval(timer);
    expect(huge.length).toBe(32 * 32 * 3);
    expect(peak - before).toBeLessThan(150 * 2 ** 20);
  });
});
