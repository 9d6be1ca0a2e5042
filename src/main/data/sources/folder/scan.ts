// folder:PATH — one sub-folder per class, or train/ and val/ each holding class sub-folders.
// Finding the classes and files, and splitting them; decoding is ../../image-files.ts.
import fs from 'node:fs';
import path from 'node:path';
import { DatasetError } from '../../errors';
import type { ImageFileScan, Item } from '../../image-files';
import { carveValidation } from '../../subset';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp', '.avif'];
const isImage = (f: string) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase());

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

const classFolders = (dir: string) => listDir(dir).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();

function scanClasses(dir: string, names?: string[]): { classNames: string[]; items: Item[] } {
  const classNames = names ?? classFolders(dir);
  const items: Item[] = [];
  classNames.forEach((name, label) => {
    const cdir = path.join(dir, name);
    if (!fs.existsSync(cdir)) return;
    for (const f of listDir(cdir)) if (f.isFile() && isImage(f.name)) items.push({ file: path.join(cdir, f.name), label });
  });
  return { classNames, items };
}

/**
 * Finds classes and files, and splits them: train/ (with val/ and test/ where present), or class
 * folders at the top. Without val/, a seeded share of each class of train is held out for validation.
 */
/** Whether the folder holds train/ with val/ or test/ (each with class folders), and a test for its top folders. */
function layoutOf(root: string): { hasSplits: boolean; has: (name: string) => boolean } {
  const top = listDir(root);
  const has = (name: string) => top.some((d) => d.isDirectory() && d.name === name);
  return { hasSplits: has('train') && (has('val') || has('test')), has };
}

/** The class names as scanFolder finds them, from the class folders alone (no file is listed). */
export function folderClassNames(root: string): string[] {
  return classFolders(layoutOf(root).hasSplits ? path.join(root, 'train') : root);
}

export function scanFolder(root: string, valFraction: number, seed: number): ImageFileScan {
  const { hasSplits, has } = layoutOf(root);
  let scan: ImageFileScan;
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
