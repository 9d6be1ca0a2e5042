// Ownership of runs in a shared data folder: each claim is one conditional UPDATE, so two
// processes can never both win a run; requests to stop or pause travel through the run's row.
import type { Db } from './db';
import type { RunStatus } from '../../shared/domain';

/** Who owns a run: a process on a host (services/ownership.ts says how one is identified and when it is gone). */
export interface Owner {
  pid: number;
  host: string;
  /**
   * When the process started, in a form that tells two processes with the same id apart:
   * `linux:BOOT_ID:TICKS` (kernel boot id and start time in clock ticks), elsewhere `ms:EPOCH_MS`.
   */
  since: string;
}

export interface OwnedRun {
  id: number;
  status: RunStatus;
  owner: Owner | null;
  heartbeatAt: string | null;
  startedAt: string | null;
}

export type OwnerRequest = 'stop' | 'pause' | 'continue';

const ACTIVE = "('queued', 'running')";
const MINE = 'owner_pid = ? AND owner_host = ? AND owner_since = ?';
const mine = (o: Owner) => [o.pid, o.host, o.since] as const;
const now = () => new Date().toISOString();

interface Row {
  id: number;
  status: RunStatus;
  owner_pid: number | null;
  owner_host: string | null;
  owner_since: string | null;
  heartbeat_at: string | null;
  started_at: string | null;
}
const COLS = 'id, status, owner_pid, owner_host, owner_since, heartbeat_at, started_at';
const toOwned = (r: Row): OwnedRun => ({
  id: r.id,
  status: r.status,
  owner: r.owner_pid !== null && r.owner_host !== null && r.owner_since !== null ? { pid: r.owner_pid, host: r.owner_host, since: r.owner_since } : null,
  heartbeatAt: r.heartbeat_at,
  startedAt: r.started_at,
});

export function ownedRun(db: Db, id: number): OwnedRun | undefined {
  const r = db.prepare(`SELECT ${COLS} FROM runs WHERE id = ?`).get(id) as Row | undefined;
  return r && toOwned(r);
}

/** Local runs that some process has queued or is training (a cluster run is held by the queue, not a process). */
export function activeRuns(db: Db): OwnedRun[] {
  return (db.prepare(`SELECT ${COLS} FROM runs WHERE status IN ${ACTIVE} AND placement = 'local'`).all() as Row[]).map(toOwned);
}

/** Whether `owner` still holds the run (it is queued or running under that owner). */
export function holds(db: Db, id: number, owner: Owner): boolean {
  return db.prepare(`SELECT 1 FROM runs WHERE id = ? AND status IN ${ACTIVE} AND ${MINE}`).get(id, ...mine(owner)) !== undefined;
}

/** Takes a finished run for `owner` (queued again) if its status is still one of `from`; false if another process won. */
export function claim(db: Db, id: number, owner: Owner, from: readonly RunStatus[]): boolean {
  const at = now();
  return (
    db
      .prepare(
        `UPDATE runs SET status = 'queued', owner_pid = ?, owner_host = ?, owner_since = ?, heartbeat_at = ?, requested = NULL, placement = 'local', worker = NULL
         WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`,
      )
      .run(...mine(owner), at, id, ...from).changes === 1
  );
}

/** Marks a run interrupted if it is still active under the owner that was judged gone (null: none recorded). */
export function markOwnerGone(db: Db, id: number, owner: Owner | null): boolean {
  const sql = owner
    ? `UPDATE runs SET status = 'interrupted', ended_at = ?, requested = NULL WHERE id = ? AND status IN ${ACTIVE} AND ${MINE}`
    : `UPDATE runs SET status = 'interrupted', ended_at = ?, requested = NULL WHERE id = ? AND status IN ${ACTIVE} AND owner_pid IS NULL AND placement = 'local'`;
  return db.prepare(sql).run(now(), id, ...(owner ? mine(owner) : [])).changes === 1;
}

/** The owner's heartbeat on every run it holds. */
export function heartbeat(db: Db, owner: Owner): number {
  return db.prepare(`UPDATE runs SET heartbeat_at = ? WHERE status IN ${ACTIVE} AND ${MINE}`).run(now(), ...mine(owner)).changes;
}

/** Asks the owner of an active run to stop, pause or continue; false if the run is not active. */
export function request(db: Db, id: number, what: OwnerRequest): boolean {
  return db.prepare(`UPDATE runs SET requested = ? WHERE id = ? AND status IN ${ACTIVE}`).run(what, id).changes === 1;
}

/** The requests addressed to `owner`, each taken (cleared) as it is read. */
export function takeRequests(db: Db, owner: Owner): { id: number; requested: OwnerRequest }[] {
  return db.transaction(() => {
    const rows = db.prepare(`SELECT id, requested FROM runs WHERE requested IS NOT NULL AND status IN ${ACTIVE} AND ${MINE}`).all(...mine(owner)) as { id: number; requested: OwnerRequest }[];
    if (rows.length) db.prepare(`UPDATE runs SET requested = NULL WHERE requested IS NOT NULL AND ${MINE}`).run(...mine(owner));
    return rows;
  })();
}
