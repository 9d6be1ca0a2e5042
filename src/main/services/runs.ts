// Starting, stopping and reading training runs.
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../../shared/contract';
import { TrainParams, type BackendChoice, type ConfigName, type BackendInfo, type RunDetail, type RunStatus } from '../../shared/domain';
import type { Db } from '../store/db';
import { listEvents, listMetrics, insertEvent } from '../store/metrics';
import { annotateRun, deleteRun, getRun, insertRun, listRuns, markFinished } from '../store/runs';
import { activeRuns, claim, holds, heartbeat, markOwnerGone, ownedRun, request, takeRequests, type OwnedRun } from '../store/owners';
import { describeOwner, ownerGone, sameOwner, thisProcess } from './owner';
import { latestCheckpoint, rewindTo } from '../store/checkpoints';
import type { ToWorker } from '../training/messages';
import { checkWarmStart, resolveWarmStart } from './warmstart';
import { scaleRange } from '../training/scale';
import { chooseBackend } from '../training/backends';
import { runDir } from '../paths';
import { APP_VERSION } from '../version';
import type { EventBus } from './bus';
import { Recorder } from './recorder';
import type { Scheduler } from './scheduler';
import type { ClusterLink } from '../cluster/link';
import type { ClusterClient } from '../cluster/client';
import { claimForCluster } from '../store/cluster';
import { specFingerprint } from '../cluster/fingerprint';
import { artifactsRunDir } from '../cluster/paths';

/** How long queueing a run may wait for Redis before the run is recorded as failed. */
const ENQUEUE_TIMEOUT_MS = 10_000;

const RESUMABLE: RunStatus[] = ['stopped', 'failed', 'interrupted'];
const ACTIVE: RunStatus[] = ['queued', 'running'];
const hhmm = (iso: string) => new Date(iso).toTimeString().slice(0, 5);

export interface RunServiceDeps {
  db: Db;
  bus: EventBus;
  scheduler: Scheduler;
  dataDir: string;
  /** The backends to choose from: all of them for 'auto', else just the one asked for. */
  backends: (choice?: BackendChoice) => Promise<BackendInfo[]>;
  /** Turns a registered dataset's name into its SPEC. */
  resolveDataset?: (spec: string) => string;
  /** The cluster queue, for runs placed on it (absent: this process knows no cluster). */
  cluster?: ClusterLink;
}

export class RunService {
  private readonly finished = new Map<number, Array<(status: RunStatus) => void>>();
  constructor(private readonly deps: RunServiceDeps) {}

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
   * Records the run, then queues it; a forced backend that is missing fails the run at once. The
   * parameters were parsed at the edge (transport or CLI) and are not parsed again here.
   */
  async start(parsed: TrainParams): Promise<{ id: number }> {
    const params = { ...parsed, dataset: this.deps.resolveDataset?.(parsed.dataset) ?? parsed.dataset };
    // Refused before anything is recorded: an unknown dataset name, a warm start that cannot apply, a scale below the crop.
    checkWarmStart(this.deps.db, params);
    scaleRange(params);
    if (params.on === 'cluster') return this.startOnCluster(params);
    const id = insertRun(this.deps.db, params, APP_VERSION, this.me);
    await this.queue(id, params, {});
    return { id };
  }

  /** The queue, or a refusal that says how to name one. */
  private cluster(): ClusterClient {
    const c = this.deps.cluster?.get();
    if (!c) throw new ContractError(`cannot run on the cluster: ${this.deps.cluster?.why() ?? 'this process has no cluster link'}`, 'bad_request', [{ field: 'on', message: this.deps.cluster?.why() ?? 'no cluster' }]);
    return c;
  }

  /**
   * Records the run as held by the queue and puts it there. The worker reads the dataset from its own
   * mount and checks it against the fingerprint of the copy seen here; a warm start's source weights
   * must be in the shared artifacts folder (a cluster run's are).
   */
  private async startOnCluster(params: TrainParams): Promise<{ id: number }> {
    const { db } = this.deps;
    const c = this.cluster();
    let warmStart: { runId: number; file: string; sha256: string; layers: string[] } | undefined;
    const ws = resolveWarmStart(db, params);
    if (ws) {
      const rel = path.relative(c.artifacts, ws.file);
      if (rel.startsWith('..') || path.isAbsolute(rel))
        throw new ContractError(`--init ${params.init}: run ${ws.runId}'s weights are not in the shared artifacts folder ${c.artifacts}, so no worker can read them; warm-start from a run trained on the cluster`, 'bad_request', [
          { field: 'init', message: `run ${ws.runId}'s weights are not in the shared artifacts folder` },
        ]);
      warmStart = { ...ws, file: rel };
    }
    const fingerprint = specFingerprint(params.dataset);
    const id = insertRun(db, params, APP_VERSION, null);
    await this.enqueue(c, id, fingerprint, warmStart);
    return { id };
  }

