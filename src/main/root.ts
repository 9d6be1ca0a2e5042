// The project's root folder, found upward from this module wherever it runs from: the source tree,
// or a bundle in out/main (the CLI's, the workers'). Files that are not modules (worker entry points,
// the bench's child scripts, the built UI) are named from it, never relative to the module that
// asks, whose folder differs between the source tree and a bundle.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let found: string | undefined;

export function projectRoot(): string {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vgglab') return (found = dir);
    dir = path.dirname(dir);
  }
  throw new Error(`VGG Lab's project folder (its package.json) was not found above ${fileURLToPath(import.meta.url)}`);
}

/** A file of the project, e.g. projectFile('src/main/training/train-thread.boot.mjs'). */
export const projectFile = (rel: string): string => path.join(projectRoot(), ...rel.split('/'));
