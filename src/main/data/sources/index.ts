// The dataset kinds, one module each; this list is the only one. A folder being registered is
// matched against them in order (the image-folder kind, which accepts anything, last).
import { cifar10, cifar100 } from './cifar';
import { folder } from './folder';
import { mnist } from './mnist';
import { synthetic } from './synthetic';
import type { DataSource } from './types';

export type { DataSource } from './types';

export const SOURCES: readonly DataSource[] = [synthetic, cifar10, cifar100, mnist, folder];

/** The kind of dataset a folder holds, from its files. */
export function detectKind(dir: string): DataSource {
  return SOURCES.find((s) => s.pathHolds && s.detect?.(dir))!;
}
