// How numbers read, the same in the terminal and in the window.
const missing = (x: number | null | undefined): x is null | undefined => x === null || x === undefined || Number.isNaN(x);

/** 0.1234 → "12.3%"; a missing value → "–". */
export const pct = (x: number | null | undefined) => (missing(x) ? '–' : `${(100 * x).toFixed(1)}%`);

/** A value to `digits` decimals; a missing value → "–". */
export const fixed = (x: number | null | undefined, digits = 3) => (missing(x) ? '–' : x.toFixed(digits));

/** 15218180096 → "15.22 G" (parameters, FLOPs). */
export function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

/**
 * Which weights an evaluation scored: "final (epoch 12)", "best (epoch 9)", "epoch 4" — or, in a
 * sentence, "final weights (epoch 12)", "best-on-validation weights (epoch 9)", "epoch 4 weights".
 * Records from before this was kept used the best checkpoint.
 */
export function weightsLabel(c: { kind: 'last' | 'best' | 'epoch'; epoch: number } | undefined | null, inSentence = false): string {
  const w = inSentence ? ' weights' : '';
  if (!c) return inSentence ? 'best-on-validation weights' : 'best';
  if (c.kind === 'epoch') return `epoch ${c.epoch}${w}`;
  return `${c.kind === 'last' ? 'final' : inSentence ? 'best-on-validation' : 'best'}${w} (epoch ${c.epoch})`;
}