  private async enqueue(c: ClusterClient, id: number, fingerprint: string | null, warmStart?: { runId: number; file: string; sha256: string; layers: string[] }): Promise<void> {
    const run = this.get(id);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.enqueue({ store: this.deps.cluster!.store, runId: id, createdAt: run.createdAt, params: run.params, fingerprint, ...(warmStart ? { warmStart } : {}) }),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the queue at ${c.shownUrl} did not answer within ${ENQUEUE_TIMEOUT_MS / 1000} s`)), ENQUEUE_TIMEOUT_MS))),
      ]);
    } catch (err) {
      markFinished(this.deps.db, id, 'failed', null, `could not queue the run on the cluster: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    this.publish(id);
    if (this.get(id).status === 'failed') this.settle(id, 'failed');
  }

  /** A cluster run's final state, as its stream reported it (cluster ingest). */
  settled(id: number, status: RunStatus): void {
    this.settle(id, status);
  }

  /** The paper's procedure as one experiment: A from scratch, then each deeper net warm-started from that A. */
  async startChain(base: Omit<TrainParams, 'config' | 'init'>, configs: ConfigName[]): Promise<{ ids: number[]; experiment: string }> {
    refuseSeriesOnCluster(base);
    const experiment = base.experiment ?? `paper chain ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    const a = await this.start({ ...base, config: 'A', init: 'glorot', experiment });
    const ids = [a.id];
    for (const config of configs.filter((c) => c !== 'A' && c !== 'A-LRN')) ids.push((await this.start({ ...base, config, init: `from:${a.id}`, experiment })).id);
    return { ids, experiment };
  }

  /**
   * The paper's Table 3 as one experiment on the chosen data, width and input size: A, A-LRN, B, C, D
   * and E at a fixed S (the paper's 256, in proportion to the crop), then C, D and E with S jittered in
   * [256, 512] (in proportion). Warm starts as in the paper: B–E from that A (its first four conv and
   * three FC layers); each jittered net from its fixed-S counterpart (every layer) at a tenth of the rate.
   */
  async startStudy(base: Omit<TrainParams, 'config' | 'init' | 'scale'>): Promise<{ ids: number[]; experiment: string }> {
    refuseSeriesOnCluster(base);
    const experiment = base.experiment ?? `paper study ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    const input = base.inputSize ?? 32;
    const S = Math.round((256 * input) / 224);
    const fixed = String(S);
    const jittered = `${S}:${Math.round((512 * input) / 224)}`;
    const lr = base.lr ?? 0.01;
    const a = await this.start({ ...base, config: 'A', init: 'glorot', scale: fixed, experiment });
    const ids = [a.id, (await this.start({ ...base, config: 'A-LRN', init: 'glorot', scale: fixed, experiment })).id];
    const fixedIds = new Map<ConfigName, number>();
    for (const config of ['B', 'C', 'D', 'E'] as const) {
      const { id } = await this.start({ ...base, config, init: `from:${a.id}`, scale: fixed, experiment });
      fixedIds.set(config, id);
      ids.push(id);
    }
    for (const config of ['C', 'D', 'E'] as const) ids.push((await this.start({ ...base, config, init: `from:${fixedIds.get(config)}`, scale: jittered, lr: lr / 10, experiment })).id);
    return { ids, experiment };
  }

  /**
   * Continues a stopped, failed or interrupted run from its newest checkpoint, under the same id and
   * step axis. The run is claimed for this process in one conditional update: a run that another
   * live process trains is refused, and a refusal changes nothing.
   */
  async resume(id: number): Promise<{ id: number; fromEpoch: number; fromStep: number }> {
    this.sweep(id);
    const run = this.get(id);
    if (ACTIVE.includes(run.status)) throw new ContractError(this.busyMessage(ownedRun(this.deps.db, id)!), 'conflict');
    if (!RESUMABLE.includes(run.status)) throw new ContractError(`run ${id} is ${run.status}; only ${RESUMABLE.join(', ')} runs can be resumed`, 'conflict');
    const ck = latestCheckpoint(this.deps.db, id);
    if (!ck) throw new ContractError(`run ${id} has no checkpoint to resume from (it stopped before its first epoch ended); start a new run instead`, 'conflict');
    const { db } = this.deps;
    if (run.placement === 'cluster') {
      // The worker that takes it continues from the newest checkpoint in the artifacts folder, and says so in the stream.
      const c = this.cluster();
      if (!claimForCluster(db, id, RESUMABLE)) throw new ContractError(`run ${id} was taken by another process meanwhile`, 'conflict');
      await this.enqueue(c, id, specFingerprint(run.params.dataset));
      return { id, fromEpoch: ck.epoch, fromStep: ck.step };
    }
    const event = db.transaction(() => {
      if (!claim(db, id, this.me, RESUMABLE)) throw new ContractError(this.busyMessage(ownedRun(db, id)!), 'conflict');
      rewindTo(db, id, ck.step, ck.epoch);
      return insertEvent(db, id, { step: ck.step, epoch: ck.epoch, kind: 'resume', payload: { fromStep: ck.step, fromEpoch: ck.epoch, previousStatus: run.status } });
    })();
    if (event) this.deps.bus.emit('run.event', { runId: id, event });
    await this.queue(id, run.params, { resume: { file: ck.path, sha256: ck.sha256 } });
    return { id, fromEpoch: ck.epoch, fromStep: ck.step };
  }

