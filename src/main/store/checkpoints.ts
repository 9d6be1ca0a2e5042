// Checkpoint rows: which files hold a run's state, newest first.
import type { Db } from './db';
import type { CheckpointInfo } from '../../shared/domain';

export type CheckpointRow = CheckpointInfo;

const COLS = 'id, run_id AS runId, epoch, step, kind, path, sha256, val_top1 AS valTop1, created_at AS createdAt';

export function insertCheckpoint(db: Db, c: Omit<CheckpointRow, 'id' | 'createdAt'>): number {
  return Number(
    db
      .prepare(
        `INSERT INTO checkpoints (run_id, epoch, step, kind, path, sha256, val_top1, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, path) DO UPDATE SET epoch = excluded.epoch, step = excluded.step, kind = excluded.kind, sha256 = excluded.sha256, val_top1 = excluded.val_top1, created_at = excluded.created_at`,
      )
      .run(c.runId, c.epoch, c.step, c.kind, c.path, c.sha256, c.valTop1, new Date().toISOString()).lastInsertRowid,
  );
}

export function listCheckpoints(db: Db, runId: number): CheckpointRow[] {
  return db.prepare(`SELECT ${COLS} FROM checkpoints WHERE run_id = ? ORDER BY step DESC, id DESC`).all(runId) as CheckpointRow[];
}

export function latestCheckpoint(db: Db, runId: number): CheckpointRow | undefined {
  return listCheckpoints(db, runId)[0];
}

/** The kept checkpoint written at the end of `epoch` (or on a stop after it). */
export function checkpointAtEpoch(db: Db, runId: number, epoch: number): CheckpointRow | undefined {
  return db.prepare(`SELECT ${COLS} FROM checkpoints WHERE run_id = ? AND epoch = ? ORDER BY step DESC, id DESC LIMIT 1`).get(runId, epoch) as CheckpointRow | undefined;
}

export function bestCheckpoint(db: Db, runId: number): CheckpointRow | undefined {
  return (db.prepare(`SELECT ${COLS} FROM checkpoints WHERE run_id = ? AND kind = 'best' ORDER BY step DESC LIMIT 1`).get(runId) as CheckpointRow | undefined) ?? latestCheckpoint(db, runId);
}

/** Keeps the newest `keep` checkpoints and the newest 'best'; returns the rows removed. */
export function pruneCheckpoints(db: Db, runId: number, keep: number): CheckpointRow[] {
  const all = listCheckpoints(db, runId);
  const best = all.find((c) => c.kind === 'best');
  const removed = all.filter((c, i) => i >= keep && c !== best);
  const del = db.prepare('DELETE FROM checkpoints WHERE id = ?');
  db.transaction(() => removed.forEach((c) => del.run(c.id)))();
  return removed;
}

/** Drops everything recorded after a checkpoint's step, so a resumed run continues without duplicates. */
export function rewindTo(db: Db, runId: number, step: number, epoch: number): void {
  db.transaction(() => {
    db.prepare('DELETE FROM metrics WHERE run_id = ? AND step > ?').run(runId, step);
    db.prepare("DELETE FROM events WHERE run_id = ? AND step > ? AND kind IN ('lr_drop', 'early_stop', 'diverged', 'checkpoint')").run(runId, step);
    db.prepare('DELETE FROM checkpoints WHERE run_id = ? AND step > ?').run(runId, step);
    db.prepare("UPDATE runs SET status = 'queued', epoch = ?, step = ?, error = NULL, ended_at = NULL WHERE id = ?").run(epoch, step, runId);
  })();
}
