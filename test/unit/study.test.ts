// The paper study's plan (rows, warm-start sources, seeds), its proportional scales, the statistics
// that judge the paper's findings over seeds, and the learning-rate warm-up its runs may use.
import { describe, expect, it } from 'vitest';
import { judgeFindings, rowKey, rowStats, studyPlan, studyTable } from '../../src/shared/study';
import { warmupRate } from '../../src/shared/schedule';
import { studyScale } from '../../src/main/services/studies';

describe('the study plan', () => {
  it('has Table 3’s twelve rows per seed, each warm-started from the run the paper used', () => {
    const plan = studyPlan(['A', 'A-LRN', 'B', 'C', 'D', 'E'], 1, 1);
    const named = plan.map((p) => [rowKey(p.config, p.scale), p.from === undefined ? null : rowKey(plan[p.from]!.config, plan[p.from]!.scale), p.lrFactor]);
    expect(named).toEqual([
      ['A@256', null, 1],
      ['A-LRN@256', null, 1],
      ['B@256', 'A@256', 1],
      ['C@256', 'A@256', 1],
      ['D@256', 'A@256', 1],
      ['E@256', 'A@256', 1],
      // S = 384 from the S = 256 net of the same configuration, at a tenth of the rate.
      ['C@384', 'C@256', 0.1],
      ['D@384', 'D@256', 0.1],
      ['E@384', 'E@256', 0.1],
      // Jittered from the S = 384 net (the paper's fine-tuning chain).
      ['C@256-512', 'C@384', 0.1],
      ['D@256-512', 'D@384', 0.1],
      ['E@256-512', 'E@384', 0.1],
    ]);
    // Every source comes earlier in the plan, so a first-in first-out queue trains it first.
    plan.forEach((p, i) => p.from !== undefined && expect(p.from).toBeLessThan(i));
  });

  it('repeats the table per seed, each seed’s runs starting from that seed’s own nets', () => {
    const plan = studyPlan(['A', 'D'], 3, 7);
    expect(plan.map((p) => `${rowKey(p.config, p.scale)}/${p.seed}`)).toEqual(['A@256/7', 'D@256/7', 'D@384/7', 'D@256-512/7', 'A@256/8', 'D@256/8', 'D@384/8', 'D@256-512/8', 'A@256/9', 'D@256/9', 'D@384/9', 'D@256-512/9']);
    plan.forEach((p) => p.from !== undefined && expect(plan[p.from]!.seed).toBe(p.seed));
  });

  it('brings A wherever a deeper net needs it as a warm start, and leaves out the 384 and jittered rows of A, A-LRN and B', () => {
    expect(studyPlan(['E'], 1, 1).map((p) => rowKey(p.config, p.scale))).toEqual(['A@256', 'E@256', 'E@384', 'E@256-512']);
    expect(studyPlan(['A-LRN', 'B'], 1, 1).map((p) => rowKey(p.config, p.scale))).toEqual(['A@256', 'A-LRN@256', 'B@256']);
  });

  it('scales every training scale with the crop: 256, 384 and [256, 512] at 224 px, 37, 55 and [37, 73] at 32 px', () => {
    expect(['256', '384', '256-512'].map((s) => studyScale(s as '256', 224))).toEqual(['256', '384', '256:512']);
    expect(['256', '384', '256-512'].map((s) => studyScale(s as '256', 32))).toEqual(['37', '55', '37:73']);
  });
});

describe('judging the paper’s findings over seeds', () => {
  it('mean and sample standard deviation; one seed has no spread', () => {
    expect(rowStats([10, 12, 14])).toEqual({ n: 3, mean: 12, sd: 2 });
    expect(rowStats([10])).toEqual({ n: 1, mean: 10, sd: null });
    expect(rowStats([])).toBeNull();
  });

  it('resolves a difference of at least twice its standard error, in either direction, and nothing at one seed', () => {
    const stats = (a: number[], d: number[]) => new Map([[rowKey('A', '256'), rowStats(a)!], [rowKey('D', '256'), rowStats(d)!]]);
    const depth = (a: number[], d: number[]) => judgeFindings(stats(a, d)).find((f) => f.name === 'depth (A vs D)')!;
    // se = √(1/3 + 1/3) ≈ 0.816: a gap of 2 is resolved, the paper's way round.
    expect(depth([15, 16, 17], [13, 14, 15])).toMatchObject({ verdict: 'agrees', diff: 2, n: 3 });
    expect(depth([15, 16, 17], [13, 14, 15]).se).toBeCloseTo(Math.sqrt(2 / 3), 12);
    // The same gap the other way is resolved against the paper.
    expect(depth([13, 14, 15], [15, 16, 17]).verdict).toBe('disagrees');
    // A gap of 1 is below 2 × 0.816: not resolved.
    expect(depth([15, 16, 17], [14, 15, 16]).verdict).toBe('not resolved');
    // One seed: no standard error, so never resolved, however large the gap.
    expect(depth([30], [10])).toMatchObject({ verdict: 'not resolved', se: null, n: 1 });
    // Two nets both at chance (no spread, no difference) resolve nothing.
    expect(depth([90, 90], [90, 90]).verdict).toBe('not resolved');
  });

  it('judges only rows whose every figure is a Table 3 evaluation, and keeps each seed’s figure', () => {
    const fig = (row: string, runId: number, seed: number, top1: number, q: number | null) => ({ row, runId, seed, top1Error: top1, top5Error: null, q, split: q === null ? null : ('test' as const) });
    const t = studyTable([fig('A@256', 1, 1, 16, 37), fig('D@256', 2, 1, 14, 37), fig('A@256', 3, 2, 17, 37), fig('D@256', 4, 2, 13, null)]);
    expect(t.rows.map((r) => [r.row, r.figures.map((f) => f.top1Error), r.evaluated])).toEqual([
      ['A@256', [16, 17], true],
      ['D@256', [14, 13], false],
    ]);
    expect(t.findings).toEqual([]);
  });
});

describe('learning-rate warm-up', () => {
  it('climbs linearly over the warm-up steps, then leaves the schedule’s rate alone; none without warm-up', () => {
    const want = [0.0001, 0.0002, 0.005, 0.0099, 0.01, 0.01];
    [1, 2, 50, 99, 100, 101].forEach((s, i) => expect(warmupRate(0.01, s, 100)).toBeCloseTo(want[i]!, 15));
    expect(warmupRate(0.01, 1, 0)).toBe(0.01);
  });
});