  /** This process, as the owner of the runs it queues. */
  private readonly me = thisProcess();

  /** "run 7 is training in process 1234 on this machine (started 10:42); stop it first". */
  private busyMessage(run: OwnedRun): string {
    const doing = run.status === 'running' ? 'training' : 'queued';
    const where = run.owner ? (sameOwner(run.owner, this.me) ? 'in this process' : describeOwner(run.owner)) : 'in another process';
    const since = run.startedAt ? ` (started ${hhmm(run.startedAt)})` : '';
    return `run ${run.id} is ${doing} ${where}${since}; stop it first`;
  }

  /**
   * Marks runs whose owner is provably gone (see owner.ts) as interrupted, and tells the UI;
   * runs this process or another live one holds are left alone. Returns the ids marked.
   */
  sweep(only?: number): number[] {
    const { db } = this.deps;
    const marked: number[] = [];
    const candidates = only === undefined ? activeRuns(db) : [ownedRun(db, only)].filter((r): r is OwnedRun => !!r && ACTIVE.includes(r.status));
    for (const r of candidates) {
      if (r.owner && (sameOwner(r.owner, this.me) || !ownerGone(r.owner, r.heartbeatAt))) continue;
      if (markOwnerGone(db, r.id, r.owner)) {
        marked.push(r.id);
        this.publish(r.id);
        this.settle(r.id, 'interrupted');
      }
    }
    return marked;
  }

  /** The owner's side of sharing a folder: the heartbeat on the runs it holds. */
  heartbeat(): void {
    heartbeat(this.deps.db, this.me);
  }

  /** Stop, pause or continue asked by other processes for runs this one trains. */
  takeRequests(): void {
    for (const r of takeRequests(this.deps.db, this.me)) {
      try {
        if (r.requested === 'stop') this.stop(r.id);
        else this.pause(r.id, r.requested === 'pause');
      } catch {
        /* it ended meanwhile */
      }
    }
  }

