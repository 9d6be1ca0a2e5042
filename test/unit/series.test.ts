import { describe, expect, it } from 'vitest';
import { openMemoryDatabase } from '../../src/main/store/db';
import { insertMetrics, metricSeries } from '../../src/main/store/metrics';
import { insertRun } from '../../src/main/store/runs';
import { TrainParams } from '../../src/shared/domain';

describe('decimated metric series', () => {
  it('keeps every bucket’s min and max: a single spike and the best value survive 100,000 → ~200 points', () => {
    const db = openMemoryDatabase();
    const id = insertRun(db, TrainParams.parse({ config: 'A' }), 'test');
    const points = Array.from({ length: 100_000 }, (_, i) => ({ step: i + 1, epoch: 1 + Math.floor(i / 1000), split: 'train' as const, name: 'loss', value: 2 + Math.sin(i / 300) * 0.1 }));
    points[54_321]!.value = 99; // a spike
    points[77_777]!.value = -5; // the minimum
    insertMetrics(db, id, points);
    const s = metricSeries(db, id, 'train', 'loss', 100);
    expect(s.length).toBeLessThanOrEqual(200);
    expect(s.length).toBeGreaterThan(100);
    expect(s.find((p) => p.value === 99)?.step).toBe(54_322);
    expect(s.find((p) => p.value === -5)?.step).toBe(77_778);
    expect(s.map((p) => p.step)).toEqual([...s.map((p) => p.step)].sort((a, b) => a - b));
    // A zoomed range at full resolution.
    const z = metricSeries(db, id, 'train', 'loss', 1000, 1000, 1500);
    expect(z.map((p) => p.step)).toEqual(Array.from({ length: 501 }, (_, i) => 1000 + i));
  });
});
