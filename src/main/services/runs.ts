// Starting, stopping and reading training runs. Where a run trains is its placement's business
// (placement.ts: this machine or the cluster); who holds a run across processes is ownership's
// (ownership.ts); the paper's chain is a recipe (recipes.ts), its study a service (studies.ts).
import fs from 'node:fs';
import { ContractError } from '../../shared/contract';
import { ACTIVE_STATUSES as ACTIVE, RESUMABLE_STATUSES as RESUMABLE, type BackendChoice, type ConfigName, type Placement, type RunDetail, type RunStatus, type TrainParams } from '../../shared/domain';
import { runDir } from '../paths';
import { latestCheckpoint } from '../store/checkpoints';
import type { Db } from '../store/db';
import { listEvents, listMetrics } from '../store/metrics';
import { activeRuns } from '../store/owners';
import { annotateRun, deleteRun, getRun, listRuns, setRunBackend } from '../store/runs';
import { scaleRange } from '../training/scale';
import type { EventBus } from './bus';
import type { Ownership } from './ownership';
import type { RunHooks, RunPlacement } from './placement';
import { startChain } from './recipes';
import type { Scheduler } from './scheduler';
import { checkWarmStart } from './warmstart';


export interface RunServiceDeps {
  db: Db;
  bus: EventBus;
  scheduler: Scheduler;
  dataDir: string;
  /** Turns a registered dataset's name into its SPEC. */
  resolveDataset?: (spec: string) => string;
  /** Builds the placements (local, cluster) and the ownership rules, given the hooks they report through. */
  placements: (hooks: RunHooks) => { placements: Record<Placement, RunPlacement>; ownership: Ownership };
}

export class RunService {
  private readonly finished = new Map<number, Array<(status: RunStatus) => void>>();
  private readonly placements: Record<Placement, RunPlacement>;
  readonly ownership: Ownership;

  constructor(private readonly deps: RunServiceDeps) {
    ({ placements: this.placements, ownership: this.ownership } = deps.placements({ publish: (id) => this.publish(id), settle: (id, status) => this.settle(id, status) }));
  }

