import { describe, expect, it } from 'vitest';
import { openMemoryDatabase } from '../../src/main/store/db';
import { insertMetrics, metricSeries } from '../../src/main/store/metrics';
import { insertRun } from '../../src/main/store/runs';
import { TrainParams } from '../../src/shared/domain';
import { thisProcess } from '../../src/main/services/ownership';

describe('decimated metric series', () => {
  it('keeps every bucket’s min and max: a single spike and the best value survive 100,000 → ~200 points', () => {
    const db = openMemoryDatabase();
    const id = insertRun(db, TrainParams.parse({ config: 'A' }), 'test', thisProcess());
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

  it('answers from per-block extremes exactly as a scan of every point would, also after points are deleted', () => {
    const db = openMemoryDatabase();
    const id = insertRun(db, TrainParams.parse({ config: 'A' }), 'test', thisProcess());
    let v = 0;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const points = Array.from({ length: 20_000 }, (_, i) => ({ step: i + 1, epoch: 1 + Math.floor(i / 500), split: 'train' as const, name: 'loss', value: (v += rnd() - 0.5) }));
    insertMetrics(db, id, points);
    /** Every point scanned, bucketed as the blocks are (width a multiple of 256, aligned at step 0). */
    const brute = (from: number, to: number, buckets: number) => {
      const inRange = points.filter((p) => p.step >= from && p.step <= to);
      const width = Math.max(1, Math.ceil((inRange.at(-1)!.step - inRange[0]!.step + 1) / buckets / 256)) * 256;
      const lo = new Map<number, (typeof points)[number]>();
      const hi = new Map<number, (typeof points)[number]>();
      for (const p of inRange) {
        const b = Math.floor(p.step / width);
        if (!lo.has(b) || p.value < lo.get(b)!.value) lo.set(b, p);
        if (!hi.has(b) || p.value > hi.get(b)!.value) hi.set(b, p);
      }
      return [...new Set([...lo.values(), ...hi.values()])].sort((a, b) => a.step - b.step).map((p) => [p.step, p.value]);
    };
    const got = (from: number, to: number, buckets: number) => metricSeries(db, id, 'train', 'loss', buckets, from, to).map((p) => [p.step, p.value]);
    expect(got(0, Number.MAX_SAFE_INTEGER, 30)).toEqual(brute(0, Number.MAX_SAFE_INTEGER, 30));
    expect(got(1234, 8765, 12)).toEqual(brute(1234, 8765, 12));
    // A resumed run drops the points after its checkpoint: the blocks they touched are recomputed.
    db.prepare('DELETE FROM metrics WHERE run_id = ? AND step > ?').run(id, 15_000);
    points.length = 15_000;
    expect(got(0, Number.MAX_SAFE_INTEGER, 30)).toEqual(brute(0, Number.MAX_SAFE_INTEGER, 30));
    expect(got(10_000, 20_000, 8)).toEqual(brute(10_000, 20_000, 8));
  });
});
