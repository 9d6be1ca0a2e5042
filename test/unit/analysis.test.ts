// The Analyse page's arithmetic: axes, brushes and which parameter moved a metric most.
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/shared/domain';
import { axisOf, dimension, influence, passes, varying } from '../../src/renderer/src/lib/analysis';

function run(id: number, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id, config: 'A', experiment: null, dataset: 'synthetic', status: 'completed', backend: 'native', device: null, epoch: 4, epochs: 4, step: 40,
    createdAt: '2026-12-01T00:00:00Z', startedAt: '2026-12-01T00:00:00Z', endedAt: '2026-12-01T00:01:40Z', error: null, valTop1: 0.5, tags: [], notes: '',
    placement: 'local', worker: null, lr: 0.01, batch: 32, width: 0.125, inputSize: 32, scale: null, seed: 1, bestValTop1: 0.5, evaluation: null,
    ...over,
  };
}
const evaluated = (top1Error: number) => ({ evaluation: { protocol: 'center', top1Error, top5Error: top1Error / 2 } });

describe('analysis', () => {
  it('ranks the parameter that moved test error most first, with the best and worst values and their means', () => {
    // Depth (config) moves the error by 20 points, the learning rate by about 3, the seed (balanced
    // against both) by none.
    const runs = [
      run(1, { config: 'A', seed: 1, lr: 0.01, ...evaluated(0.28) }),
      run(2, { config: 'A', seed: 2, lr: 0.001, ...evaluated(0.32) }),
      run(3, { config: 'E', seed: 2, lr: 0.01, ...evaluated(0.08) }),
      run(4, { config: 'E', seed: 1, lr: 0.001, ...evaluated(0.12) }),
      run(5, { config: 'D', seed: 1, lr: 0.001, ...evaluated(0.2) }),
      run(6, { config: 'D', seed: 2, lr: 0.01, evaluation: null }), // no test figure: left out
    ];
    const ranking = influence(runs, dimension('evalTop1'));
    expect(ranking.map((r) => r.dim.key)).toEqual(['config', 'lr', 'seed']);
    const depth = ranking[0]!;
    expect(depth.levels.map((l) => l.value)).toEqual(['E', 'D', 'A']); // lower error is better: best first
    expect(depth.levels[0]!.mean).toBeCloseTo(0.1, 12);
    expect(depth.levels[0]!.n).toBe(2);
    expect(depth.spread).toBeCloseTo(0.2, 12);
    expect(ranking[1]!.spread).toBeCloseTo((0.32 + 0.12 + 0.2) / 3 - 0.18, 12);
    expect(ranking[2]!.spread).toBeCloseTo(0, 12);
    // For a metric where higher is better, the best level comes first too.
    const acc = influence(runs.map((r) => ({ ...r, bestValTop1: 1 - (r.evaluation?.top1Error ?? 0.5) })), dimension('best'));
    expect(acc[0]!.levels[0]!.value).toBe('E');
  });

  it('lays out axes: categories in the paper\'s order, the learning rate on a log scale, a single value in the middle', () => {
    const runs = [run(1, { config: 'E', lr: 0.1 }), run(2, { config: 'A-LRN', lr: 0.001 }), run(3, { config: 'B', lr: 0.01 })];
    const cfg = axisOf(dimension('config'), runs);
    expect(cfg.ticks.map((t) => t.label)).toEqual(['A-LRN', 'B', 'E']);
    expect(runs.map(cfg.at)).toEqual([1, 0, 0.5]);
    const lr = axisOf(dimension('lr'), runs);
    expect(lr.at(runs[2]!)).toBeCloseTo(0.5, 12); // 0.01 halfway between 0.001 and 0.1 on a log axis
    expect(axisOf(dimension('batch'), runs).at(runs[0]!)).toBe(0.5);
    expect(axisOf(dimension('evalTop1'), runs).at(runs[0]!)).toBeNull();
    expect(varying(runs).map((d) => d.key)).toEqual(['config', 'lr']);
  });

  it('brushes keep only the runs inside every range; a run without a value on a brushed axis is out', () => {
    const runs = [run(1, { batch: 16, ...evaluated(0.1) }), run(2, { batch: 32, ...evaluated(0.2) }), run(3, { batch: 64, ...evaluated(0.3) }), run(4, { batch: 64 })];
    const axes = [axisOf(dimension('batch'), runs), axisOf(dimension('evalTop1'), runs)];
    expect(runs.filter((r) => passes(r, [], axes)).map((r) => r.id)).toEqual([1, 2, 3, 4]);
    const top = { key: 'batch', lo: 0.2, hi: 1 };
    expect(runs.filter((r) => passes(r, [top], axes)).map((r) => r.id)).toEqual([2, 3, 4]);
    expect(runs.filter((r) => passes(r, [top, { key: 'evalTop1', lo: 0, hi: 0.6 }], axes)).map((r) => r.id)).toEqual([2]);
  });
});
