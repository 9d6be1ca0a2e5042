// Starting, stopping and reading training runs.
import fs from 'node:fs';
import { ContractError } from '../../shared/contract';
import { TrainParams, type BackendInfo, type RunDetail, type RunStatus, type TrainParamsInput } from '../../shared/domain';
import type { Db } from '../store/db';
import { listEvents, listMetrics, insertEvent } from '../store/metrics';
import { getRun, insertRun, listRuns, markFinished } from '../store/runs';
import { chooseBackend } from '../training/backend';
import { runDir } from '../paths';
import { APP_VERSION } from '../version';
import type { EventBus } from './bus';
import { Recorder } from './recorder';
import type { Scheduler } from './scheduler';

export interface RunServiceDeps {
  db: Db;
  bus: EventBus;
  scheduler: Scheduler;
  dataDir: string;
  backends: () => Promise<BackendInfo[]>;
}

export class RunService {
  private readonly finished = new Map<number, Array<(status: RunStatus) => void>>();
  constructor(private readonly deps: RunServiceDeps) {}

  list() {
    return listRuns(this.deps.db);
  }

  get(id: number): RunDetail {
    const run = getRun(this.deps.db, id);
    if (!run) throw new ContractError(`run ${id} does not exist`, 'not_found');
    return run;
  }

  metrics(id: number, afterStep: number) {
    this.get(id);
    return listMetrics(this.deps.db, id, afterStep);
  }

  events(id: number) {
    this.get(id);
    return listEvents(this.deps.db, id);
  }

  /** Records the run, then queues it; a forced backend that is missing fails the run at once. */
  async start(input: TrainParamsInput): Promise<{ id: number }> {
    const params = TrainParams.parse(input);
    const { db, bus, scheduler, dataDir } = this.deps;
    const id = insertRun(db, params, APP_VERSION);
    let backend: BackendInfo;
    try {
      backend = chooseBackend(params.backend, await this.deps.backends());
    } catch (err) {
      markFinished(db, id, 'failed', null, (err as Error).message);
      this.publish(id);
      this.settle(id, 'failed');
      return { id };
    }
    const dir = runDir(dataDir, id);
    fs.mkdirSync(dir, { recursive: true });
    const recorder = new Recorder(db, bus, id);
    this.publish(id);
    scheduler.submit({
      runId: id,
      start: { type: 'start', runId: id, params, backend, runDir: dir },
      onMessage: (msg) => recorder.handle(msg),
      onExit: (crash) => {
        recorder.flush();
        if (crash) {
          markFinished(db, id, 'failed', null, crash);
          this.publish(id);
        }
        this.settle(id, this.get(id).status);
      },
    });
    return { id };
  }

  stop(id: number): { id: number; status: string } {
    const run = this.get(id);
    const res = this.deps.scheduler.stop(id);
    if (res === 'dequeued') {
      insertEvent(this.deps.db, id, { step: run.step, epoch: run.epoch, kind: 'stop', payload: { reason: 'stopped before it started' } });
      markFinished(this.deps.db, id, 'stopped', null, null);
      this.publish(id);
      this.settle(id, 'stopped');
      return { id, status: 'stopped' };
    }
    if (res === false) throw new ContractError(`run ${id} is not running (status: ${run.status})`, 'conflict');
    return { id, status: 'stopping' };
  }

  /** Resolves when the run reaches a final state. */
  waitFor(id: number): Promise<RunStatus> {
    const run = this.get(id);
    if (!this.deps.scheduler.isActive(id) && run.status !== 'queued' && run.status !== 'running') return Promise.resolve(run.status);
    return new Promise((resolve) => {
      const list = this.finished.get(id) ?? [];
      list.push(resolve);
      this.finished.set(id, list);
    });
  }

  private settle(id: number, status: RunStatus): void {
    for (const fn of this.finished.get(id) ?? []) fn(status);
    this.finished.delete(id);
  }

  private publish(id: number): void {
    const { params: _p, seed: _s, appVersion: _v, ...summary } = this.get(id);
    this.deps.bus.emit('run.updated', summary);
  }
}
