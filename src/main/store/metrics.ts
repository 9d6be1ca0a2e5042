// Metric points and run events: written in batches, read by step.
import type { Db } from './db';
import type { MetricPoint, RunEvent } from '../../shared/domain';

export function insertMetrics(db: Db, runId: number, points: readonly MetricPoint[]): void {
  const stmt = db.prepare('INSERT INTO metrics (run_id, step, epoch, split, name, value) VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const p of points) stmt.run(runId, p.step, p.epoch, p.split, p.name, Number.isFinite(p.value) ? p.value : null);
  })();
}

export function listMetrics(db: Db, runId: number, afterStep = -1): MetricPoint[] {
  const rows = db
    .prepare('SELECT step, epoch, split, name, value FROM metrics WHERE run_id = ? AND step > ? ORDER BY step, rowid')
    .all(runId, afterStep) as { step: number; epoch: number; split: 'train' | 'val'; name: string; value: number | null }[];
  return rows.map((r) => ({ ...r, value: r.value ?? Number.NaN }));
}

export function insertEvent(db: Db, runId: number, ev: RunEvent): RunEvent {
  const createdAt = new Date().toISOString();
  const res = db
    .prepare('INSERT INTO events (run_id, step, epoch, kind, payload_json, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(runId, ev.step, ev.epoch, ev.kind, JSON.stringify(ev.payload ?? {}), createdAt);
  return { ...ev, id: Number(res.lastInsertRowid), createdAt };
}

export function listEvents(db: Db, runId: number): RunEvent[] {
  const rows = db
    .prepare('SELECT id, step, epoch, kind, payload_json, created_at FROM events WHERE run_id = ? ORDER BY step, id')
    .all(runId) as { id: number; step: number; epoch: number; kind: string; payload_json: string; created_at: string }[];
  return rows.map((r) => ({ id: r.id, step: r.step, epoch: r.epoch, kind: r.kind, payload: JSON.parse(r.payload_json), createdAt: r.created_at }));
}

export interface SeriesPoint {
  step: number;
  epoch: number;
  value: number;
}

/**
 * One metric over a step range, at most ~2 × buckets points: every bucket keeps its minimum and its
 * maximum (in step order), so no spike and no best value disappears when a long run is drawn.
 */
export function metricSeries(db: Db, runId: number, split: string, name: string, buckets: number, fromStep = 0, toStep = Number.MAX_SAFE_INTEGER): SeriesPoint[] {
  const range = db
    .prepare('SELECT min(step) AS lo, max(step) AS hi, count(*) AS n FROM metrics WHERE run_id = ? AND split = ? AND name = ? AND step BETWEEN ? AND ?')
    .get(runId, split, name, fromStep, toStep) as { lo: number | null; hi: number | null; n: number };
  if (range.lo === null || range.hi === null) return [];
  if (range.n <= 2 * buckets)
    return db
      .prepare('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND split = ? AND name = ? AND step BETWEEN ? AND ? ORDER BY step')
      .all(runId, split, name, range.lo, range.hi) as SeriesPoint[];
  const width = (range.hi - range.lo + 1) / buckets;
  // SQLite returns the row holding the min (or max) for bare columns next to a single min()/max().
  const pick = (agg: 'min' | 'max') =>
    db
      .prepare(
        `SELECT step, epoch, ${agg}(value) AS value FROM metrics
         WHERE run_id = ? AND split = ? AND name = ? AND step BETWEEN ? AND ? AND value IS NOT NULL
         GROUP BY CAST((step - ?) / ? AS INTEGER)`,
      )
      .all(runId, split, name, range.lo, range.hi, range.lo, width) as SeriesPoint[];
  const byStep = new Map<number, SeriesPoint>();
  for (const p of [...pick('min'), ...pick('max')]) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