  list(limit?: number) {
    return listRuns(this.deps.db, limit);
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

  /**
   * Records the run, then queues it where it asks to train; a forced backend that is missing fails
   * the run at once. The parameters were parsed at the edge (transport or CLI) and are not parsed again here.
   */
  async start(parsed: TrainParams): Promise<{ id: number }> {
    const params = { ...parsed, dataset: this.deps.resolveDataset?.(parsed.dataset) ?? parsed.dataset };
    // Refused before anything is recorded: an unknown dataset name, a warm start that cannot apply, a scale below the crop.
    checkWarmStart(this.deps.db, params);
    scaleRange(params);
    return this.placements[params.on].start(params);
  }

  /** The paper's chain: A, then each deeper net warm-started from it (recipes.ts). */
  startChain(base: Omit<TrainParams, 'config' | 'init'>, configs: ConfigName[]) {
    return startChain(this, base, configs);
  }

  /**
   * Continues a stopped, failed or interrupted run from its newest checkpoint, under the same id and
   * step axis. `orRestart`: a local run with no checkpoint yet (it never finished an epoch, or never
   * started) starts again from its first step instead of being refused (a study's resume).
   */
  async resume(id: number, backend?: BackendChoice, opts: { orRestart?: boolean } = {}): Promise<{ id: number; fromEpoch: number; fromStep: number }> {
    this.ownership.sweep(id);
    let run = this.get(id);
    if (ACTIVE.includes(run.status)) throw new ContractError(this.ownership.busyMessage(id), 'conflict');
    if (!RESUMABLE.includes(run.status)) throw new ContractError(`run ${id} is ${run.status}; only ${RESUMABLE.join(', ')} runs can be resumed`, 'conflict');
    const ck = latestCheckpoint(this.deps.db, id) ?? null;
    if (!ck && !(opts.orRestart && run.placement === 'local')) throw new ContractError(`run ${id} has no checkpoint to resume from (it stopped before its first epoch ended); start a new run instead`, 'conflict');
    if (backend && backend !== run.params.backend) {
      setRunBackend(this.deps.db, id, backend);
      run = this.get(id);
    }
    await this.placements[run.placement].resume(run, ck);
    return { id, fromEpoch: ck?.epoch ?? 0, fromStep: ck?.step ?? 0 };
  }

  /** Marks runs whose owner is provably gone as interrupted (ownership.ts); returns the ids marked. */
  sweep(only?: number): number[] {
    return this.ownership.sweep(only);
  }

  annotate(id: number, tags?: string[], notes?: string): RunDetail {
    this.get(id);
    annotateRun(this.deps.db, id, tags, notes);
    this.publish(id);
    return this.get(id);
  }

  /** Removes the run's rows and its files; refused while it runs. */
  delete(id: number): { id: number; deleted: true } {
    const run = this.get(id);
    if (this.deps.scheduler.isActive(id) || ACTIVE.includes(run.status)) throw new ContractError(`run ${id} is ${run.status}; stop it before deleting it`, 'conflict');
    deleteRun(this.deps.db, id);
    fs.rmSync(runDir(this.deps.dataDir, id), { recursive: true, force: true });
    this.placements[run.placement].forget(run);
    this.deps.bus.emit('run.deleted', { id });
    return { id, deleted: true };
  }

  /** Holds a running run between steps (its worker and memory stay), or lets it go on. */
  pause(id: number, on: boolean): { id: number; paused: boolean } | Promise<{ id: number; paused: boolean }> {
    const run = this.get(id);
    return this.placements[run.placement].pause(run, on);
  }

  stop(id: number): { id: number; status: string } | Promise<{ id: number; status: string }> {
    const run = this.get(id);
    return this.placements[run.placement].stop(run);
  }

  /** The local runs this process trains or has queued (not other processes' runs, nor the cluster's: those go on whatever happens here). */
  trainingHere(): number[] {
    // The active local runs only: the run list may hold thousands.
    return activeRuns(this.deps.db)
      .map((r) => r.id)
      .filter((id) => !this.ownership.ownedElsewhere(id));
  }

  /**
   * Before this process ends (the desktop app quits, `serve` is interrupted): each run it trains
   * stops after its current step with a checkpoint, as the Stop button does, so that it ends
   * `stopped` and resumes exactly; resolves when all have ended. Returns their ids.
   */
  async stopAllHere(): Promise<number[]> {
    const ids = this.trainingHere();
    await Promise.all(
      ids.map(async (id) => {
        await this.stop(id);
        await this.waitFor(id);
      }),
    );
    return ids;
  }

  /** Resolves when the run reaches a final state. */
  waitFor(id: number): Promise<RunStatus> {
    const run = this.get(id);
    if (!this.deps.scheduler.isActive(id) && !ACTIVE.includes(run.status)) return Promise.resolve(run.status);
    return new Promise((resolve) => {
      const list = this.finished.get(id) ?? [];
      list.push(resolve);
      this.finished.set(id, list);
      const unwatch = this.placements[run.placement].watchEnd?.(id, (status) => this.settle(id, status));
      if (unwatch) list.push(unwatch);
    });
  }

  /** A cluster run's final state, as its stream reported it (cluster ingest). */
  settled(id: number, status: RunStatus): void {
    this.settle(id, status);
  }

  private settle(id: number, status: RunStatus): void {
    for (const fn of this.finished.get(id) ?? []) fn(status);
    this.finished.delete(id);
  }

  /** Tells the UI the run's row changed (as run.updated). */
  announce(id: number): void {
    this.publish(id);
  }

  private publish(id: number): void {
    const { params: _p, appVersion: _v, summary: _r, ...summary } = this.get(id);
    this.deps.bus.emit('run.updated', summary);
  }
}
