// folder:PATH — one sub-folder per class, or train/ and val/ each holding class sub-folders.
// Images are decoded by sharp (EXIF rotation, any colour space, 8 or 16 bit, alpha dropped) and
// rescaled isotropically so the shorter side is S: kept whole (evaluation, the training cache) or as
// their central S×S square (validation during training, which looks at central crops only).
import fs from 'node:fs';
import path from 'node:path';
import { DatasetError } from './errors';
import { packLayout, rescaledSize } from './geometry';
import { decodeImage, imageSize } from './pipeline/decode';
import { carveValidation } from './subset';
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
  /** The folder's own test/ split, where it has one: evaluation reports it. */
  test?: Item[];
}

/**
 * Finds classes and files, and splits them: train/ (with val/ and test/ where present), or class
 * folders at the top. Without val/, a seeded share of each class of train is held out for validation.
 */
export function scanFolder(root: string, valFraction: number, seed: number): FolderScan {
  const top = listDir(root);
  const has = (name: string) => top.some((d) => d.isDirectory() && d.name === name);
  const hasSplits = has('train') && (has('val') || has('test'));
  let scan: FolderScan;
  const carve = (all: { classNames: string[]; items: Item[] }) => {
    const { train, val } = carveValidation(all.items.map((i) => i.label), valFraction, seed);
    return { train: train.map((i) => all.items[i]!), val: val.map((i) => all.items[i]!) };
  };
  if (hasSplits) {
    const tr = scanClasses(path.join(root, 'train'));
    const test = has('test') ? scanClasses(path.join(root, 'test'), tr.classNames).items : undefined;
    const split = has('val') ? { train: tr.items, val: scanClasses(path.join(root, 'val'), tr.classNames).items } : carve(tr);
    scan = { classNames: tr.classNames, ...split, ...(test ? { test } : {}) };
  } else {
    const all = scanClasses(root);
    scan = { classNames: all.classNames, ...carve(all) };
  }
  if (scan.classNames.length < 2)
    throw new DatasetError(`folder:${root}: found ${scan.classNames.length} class folder(s); at least 2 are needed (one sub-folder per class, or train/ and val/ each with class sub-folders)`);
  scan.classNames.forEach((name, label) => {
    if (!scan.train.some((i) => i.label === label)) throw new DatasetError(`folder:${root}: class '${name}' has no image files (${IMAGE_EXTENSIONS.join(', ')})`);
  });
  return scan;
}

/** The stored size of each file at scale S (smallest side S, aspect kept); null where the header cannot be read. */
export async function plannedSizes(files: string[], side: number, concurrency = 8): Promise<({ h: number; w: number } | null)[]> {
  const out: ({ h: number; w: number } | null)[] = new Array(files.length).fill(null);
  let next = 0;
  const work = async () => {
    while (next < files.length) {
      const i = next++;
      try {
        const { width, height } = await imageSize(files[i]!);
        out[i] = rescaledSize(width, height, side);
      } catch {
        out[i] = null;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, work));
  return out;
}

/**
 * Decodes a list in order; unreadable files are skipped and reported, never fatal. `whole`: each
 * image keeps its aspect ratio (smallest side S) and the split gets a layout; else its central S×S square.
 */
export async function decodeItems(items: Item[], side: number, skipped: string[], whole = false, concurrency = 4): Promise<RawSplit> {
  const sizes = whole ? await plannedSizes(items.map((i) => i.file), side) : null;
  const decoded: (Buffer | null)[] = new Array(items.length).fill(null);
  let next = 0;
  const work = async () => {
    while (next < items.length) {
      const i = next++;
      const size = sizes ? sizes[i] : { h: side, w: side };
      try {
        if (!size) throw new Error('unreadable header');
        decoded[i] = await decodeImage(items[i]!.file, size.w, size.h);
      } catch {
        decoded[i] = null;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, work));
  const kept = items.map((_, i) => i).filter((i) => decoded[i]);
  for (let i = 0; i < items.length; i++) if (!decoded[i]) skipped.push(items[i]!.file);
  const dims = new Int32Array(kept.length * 2);
  kept.forEach((i, k) => {
    const size = sizes ? sizes[i]! : { h: side, w: side };
    dims[2 * k] = size.h;
    dims[2 * k + 1] = size.w;
  });
  const layout = packLayout(dims);
  const pixels = new Uint8Array(layout.starts[kept.length]!);
  kept.forEach((i, k) => pixels.set(decoded[i]!, layout.starts[k]!));
  return { pixels, labels: Int32Array.from(kept, (i) => items[i]!.label), count: kept.length, side, ...(whole ? { layout } : {}) };
}
