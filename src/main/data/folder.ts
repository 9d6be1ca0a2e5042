// folder:PATH — one sub-folder per class, or train/ and val/ each holding class sub-folders.
// Images are decoded by sharp (EXIF rotation, any colour space, 8 or 16 bit, alpha dropped),
// rescaled isotropically so the shorter side is S, and centre-cropped to S×S.
import fs from 'node:fs';
import path from 'node:path';
import { DatasetError } from './errors';
import { decodeImage } from './pipeline/decode';
import { mulberry32, shuffleInPlace } from './rng';
import type { RawSplit } from './types';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp', '.avif'];
const isImage = (f: string) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase());

export interface Item {
  file: string;
  label: number;
}

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(`folder:${dir}: no such folder`);
    if (code === 'EACCES') throw new DatasetError(`folder:${dir}: permission denied`);
    throw new DatasetError(`folder:${dir}: cannot be read (${code})`);
  }
}

function scanClasses(dir: string, names?: string[]): { classNames: string[]; items: Item[] } {
  const classNames = names ?? listDir(dir).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  const items: Item[] = [];
  classNames.forEach((name, label) => {
    const cdir = path.join(dir, name);
    if (!fs.existsSync(cdir)) return;
    for (const f of listDir(cdir)) if (f.isFile() && isImage(f.name)) items.push({ file: path.join(cdir, f.name), label });
  });
  return { classNames, items };
}

export interface FolderScan {
  classNames: string[];
  train: Item[];
  val: Item[];
}

/** Finds classes and files, and splits them (given train/ and val/, or a seeded fraction). */
export function scanFolder(root: string, valFraction: number, seed: number): FolderScan {
  const top = listDir(root);
  const hasSplits = top.some((d) => d.isDirectory() && d.name === 'train') && top.some((d) => d.isDirectory() && d.name === 'val');
  let scan: FolderScan;
  if (hasSplits) {
    const tr = scanClasses(path.join(root, 'train'));
    const va = scanClasses(path.join(root, 'val'), tr.classNames);
    scan = { classNames: tr.classNames, train: tr.items, val: va.items };
  } else {
    const all = scanClasses(root);
    const rng = mulberry32(seed ^ 0x5417);
    const train: Item[] = [];
    const val: Item[] = [];
    // Split each class separately so that every class has validation images.
    all.classNames.forEach((_, label) => {
      const mine = all.items.filter((i) => i.label === label);
      shuffleInPlace(mine, rng);
      const nVal = mine.length > 1 ? Math.max(1, Math.round(mine.length * valFraction)) : 0;
      val.push(...mine.slice(0, nVal));
      train.push(...mine.slice(nVal));
    });
    scan = { classNames: all.classNames, train, val };
  }
  if (scan.classNames.length < 2)
    throw new DatasetError(`folder:${root}: found ${scan.classNames.length} class folder(s); at least 2 are needed (one sub-folder per class, or train/ and val/ each with class sub-folders)`);
  scan.classNames.forEach((name, label) => {
    if (!scan.train.some((i) => i.label === label)) throw new DatasetError(`folder:${root}: class '${name}' has no image files (${IMAGE_EXTENSIONS.join(', ')})`);
  });
  return scan;
}

/** Decodes a list; unreadable files are skipped and reported, never fatal. */
export async function decodeItems(items: Item[], side: number, skipped: string[], concurrency = 4): Promise<RawSplit> {
  const px = side * side * 3;
  const pixels = new Uint8Array(items.length * px);
  const labels = new Int32Array(items.length);
  let count = 0;
  let next = 0;
  const work = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        const buf = await decodeImage(item.file, side);
        pixels.set(buf, count * px);
        labels[count] = item.label;
        count += 1;
      } catch {
        skipped.push(item.file);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, work));
  return { pixels: pixels.subarray(0, count * px), labels: labels.subarray(0, count), count, side };
}
