// The run page's x axis as step, epoch or elapsed training time. Every point is recorded at a step;
// its epoch (fractional within an epoch) and its time come from knots the run records: each epoch's
// last step, and the training clock at each read-back of losses (train/elapsed). Between knots the
// mapping is linear; past the last knot it keeps the last known rate, before the first it starts at 0.

export type XAxis = 'step' | 'epoch' | 'time';

export const X_LABELS: Record<XAxis, string> = { step: 'step', epoch: 'epoch', time: 'training time (s)' };

/** A piecewise-linear map through (x, y) knots sorted by x, from (0, 0). */
export function interpolator(knots: readonly { x: number; y: number }[]): (x: number) => number {
  const k = [{ x: 0, y: 0 }, ...knots.filter((p) => p.x > 0 && Number.isFinite(p.y))].sort((a, b) => a.x - b.x);
  return (x) => {
    if (k.length === 1) return x <= 0 ? 0 : Number.NaN;
    // Binary search for the segment holding x (the last one beyond the end).
    let lo = 0;
    let hi = k.length - 1;
    if (x >= k[hi]!.x) lo = hi - 1;
    else
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (k[mid]!.x <= x) lo = mid;
        else hi = mid;
      }
    const a = k[lo]!;
    const b = k[lo + 1]!;
    return b.x === a.x ? b.y : a.y + ((x - a.x) * (b.y - a.y)) / (b.x - a.x);
  };
}
