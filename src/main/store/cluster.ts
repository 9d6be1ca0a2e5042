// Runs held by the cluster queue: which are active, who trains them, and how far their event stream
// has been taken in. The cursor moves by compare-and-set inside the transaction that writes the rows
// it covers: two processes ingesting one stream cannot both apply an entry.
import type { Db } from './db';
import type { RunStatus } from '../../shared/domain';

export interface ClusterRun {
  id: number;
  status: RunStatus;
  cursor: string;
  worker: string | null;
  session: string | null;
  /** The number of the last entry taken from that session. */
  seq: number;
  createdAt: string;
}

const ACTIVE = "('queued', 'running')";

/** Cluster runs whose stream may still carry news: queued or running. */
export function activeClusterRuns(db: Db): ClusterRun[] {
  return db
    .prepare(
      `SELECT id, status, stream_cursor AS cursor, worker, worker_session AS session, stream_seq AS seq, created_at AS createdAt FROM runs
       WHERE placement = 'cluster' AND status IN ${ACTIVE} ORDER BY id`,
    )
    .all() as ClusterRun[];
}

export function clusterRun(db: Db, id: number): ClusterRun | undefined {
  return db
    .prepare(`SELECT id, status, stream_cursor AS cursor, worker, worker_session AS session, stream_seq AS seq, created_at AS createdAt FROM runs WHERE id = ? AND placement = 'cluster'`)
    .get(id) as ClusterRun | undefined;
}

/** Moves the cursor from `from` to `to` (and the session's entry number); false when another process moved it first (then roll back). */
export function advanceCursor(db: Db, id: number, from: string, to: string, seq: number): boolean {
  return db.prepare('UPDATE runs SET stream_cursor = ?, stream_seq = ? WHERE id = ? AND stream_cursor = ?').run(to, seq, id, from).changes === 1;
}

/** The worker (and its execution) that now holds the run. */
export function assignWorker(db: Db, id: number, worker: string, session: string): void {
  db.prepare('UPDATE runs SET worker = ?, worker_session = ?, stream_seq = 0 WHERE id = ?').run(worker, session, id);
}

/** A worker handed the run back to the queue: queued again, held by no worker. */
export function requeue(db: Db, id: number): void {
  db.prepare(`UPDATE runs SET status = 'queued', worker_session = NULL WHERE id = ? AND status IN ${ACTIVE}`).run(id);
}

/** Takes a finished run back onto the cluster queue (resume), if its status is still one of `from`. */
export function claimForCluster(db: Db, id: number, from: readonly RunStatus[]): boolean {
  return (
    db
      .prepare(
        `UPDATE runs SET status = 'queued', placement = 'cluster', owner_pid = NULL, owner_host = NULL, owner_since = NULL, heartbeat_at = NULL, requested = NULL, worker_session = NULL
         WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`,
      )
      .run(id, ...from).changes === 1
  );
}
