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
