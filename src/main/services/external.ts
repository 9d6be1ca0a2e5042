// Runs that another process trains in this data folder (a CLI run beside the app, another serve):
// their new points, events and progress are read from the shared database and re-broadcast on this
// process's bus, so its UI shows them live too, about once a second.
import type { Db } from '../store/db';
import type { MetricPoint, RunEvent } from '../../shared/domain';
import type { EventBus } from './bus';
import type { Owner } from '../store/owners';

interface Seen {
  status: string;
  epoch: number;
  step: number;
}

export class ExternalRuns {
  private lastPoint: number;
  private lastEvent: number;
  private readonly seen = new Map<number, Seen>();

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly me: Owner,
    /** Publishes a run's summary row (run.updated). */
    private readonly publish: (id: number) => void,
    /** Whether this process takes the cluster's streams in itself (and so announces those runs' news as it writes them). */
    private readonly ingestsCluster: () => boolean = () => false,
  ) {
    this.lastPoint = (db.prepare('SELECT coalesce(max(rowid), 0) FROM metrics').pluck().get() as number) ?? 0;
    this.lastEvent = (db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number) ?? 0;
  }

  poll(): void {
    const { db } = this;
    const runs = db
      .prepare(
        `SELECT id, status, epoch, step FROM runs WHERE status IN ('queued', 'running')
         AND NOT (owner_pid IS ? AND owner_host IS ? AND owner_since IS ?) AND NOT (? AND placement = 'cluster')`,
      )
      .all(this.me.pid, this.me.host, this.me.since, this.ingestsCluster() ? 1 : 0) as ({ id: number } & Seen)[];
    // Runs that were external and have just ended: one last summary.
    for (const id of this.seen.keys()) if (!runs.some((r) => r.id === id)) (this.seen.delete(id), this.publish(id));
    const ids = new Set(runs.map((r) => r.id));
    if (!ids.size) {
      // Nothing to follow: skip past what this process itself wrote.
      this.lastPoint = (db.prepare('SELECT coalesce(max(rowid), 0) FROM metrics').pluck().get() as number) ?? 0;
      this.lastEvent = (db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck().get() as number) ?? 0;
      return;
    }
    const points = db.prepare('SELECT rowid AS rowid, run_id, step, epoch, split, name, value FROM metrics WHERE rowid > ? ORDER BY rowid').all(this.lastPoint) as ({ rowid: number; run_id: number } & MetricPoint)[];
    if (points.length) this.lastPoint = points.at(-1)!.rowid;
    const byRun = new Map<number, MetricPoint[]>();
    for (const { rowid: _r, run_id, ...p } of points) if (ids.has(run_id)) byRun.set(run_id, [...(byRun.get(run_id) ?? []), { ...p, value: p.value ?? Number.NaN }]);
    for (const [runId, list] of byRun) this.bus.emit('run.metrics', { runId, points: list });
    const events = db.prepare('SELECT id, run_id, step, epoch, kind, payload_json, created_at FROM events WHERE id > ? ORDER BY id').all(this.lastEvent) as {
      id: number;
      run_id: number;
      step: number;
      epoch: number;
      kind: string;
      payload_json: string;
      created_at: string;
    }[];
    if (events.length) this.lastEvent = events.at(-1)!.id;
    for (const e of events) {
      if (!ids.has(e.run_id)) continue;
      const event: RunEvent = { id: e.id, step: e.step, epoch: e.epoch, kind: e.kind, payload: JSON.parse(e.payload_json), createdAt: e.created_at };
      this.bus.emit('run.event', { runId: e.run_id, event });
    }
    for (const r of runs) {
      const before = this.seen.get(r.id);
      if (!before || before.status !== r.status || before.epoch !== r.epoch || before.step !== r.step) {
        this.seen.set(r.id, { status: r.status, epoch: r.epoch, step: r.step });
        this.publish(r.id);
      }
    }
  }
}
