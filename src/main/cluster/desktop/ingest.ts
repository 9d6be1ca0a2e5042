// Takes cluster runs' event streams from Redis into the local store. Each batch of entries is
// applied in one transaction together with the move of the run's cursor (compare-and-set), so an
// entry lands exactly once even with several processes ingesting and across restarts of any of them;
// entries stay in Redis until that transaction has committed, and are trimmed only then.
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Db } from '../../store/db';
import type { EventName, Events } from '../../../shared/contract';
import type { RunStatus } from '../../../shared/domain';
import { EventBus } from '../../services/bus';
import { Recorder } from '../../services/recorder';
import { insertCheckpoint, rewindTo } from '../../store/checkpoints';
import { insertEvent } from '../../store/metrics';
import { activeClusterRuns, advanceCursor, assignWorker, requeue, type ClusterRun } from '../../store/cluster';
import { decode, streamKey } from '../shared/protocol';

/** Holds events until the transaction that wrote their rows has committed. */
class DeferredBus extends EventBus {
  private pending: [EventName, unknown][] = [];
  override emit<E extends EventName>(name: E, payload: Events[E]): void {
    this.pending.push([name, payload]);
  }
  replay(to: EventBus): void {
    for (const [name, payload] of this.pending) to.emit(name, payload as never);
    this.pending = [];
  }
}

class LostRace extends Error {}

const BATCH = 500;

export interface IngestDeps {
  db: Db;
  bus: EventBus;
  redis: Redis;
  store: string;
  /** This machine's mount of the shared artifacts folder (checkpoint paths in the stream are relative to it). */
  artifacts: string;
  /** Tells the UI the run's row changed. */
  publish: (id: number) => void;
  /** A run reached a final state. */
  settled: (id: number, status: RunStatus) => void;
  /** Told, for each batch of metric points committed, how long after it reached Redis (the bench's latency figure). */
  onCommitted?: (msSinceRedis: number[]) => void;
}

export class Ingester {
  private running: Promise<number> | null = null;
  constructor(private readonly deps: IngestDeps) {}

  /** Takes in whatever the active cluster runs' streams hold; resolves to the number of entries applied. One pass at a time. */
  tick(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  /** Resolves once no pass is under way (before the database closes). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<number> {
    let applied = 0;
    for (const run of activeClusterRuns(this.deps.db)) {
      for (;;) {
        const entries = (await this.deps.redis.xrange(streamKey(this.deps.store, run.id), `(${run.cursor}`, '+', 'COUNT', BATCH)) as [string, string[]][];
        if (!entries.length) break;
        const moved = this.apply(run, entries);
        if (moved === null) break;
        applied += entries.length;
        run.cursor = moved.cursor;
        run.session = moved.session;
        run.seq = moved.seq;
        if (moved.finished || entries.length < BATCH) break;
      }
    }
    return applied;
  }

  /** Applies entries in one transaction; null when another process took them first. */
  private apply(run: ClusterRun, entries: [string, string[]][]): { cursor: string; session: string | null; seq: number; finished: boolean } | null {
    const { db, store, artifacts } = this.deps;
    const bus = new DeferredBus();
    const recorder = new Recorder(db, bus, run.id, () => true, () => undefined);
    let session = run.session;
    let seq = run.seq;
    let finished: RunStatus | null = null;
    const last = entries[entries.length - 1]![0];
    try {
      db.transaction(() => {
        for (const [, fields] of entries) {
          const d = decode(fields);
          if (!d || finished) continue;
          const { msg } = d;
          if (msg.type === 'assigned') {
            if (d.session === session) continue; // the same announcement sent twice
            session = d.session;
            seq = d.seq;
            assignWorker(db, run.id, msg.worker, d.session);
            continue;
          }
          // A worker that lost the run (its lock expired and another took it) may still write: ignored.
          if (d.session !== session) continue;
          // A copy of an entry already taken (resent after a reconnect).
          if (d.seq <= seq) continue;
          seq = d.seq;
          if (msg.type === 'rewind') {
            recorder.flush();
            rewindTo(db, run.id, msg.step, msg.epoch);
            const ck = msg.checkpoint;
            insertCheckpoint(db, { runId: run.id, epoch: ck.epoch, step: ck.step, kind: ck.kind, path: path.join(artifacts, ck.file), sha256: ck.sha256, valTop1: ck.valTop1 });
            const event = insertEvent(db, run.id, { step: msg.step, epoch: msg.epoch, kind: 'resume', payload: { fromStep: msg.step, fromEpoch: msg.epoch, previousStatus: run.status } });
            if (event) bus.emit('run.event', { runId: run.id, event });
          } else if (msg.type === 'handback') {
            recorder.flush();
            requeue(db, run.id);
            session = null;
            const at = db.prepare('SELECT epoch, step FROM runs WHERE id = ?').get(run.id) as { epoch: number; step: number };
            const event = insertEvent(db, run.id, { step: at.step, epoch: at.epoch, kind: 'note', payload: { message: `worker ${msg.worker} gave the run back to the queue (${msg.reason})` } });
            if (event) bus.emit('run.event', { runId: run.id, event });
          } else if (msg.type === 'checkpoint') {
            recorder.handle({ ...msg, file: path.join(artifacts, msg.file) });
          } else {
            recorder.handle(msg);
            if (msg.type === 'done') finished = msg.status;
          }
        }
        recorder.flush();
        if (!advanceCursor(db, run.id, run.cursor, last, seq)) throw new LostRace();
      })();
    } catch (err) {
      if (err instanceof LostRace) return null;
      throw err;
    }
    if (this.deps.onCommitted) {
      const now = Date.now();
      this.deps.onCommitted(entries.filter(([, f]) => f.join(' ').includes('"type":"metrics"')).map(([entryId]) => now - Number(entryId.split('-')[0])));
    }
    bus.replay(this.deps.bus);
    this.deps.publish(run.id);
    const key = streamKey(store, run.id);
    // Committed: what this store has taken may go. A finished run's stream goes whole.
    void (finished ? this.deps.redis.del(key) : this.deps.redis.xtrim(key, 'MINID', last)).catch(() => undefined);
    if (finished) this.deps.settled(run.id, finished);
    return { cursor: last, session, seq, finished: finished !== null };
  }
}
