// Runs trained on this machine: queued on the scheduler's worker threads, recorded as they go, owned
// by this process; a run another process on the same data folder trains gets stop and pause
// requests through its row (ownership.ts).
import fs from 'node:fs';
import { ContractError } from '../../shared/contract';
import { RESUMABLE_STATUSES, type BackendChoice, type BackendInfo, type RunDetail, type TrainParams } from '../../shared/domain';
import { runDir } from '../paths';
import { rewindTo, type CheckpointRow } from '../store/checkpoints';
import type { Db } from '../store/db';
import { insertEvent } from '../store/metrics';
import { claim, holds, request } from '../store/owners';
import { getRun, insertRun, markFinished } from '../store/runs';
import { chooseBackend } from '../training/backends';
import type { ToWorker } from '../training/messages';
import { scaleRange } from '../training/scale';
import { APP_VERSION } from '../version';
import type { EventBus } from './bus';
import type { Ownership } from './ownership';
import type { RunHooks, RunPlacement } from './placement';
import { Recorder } from './recorder';
import type { Scheduler } from './scheduler';
import { resolveWarmStart } from './warmstart';

export interface LocalDeps {
  db: Db;
  bus: EventBus;
  scheduler: Scheduler;
  dataDir: string;
  /** The backends to choose from: all of them for 'auto', else just the one asked for. */
  backends: (choice?: BackendChoice) => Promise<BackendInfo[]>;
  ownership: Ownership;
  hooks: RunHooks;
}

export class LocalPlacement implements RunPlacement {
  readonly name = 'local' as const;
  constructor(private readonly deps: LocalDeps) {}

  /** A forced backend that is missing fails the run at once. */
  async start(params: TrainParams): Promise<{ id: number }> {
    const id = insertRun(this.deps.db, params, APP_VERSION, this.deps.ownership.me);
    await this.queue(id, params, {});
    return { id };
  }

  /** Claimed for this process in one conditional update: a run that another live process trains is refused, and a refusal changes nothing. */
  async resume(run: RunDetail, ck: CheckpointRow | null): Promise<void> {
    const { db, ownership } = this.deps;
    const id = run.id;
    const at = { step: ck?.step ?? 0, epoch: ck?.epoch ?? 0 };
    const event = db.transaction(() => {
      if (!claim(db, id, ownership.me, RESUMABLE_STATUSES)) throw new ContractError(ownership.busyMessage(id), 'conflict');
      rewindTo(db, id, at.step, at.epoch);
      return insertEvent(db, id, { ...at, kind: 'resume', payload: { fromStep: at.step, fromEpoch: at.epoch, previousStatus: run.status, ...(ck ? {} : { restarted: true }) } });
    })();
    if (event) this.deps.bus.emit('run.event', { runId: id, event });
    await this.queue(id, run.params, ck ? { resume: { file: ck.path, sha256: ck.sha256 } } : {});
  }

  pause(run: RunDetail, on: boolean): { id: number; paused: boolean } {
    const { id } = run;
    if (this.deps.scheduler.send(id, { type: on ? 'pause' : 'unpause' })) return { id, paused: on };
    // Another process trains it: the request reaches that owner through the run's row.
    if (run.status === 'running' && this.deps.ownership.ownedElsewhere(id) && request(this.deps.db, id, on ? 'pause' : 'continue')) return { id, paused: on };
    throw new ContractError(`run ${id} is not running (status: ${run.status})`, 'conflict');
  }

  stop(run: RunDetail): { id: number; status: string } {
    const { db, scheduler, hooks } = this.deps;
    const { id } = run;
    if (!scheduler.isActive(id) && this.deps.ownership.ownedElsewhere(id) && request(db, id, 'stop')) return { id, status: 'stopping' };
    const res = scheduler.stop(id);
    if (res === 'dequeued') {
      insertEvent(db, id, { step: run.step, epoch: run.epoch, kind: 'stop', payload: { reason: 'stopped before it started' } });
      markFinished(db, id, 'stopped', null, null);
      hooks.publish(id);
      hooks.settle(id, 'stopped');
      return { id, status: 'stopped' };
    }
    if (res === false) throw new ContractError(`run ${id} is not running (status: ${run.status})`, 'conflict');
    return { id, status: 'stopping' };
  }

  forget(): void {
    /* its folder in the data folder is all it has */
  }

  private async queue(id: number, params: TrainParams, extra: Pick<Extract<ToWorker, { type: 'start' }>, 'resume' | 'warmStart'>): Promise<void> {
    const { db, bus, scheduler, dataDir, hooks, ownership } = this.deps;
    const fail = (reason: string) => {
      markFinished(db, id, 'failed', null, reason);
      hooks.publish(id);
      hooks.settle(id, 'failed');
    };
    let backend: BackendInfo;
    try {
      backend = chooseBackend(params.backend, await this.deps.backends(params.backend));
    } catch (err) {
      return fail((err as Error).message);
    }
    const dir = runDir(dataDir, id);
    fs.mkdirSync(dir, { recursive: true });
    const recorder = new Recorder(db, bus, id, () => holds(db, id, ownership.me), () => {
      // Another process judged this one gone and took the run: stop training it here, at once.
      process.stderr.write(`vgglab: run ${id} was taken over by another process; this process stops training it\n`);
      scheduler.stop(id);
    });
    hooks.publish(id);
    scheduler.submit({
      runId: id,
      // A warm start is resolved when the run's turn comes: its source may still be training.
      prepare: () => ({ type: 'start', runId: id, params, scales: scaleRange(params), backend, runDir: dir, ...extra, warmStart: extra.warmStart ?? resolveWarmStart(db, params) }),
      onRefused: fail,
      onMessage: (msg) => recorder.handle(msg),
      onExit: (crash) => {
        recorder.flush();
        if (crash) {
          markFinished(db, id, 'failed', null, crash);
          hooks.publish(id);
        }
        hooks.settle(id, getRun(db, id)?.status ?? 'failed');
      },
    });
  }
}
