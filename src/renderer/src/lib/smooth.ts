// Exponential moving average as TensorBoard draws it: weight w in [0, 1), debiased so that the first
// points are not pulled towards zero (each value divided by 1 − w^n). Non-finite values are skipped.
export function ema(points: readonly { x: number; y: number }[], weight: number): { x: number; y: number }[] {
  if (weight <= 0) return points.slice();
  let last = 0;
  // weight^n, kept as a running product (a power per point costs more than the rest of the loop).
  let decay = 1;
  const out: { x: number; y: number }[] = new Array(points.length);
  let k = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (!Number.isFinite(p.y)) continue;
    last = last * weight + (1 - weight) * p.y;
    decay *= weight;
    out[k++] = { x: p.x, y: last / (1 - decay) };
  }
  out.length = k;
  return out;
}