  private async queue(id: number, params: TrainParams, extra: Pick<Extract<ToWorker, { type: 'start' }>, 'resume' | 'warmStart'>): Promise<void> {
    const { db, bus, scheduler, dataDir } = this.deps;
    let backend: BackendInfo;
    try {
      backend = chooseBackend(params.backend, await this.deps.backends(params.backend));
    } catch (err) {
      markFinished(db, id, 'failed', null, (err as Error).message);
      this.publish(id);
      this.settle(id, 'failed');
      return;
    }
    const dir = runDir(dataDir, id);
    fs.mkdirSync(dir, { recursive: true });
    const recorder = new Recorder(db, bus, id, () => holds(db, id, this.me), () => {
      // Another process judged this one gone and took the run: stop training it here, at once.
      process.stderr.write(`vgglab: run ${id} was taken over by another process; this process stops training it\n`);
      scheduler.stop(id);
    });
    this.publish(id);
    scheduler.submit({
      runId: id,
      // A warm start is resolved when the run's turn comes: its source may still be training.
      prepare: () => ({ type: 'start', runId: id, params, scales: scaleRange(params), backend, runDir: dir, ...extra, warmStart: extra.warmStart ?? resolveWarmStart(db, params) }),
      onRefused: (reason) => {
        markFinished(db, id, 'failed', null, reason);
        this.publish(id);
        this.settle(id, 'failed');
      },
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
  }

  annotate(id: number, tags?: string[], notes?: string): RunDetail {
    this.get(id);
    annotateRun(this.deps.db, id, tags, notes);
    this.publish(id);
    return this.get(id);
  }

  /** Removes the run's rows and its folder (checkpoints); refused while it runs. */
  delete(id: number): { id: number; deleted: true } {
    const run = this.get(id);
    if (this.deps.scheduler.isActive(id) || run.status === 'running' || run.status === 'queued')
      throw new ContractError(`run ${id} is ${run.status}; stop it before deleting it`, 'conflict');
    deleteRun(this.deps.db, id);
    fs.rmSync(runDir(this.deps.dataDir, id), { recursive: true, force: true });
    // A cluster run's checkpoints are in the shared artifacts folder, where this machine mounts it.
    const artifacts = run.placement === 'cluster' ? this.deps.cluster?.settings()?.artifacts : undefined;
    if (artifacts) fs.rmSync(artifactsRunDir(artifacts, this.deps.cluster!.store, id), { recursive: true, force: true });
    this.deps.bus.emit('run.deleted', { id });
    return { id, deleted: true };
  }

  /** Holds a running run between steps (its worker and memory stay), or lets it go on; another process's run through its row. */
  pause(id: number, on: boolean): { id: number; paused: boolean } | Promise<{ id: number; paused: boolean }> {
    const run = this.get(id);
    if (run.placement === 'cluster') {
      if (run.status !== 'running') throw new ContractError(`run ${id} is not running (status: ${run.status})`, 'conflict');
      return this.cluster().control(id, on ? 'pause' : 'continue').then(() => ({ id, paused: on }));
    }
    if (this.deps.scheduler.send(id, { type: on ? 'pause' : 'unpause' })) return { id, paused: on };
    if (run.status === 'running' && this.ownedElsewhere(id) && request(this.deps.db, id, on ? 'pause' : 'continue')) return { id, paused: on };
    throw new ContractError(`run ${id} is not running (status: ${run.status})`, 'conflict');
  }

  /** Whether a live process other than this one holds the run. */
  private ownedElsewhere(id: number): boolean {
    this.sweep(id);
    const r = ownedRun(this.deps.db, id);
    return !!r?.owner && ACTIVE.includes(r.status) && !sameOwner(r.owner, this.me);
  }

  stop(id: number): { id: number; status: string } | Promise<{ id: number; status: string }> {
    const run = this.get(id);
    if (run.placement === 'cluster' && ACTIVE.includes(run.status)) return this.stopOnCluster(run);
    // Another process trains it: the request reaches that owner through the run's row.
    if (!this.deps.scheduler.isActive(id) && this.ownedElsewhere(id) && request(this.deps.db, id, 'stop')) return { id, status: 'stopping' };
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

  /** A queued cluster run leaves the queue at once; one a worker holds is stopped there (it checkpoints first). */
  private async stopOnCluster(run: RunDetail): Promise<{ id: number; status: string }> {
    const c = this.cluster();
    if (await c.cancelWaiting(run.id)) {
      insertEvent(this.deps.db, run.id, { step: run.step, epoch: run.epoch, kind: 'stop', payload: { reason: 'stopped before a worker took it' } });
      markFinished(this.deps.db, run.id, 'stopped', null, null);
      this.publish(run.id);
      this.settle(run.id, 'stopped');
      return { id: run.id, status: 'stopped' };
    }
    await c.control(run.id, 'stop');
    return { id: run.id, status: 'stopping' };
  }

  /** Resolves when the run reaches a final state. */
  waitFor(id: number): Promise<RunStatus> {
    const run = this.get(id);
    if (!this.deps.scheduler.isActive(id) && run.status !== 'queued' && run.status !== 'running') return Promise.resolve(run.status);
    return new Promise((resolve) => {
      const list = this.finished.get(id) ?? [];
      list.push(resolve);
      this.finished.set(id, list);
      // A cluster run's end may be taken in by another process on this folder: look at its row too.
      if (run.placement === 'cluster') {
        const timer = setInterval(() => {
          let status: RunStatus | undefined;
          try {
            status = getRun(this.deps.db, id)?.status;
          } catch {
            return; // closing
          }
          if (!status || !ACTIVE.includes(status)) this.settle(id, status ?? 'failed');
        }, 500);
        list.push(() => clearInterval(timer));
      }
    });
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
    const { params: _p, seed: _s, appVersion: _v, summary: _r, ...summary } = this.get(id);
    this.deps.bus.emit('run.updated', summary);
  }
}

/** The paper's chain and study warm-start each net from one still training: not yet on the cluster. */
function refuseSeriesOnCluster(base: { on?: string }): void {
  if (base.on === 'cluster')
    throw new ContractError('the paper chain and study cannot run on the cluster yet (each net waits for the weights of one still training); run them on this machine, or queue A on the cluster and the deeper nets with --init from:A once it has finished', 'bad_request', [
      { field: 'on', message: 'the chain and study run on this machine only' },
    ]);
}
