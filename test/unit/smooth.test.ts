// The charts' smoothing: TensorBoard's debiased exponential moving average.
import { describe, expect, it } from 'vitest';
import { ema } from '../../src/renderer/src/lib/smooth';

describe('chart smoothing', () => {
  it('is the debiased moving average: a constant stays itself from the first point, a step is approached geometrically', () => {
    const flat = ema([1, 2, 3, 4].map((x) => ({ x, y: 5 })), 0.9);
    flat.forEach((p) => expect(p.y).toBeCloseTo(5, 12));
    // 0 then 1s with w = 0.5: the debiased averages are 0, 2/3, 6/7, 14/15.
    const step = ema([{ x: 1, y: 0 }, { x: 2, y: 1 }, { x: 3, y: 1 }, { x: 4, y: 1 }], 0.5).map((p) => p.y);
    [0, 2 / 3, 6 / 7, 14 / 15].forEach((want, i) => expect(step[i]).toBeCloseTo(want, 12));
  });

  it('is off at weight 0, keeps every x, and skips non-finite points', () => {
    const pts = [{ x: 1, y: 3 }, { x: 2, y: Number.NaN }, { x: 3, y: 1 }];
    expect(ema(pts, 0)).toEqual(pts);
    expect(ema(pts, 0.5).map((p) => p.x)).toEqual([1, 3]);
  });
});

describe('x axis knots', () => {
  it('maps a step to its epoch or time linearly between knots, from zero, and on at the last rate beyond them', async () => {
    const { interpolator } = await import('../../src/renderer/src/lib/axis');
    // Epochs end at steps 10, 20 and 30.
    const epoch = interpolator([{ x: 20, y: 2 }, { x: 10, y: 1 }, { x: 30, y: 3 }]);
    expect([0, 5, 10, 15, 30].map(epoch)).toEqual([0, 0.5, 1, 1.5, 3]);
    // The clock ran slower in the second stretch; step 40 is past the last knot, at its rate.
    const time = interpolator([{ x: 8, y: 4 }, { x: 16, y: 12 }]);
    expect([4, 8, 12, 16, 20].map(time)).toEqual([2, 4, 8, 12, 16]);
    expect(interpolator([])(0)).toBe(0);
    expect(interpolator([])(5)).toBeNaN();
  });
});
