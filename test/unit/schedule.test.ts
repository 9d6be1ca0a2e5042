import { describe, expect, it } from 'vitest';
import { afterEpoch, initialSchedule, plateauLevels, previewSchedule, stepSegments, type ScheduleOptions } from '../../src/shared/schedule';

const run = (opts: ScheduleOptions, accs: number[]) => {
  const s = initialSchedule(opts);
  return accs.map((a, i) => afterEpoch(s, opts, i + 1, a));
};

describe('learning-rate schedules', () => {
  it('plateau divides by 10 after `patience` epochs without improvement, then stops after the last drop', () => {
    const opts = { spec: 'plateau', lr: 0.01, patience: 2, maxDrops: 2, minDelta: 0 };
    const d = run(opts, [0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3]);
    const drops = d.map((x, i) => (x.drop ? i + 1 : 0)).filter(Boolean);
    expect(drops).toEqual([4, 7]);
    expect(d[3]!.drop).toMatchObject({ from: 0.01 });
    expect(d[3]!.drop!.to).toBeCloseTo(0.001, 12);
    expect(d.findIndex((x) => x.stop) + 1).toBe(9);
  });

  it('step drops at the named epochs only', () => {
    const opts = { spec: 'step:2,4', lr: 0.1, patience: 1, maxDrops: 3, minDelta: 0 };
    const d = run(opts, [0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(d.map((x) => Boolean(x.drop))).toEqual([false, true, false, true, false]);
    expect(d.some((x) => x.stop)).toBe(false);
    const lrs = previewSchedule(opts, 5).map((p) => p.lr);
    [0.1, 0.1, 0.01, 0.01, 0.001].forEach((want, i) => expect(lrs[i]).toBeCloseTo(want, 12));
  });

  it('none never changes the rate', () => {
    const d = run({ spec: 'none', lr: 0.1, patience: 1, maxDrops: 3, minDelta: 0 }, [0.5, 0.4, 0.3]);
    expect(d.every((x) => !x.drop && !x.stop)).toBe(true);
  });

  it('the New-run preview\'s segments are the trainer\'s own drops: a repeated or late step epoch changes nothing twice', () => {
    const opts = (spec: string): ScheduleOptions => ({ spec, lr: 0.01, patience: 2, maxDrops: 3, minDelta: 0 });
    const at = (spec: string, epochs: number) => stepSegments(opts(spec), epochs).map((x) => [x.from, x.to, Number(x.lr.toExponential(6))]);
    expect(at('step:2,4', 6)).toEqual([[1, 2, 1e-2], [3, 4, 1e-3], [5, 6, 1e-4]]);
    expect(at('step:2,2', 4)).toEqual([[1, 2, 1e-2], [3, 4, 1e-3]]);
    expect(at('step:9', 4)).toEqual([[1, 4, 1e-2]]);
    // The same drops as the trainer makes, epoch by epoch.
    const state = initialSchedule(opts('step:2,4'));
    const trained: number[] = [];
    for (let e = 1; e <= 6; e++) {
      trained.push(state.lr);
      afterEpoch(state, opts('step:2,4'), e, 0.5);
    }
    expect(stepSegments(opts('step:2,4'), 6).flatMap((x) => Array.from({ length: x.to - x.from + 1 }, () => x.lr))).toEqual(trained);
  });

  it('the preview\'s plateau levels are the rates the trainer drops to, until it stops', () => {
    const opts: ScheduleOptions = { spec: 'plateau', lr: 0.02, patience: 1, maxDrops: 3, minDelta: 0 };
    const state = initialSchedule(opts);
    const reached = [state.lr];
    // Never improving: a drop after every epoch until the last one, then the stop.
    for (let e = 1; e <= 10; e++) {
      const d = afterEpoch(state, opts, e, 0);
      if (d.drop) reached.push(d.drop.to);
      if (d.stop) break;
    }
    expect(plateauLevels(opts)).toEqual(reached);
    expect(reached).toHaveLength(4);
  });
});
