// "Use at most N images": a subset that keeps every class, not the first N of a class-ordered list.
import { DatasetError } from './errors';
import { mulberry32, shuffleInPlace } from './rng';

/**
 * Indices of at most `n` samples taken evenly across classes (round-robin over each class's samples
 * in a seeded random order), returned in their original order; null when the whole split is kept.
 * A class with fewer samples than its share gives what it has and the others fill the rest.
 */
export function balancedSubset(labels: ArrayLike<number>, n: number | undefined, seed: number): number[] | null {
  if (n === undefined || n >= labels.length) return null;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!) ?? [];
    list.push(i);
    byClass.set(labels[i]!, list);
  }
  const rng = mulberry32((seed ^ 0x5b5e7) >>> 0);
  const lists = [...byClass.keys()].sort((a, b) => a - b).map((k) => {
    const list = byClass.get(k)!;
    shuffleInPlace(list, rng);
    return list;
  });
  const out: number[] = [];
  for (let round = 0; out.length < n; round++)
    for (const list of lists) if (round < list.length && out.length < n) out.push(list[round]!);
  return out.sort((a, b) => a - b);
}

/** A limit below the class count would leave classes without any image: refused, naming both. */
export function checkLimit(what: 'training' | 'validation', n: number | undefined, classes: number, spec: string): void {
  if (n !== undefined && n < classes)
    throw new DatasetError(`${spec}: a limit of ${n} ${what} image(s) is fewer than its ${classes} classes; use at least ${classes}, or no limit to use every image`);
}
