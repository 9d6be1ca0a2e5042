// Exponential moving average as TensorBoard draws it: weight w in [0, 1), debiased so that the first
// points are not pulled towards zero (each value divided by 1 − w^n). Non-finite values are skipped.
export function ema(points: readonly { x: number; y: number }[], weight: number): { x: number; y: number }[] {
  if (weight <= 0) return points.slice();
  let last = 0;
  let n = 0;
  const out: { x: number; y: number }[] = [];
  for (const p of points) {
    if (!Number.isFinite(p.y)) continue;
    last = last * weight + (1 - weight) * p.y;
    n += 1;
    out.push({ x: p.x, y: last / (1 - weight ** n) });
  }
  return out;
}
