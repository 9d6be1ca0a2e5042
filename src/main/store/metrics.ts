// Metric points and run events: written in batches, read by step.
import type { Db } from './db';
import type { MetricPoint, RunEvent } from '../../shared/domain';

/**
 * A point already recorded (same run, split, name and step) is kept as first written and the new
 * copy ignored: writing a point is idempotent by design, so a delivery repeated after a crash (the
 * cluster's at-least-once event streams) lands exactly once. Two trainers on one run cannot happen
 * (ownership: store/owners.ts claims, services/ownership.ts rules); the unique key is the database's own guarantee.
 */
export function insertMetrics(db: Db, runId: number, points: readonly MetricPoint[]): void {
  const stmt = db.prepare('INSERT INTO metrics (run_id, step, epoch, split, name, value) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
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

/** Returns the recorded event, or null where the same fact (a checkpoint file, an LR drop at a step) is already recorded. */
export function insertEvent(db: Db, runId: number, ev: RunEvent): RunEvent | null {
  const createdAt = new Date().toISOString();
  const res = db
    .prepare('INSERT INTO events (run_id, step, epoch, kind, payload_json, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
    .run(runId, ev.step, ev.epoch, ev.kind, JSON.stringify(ev.payload ?? {}), createdAt);
  return res.changes ? { ...ev, id: Number(res.lastInsertRowid), createdAt } : null;
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

/** Steps per row of metric_blocks (migration 004). */
const BLOCK = 256;

interface BlockRow {
  block: number;
  min_step: number;
  min_epoch: number;
  min_value: number;
  max_step: number;
  max_epoch: number;
  max_value: number;
}

/** Recomputes the blocks of one metric that lost points (resume truncation) or predate migration 004. */
function refreshDirtyBlocks(db: Db, runId: number, split: string, name: string): void {
  const dirty = db.prepare('SELECT block FROM metric_blocks WHERE run_id = ? AND split = ? AND name = ? AND dirty = 1').pluck().all(runId, split, name) as number[];
  if (!dirty.length) return;
  const where = 'FROM metrics WHERE run_id = ? AND split = ? AND name = ? AND value IS NOT NULL AND step BETWEEN ? AND ?';
  const stats = db.prepare(`SELECT count(*) AS n, min(step) AS lo, max(step) AS hi ${where}`);
  const lowest = db.prepare(`SELECT step, epoch, min(value) AS value ${where}`);
  const highest = db.prepare(`SELECT step, epoch, max(value) AS value ${where}`);
  const drop = db.prepare('DELETE FROM metric_blocks WHERE run_id = ? AND split = ? AND name = ? AND block = ?');
  const update = db.prepare(
    'UPDATE metric_blocks SET n = ?, lo_step = ?, hi_step = ?, min_step = ?, min_epoch = ?, min_value = ?, max_step = ?, max_epoch = ?, max_value = ?, dirty = 0 WHERE run_id = ? AND split = ? AND name = ? AND block = ?',
  );
  db.transaction(() => {
    for (const b of dirty) {
      const args = [runId, split, name, b * BLOCK, b * BLOCK + BLOCK - 1] as const;
      const st = stats.get(...args) as { n: number; lo: number; hi: number };
      if (!st.n) {
        drop.run(runId, split, name, b);
        continue;
      }
      const mn = lowest.get(...args) as SeriesPoint;
      const mx = highest.get(...args) as SeriesPoint;
      update.run(st.n, st.lo, st.hi, mn.step, mn.epoch, mn.value, mx.step, mx.epoch, mx.value, runId, split, name, b);
    }
  })();
}

/**
 * One metric over a step range, at most ~2 × buckets points: every bucket keeps its minimum and its
 * maximum (in step order), so no spike and no best value disappears when a long run is drawn.
 * Buckets are whole numbers of 256-step blocks, so they are answered from the blocks' stored
 * extremes; only the partial blocks at the range's ends are read point by point.
 */
export function metricSeries(db: Db, runId: number, split: string, name: string, buckets: number, fromStep = 0, toStep = Number.MAX_SAFE_INTEGER): SeriesPoint[] {
  refreshDirtyBlocks(db, runId, split, name);
  const range = db
    .prepare('SELECT min(lo_step) AS lo, max(hi_step) AS hi, sum(n) AS n FROM metric_blocks WHERE run_id = ? AND split = ? AND name = ? AND block BETWEEN ? AND ?')
    .get(runId, split, name, Math.floor(fromStep / BLOCK), Math.floor(toStep / BLOCK)) as { lo: number | null; hi: number | null; n: number | null };
  const raw = (from: number, to: number) =>
    db.prepare('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND split = ? AND name = ? AND step BETWEEN ? AND ? ORDER BY step').all(runId, split, name, from, to) as SeriesPoint[];
  if (range.lo === null || range.hi === null) return [];
  const lo = Math.max(range.lo, fromStep);
  const hi = Math.min(range.hi, toStep);
  // Few enough points (edge blocks counted whole): every one, nulls included.
  if ((range.n ?? 0) <= 2 * buckets) return raw(lo, hi);
  const width = Math.max(1, Math.ceil((hi - lo + 1) / buckets / BLOCK)) * BLOCK;
  const firstFull = Math.ceil(lo / BLOCK);
  const lastFull = Math.floor((hi + 1) / BLOCK) - 1;
  const candidates: SeriesPoint[] = [];
  if (firstFull <= lastFull) {
    const rows = db
      .prepare('SELECT block, min_step, min_epoch, min_value, max_step, max_epoch, max_value FROM metric_blocks WHERE run_id = ? AND split = ? AND name = ? AND block BETWEEN ? AND ?')
      .all(runId, split, name, firstFull, lastFull) as BlockRow[];
    for (const r of rows) candidates.push({ step: r.min_step, epoch: r.min_epoch, value: r.min_value }, { step: r.max_step, epoch: r.max_epoch, value: r.max_value });
    if (lo < firstFull * BLOCK) candidates.push(...raw(lo, firstFull * BLOCK - 1));
    if (hi >= (lastFull + 1) * BLOCK) candidates.push(...raw((lastFull + 1) * BLOCK, hi));
  } else candidates.push(...raw(lo, hi));
  const lowest = new Map<number, SeriesPoint>();
  const highest = new Map<number, SeriesPoint>();
  for (const p of candidates) {
    if (p.value === null) continue;
    const b = Math.floor(p.step / width);
    const l = lowest.get(b);
    if (!l || p.value < l.value || (p.value === l.value && p.step < l.step)) lowest.set(b, p);
    const h = highest.get(b);
    if (!h || p.value > h.value || (p.value === h.value && p.step < h.step)) highest.set(b, p);
  }
  const byStep = new Map<number, SeriesPoint>();
  for (const p of [...lowest.values(), ...highest.values()]) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
