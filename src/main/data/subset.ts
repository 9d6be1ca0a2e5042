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

/**
 * A seeded share of every class held out for validation (at least one image of each class that has
 * two or more), so the plateau schedule and the best epoch never see the test split.
 */
export function carveValidation(labels: ArrayLike<number>, fraction: number, seed: number): { train: number[]; val: number[] } {
  const rng = mulberry32((seed ^ 0x5417) >>> 0);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) byClass.set(labels[i]!, [...(byClass.get(labels[i]!) ?? []), i]);
  const train: number[] = [];
  const val: number[] = [];
  for (const k of [...byClass.keys()].sort((a, b) => a - b)) {
    const mine = byClass.get(k)!;
    shuffleInPlace(mine, rng);
    const nVal = mine.length > 1 ? Math.max(1, Math.round(mine.length * fraction)) : 0;
    val.push(...mine.slice(0, nVal));
    train.push(...mine.slice(nVal));
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}

/** A limit below the class count would leave classes without any image: refused, naming both. */
export function checkLimit(what: 'training' | 'validation', n: number | undefined, classes: number, spec: string): void {
  if (n !== undefined && n < classes)
    throw new DatasetError(`${spec}: a limit of ${n} ${what} image(s) is fewer than its ${classes} classes; use at least ${classes}, or no limit to use every image`);
}
