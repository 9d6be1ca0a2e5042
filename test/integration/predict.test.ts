// "Try the model" from the terminal: `vgglab predict` on a trained run gives, image by image, the
// predictions its centre-crop evaluation made; an unreadable file is named and the rest classified.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { scanFolder } from '../../src/main/data/sources/folder/scan';
import { vgglabSync } from '../cli-process';
import { makeImageFolder } from '../fixtures/datasets';
import { tempDir } from '../helpers';

/** Noise images of odd sizes (a seeded generator): posteriors that differ from image to image. */
async function addNoise(dir: string, n: number, seed: number): Promise<void> {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 255;
  for (let i = 0; i < n; i++) {
    const [w, h] = [36 + 7 * i, 50 - 3 * i];
    const px = Buffer.from(Array.from({ length: w * h * 3 }, rand));
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path.join(dir, `noise${i}.png`));
  }
}

describe('vgglab predict', () => {
  it("reproduces the centre-crop evaluation's predictions image by image; a broken file gets its own error, exit 1", async () => {
    const root = tempDir('vgglab-predict-data-');
    for (const split of ['train', 'val', 'test']) await makeImageFolder(path.join(root, split), { perClass: 4 });
    for (const [i, cls] of ['cats', 'dogs', 'owls'].entries()) await addNoise(path.join(root, 'test', cls), 2, 7 + i);
    const dataDir = tempDir();
    const trained = vgglabSync(dataDir, ['train', '--config', 'A', '--dataset', `folder:${root}`, '--width', '0.0625', '--epochs', '2', '--batch', '8', '--schedule', 'none', '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    const id = trained.json.runId as number;
    const evaluated = vgglabSync(dataDir, ['eval', String(id), '--protocol', 'center', '--json']);
    expect(evaluated.code, evaluated.stdout + evaluated.stderr).toBe(0);
    const e = evaluated.json;

    // The test split's files in the order evaluation reads them, then one that is not an image.
    const items = scanFolder(root, 0.1, 1).test!;
    expect(items.length).toBe(e.count);
    const broken = path.join(tempDir(), 'broken.jpg');
    fs.writeFileSync(broken, 'not a jpeg at all');
    const predicted = vgglabSync(dataDir, ['predict', String(id), ...items.map((i) => i.file), broken, '--json']);
    expect(predicted.code, predicted.stderr).toBe(1);
    const out = predicted.json;
    expect(out).toMatchObject({ runId: id, protocol: 'center', scales: e.scales, checkpoint: e.checkpoint });
    expect(out.results).toHaveLength(items.length + 1);
    expect(out.results.at(-1)).toEqual({ file: broken, error: expect.stringMatching(/^not a readable image/) });
    // The confusion matrix from predict's top-1, image by image, is the evaluation's.
    const classes = e.confusion.length;
    const confusion = Array.from({ length: classes }, () => new Array(classes).fill(0));
    items.forEach((item, k) => {
      const r = out.results[k];
      expect(r.file).toBe(item.file);
      expect(r.top).toHaveLength(Math.min(5, classes));
      expect(r.top[0].name).toBe(['cats', 'dogs', 'owls'][r.top[0].label]);
      expect(r.top.map((t: { p: number }) => t.p)).toEqual([...r.top.map((t: { p: number }) => t.p)].sort((a: number, b: number) => b - a));
      confusion[item.label]![r.top[0].label] += 1;
    });
    expect(confusion).toEqual(e.confusion);
    // The most confident mistakes are the same images, with the same class and confidence.
    for (const m of e.confidentMistakes) {
      const top = out.results[m.index].top[0];
      expect(top.label).toBe(m.predicted);
      expect(top.p).toBeCloseTo(m.confidence, 5);
    }

    // Text output names each file; a run that does not exist is a usage error.
    const text = vgglabSync(dataDir, ['predict', String(id), items[0]!.file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${items[0]!.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (cats|dogs|owls) \\d+\\.\\d%`));
    expect(vgglabSync(dataDir, ['predict', '999', items[0]!.file]).code).toBe(2);
  });
});
