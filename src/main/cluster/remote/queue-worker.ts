// `vgglab worker`: takes training jobs from the queue one at a time and trains each with the same
// scheduler and training worker thread as a local run; what changes is where the messages go — into
// the run's Redis stream instead of the local store. Checkpoints go to the shared artifacts folder,
// so any worker can continue any run from its newest one.
// Why one file of ~300 lines: it is one job's life read top to bottom (take, check the data, train,
// stream, checkpoint, finish or hand back), and its pieces share that job's state; the connection,
// the stream protocol, the artifacts layout and the fingerprints it uses are in cluster/shared/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { TrainParams, type BackendChoice, type BackendInfo } from '../../../shared/domain';
import { chooseBackend, listBackends } from '../../training/backends';
import { readCheckpointHashed } from '../../training/checkpoint';
import type { FromWorker } from '../../training/messages';
import { scaleRange } from '../../training/scale';
import { Scheduler, tsxWorkerFactory, type WorkerFactory } from '../../services/scheduler';
import { confineTo, type PathPolicy } from '../../services/paths-policy';
import { specPath } from '../../data/spec';
import { connect } from '../shared/connection';
import { specFingerprint } from '../shared/fingerprint';
import { controlKey, encode, jobIdOf, LOCK_MS, PREFIX, QUEUE_NAME, STALLED_CHECK_MS, streamKey, WORKER_HEARTBEAT_MS, WORKER_TTL_MS, workerKey, type Control, type JobData, type StreamMessage, type WorkerAnnouncement } from '../shared/protocol';
import { redact } from '../shared/settings';
import { eventPrinter, type WorkerEvent } from './events';
import { artifactsRunDir } from '../shared/paths';

export interface WorkerOptions {
  queue: string;
  artifacts: string;
  backend: BackendChoice;
  name: string;
  /** Folders a job's dataset may be read from; none: only built-in data. */
  dataRoots: string[];
  factory?: WorkerFactory;
  /** Where the worker's events go (default: text lines on stderr). */
  report?: (e: WorkerEvent) => void;
}

/** Progress messages between epoch ends are sent at most this often (the UI's bar needs no more). */
const PROGRESS_MS = 250;
const CONTROL_POLL_MS = 400;

class Refused extends Error {}


/** The newest readable checkpoint in a run's folder, if any (a damaged file is passed over for the one before). */
export function newestCheckpoint(runDir: string): { file: string; sha256: string; step: number; epoch: number; kind: 'last' | 'best' | 'stop'; valTop1: number | null } | null {
  const dir = path.join(runDir, 'checkpoints');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^step-\d+-(last|best|stop)\.ckpt$/.test(f)) : [];
  // Newest step first; at one step a 'stop' or 'last' file before 'best' (same weights).
  files.sort((a, b) => b.localeCompare(a));
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const { ck, sha256 } = readCheckpointHashed(file);
      return { file, sha256, step: ck.state.step, epoch: ck.state.epoch - 1, kind: f.match(/-(last|best|stop)\.ckpt$/)![1] as 'last', valTop1: ck.state.bestValTop1 };
    } catch {
      /* damaged or half-copied: try the one before */
    }
  }
  return null;
}

/** A job's payload checked before anything runs; a payload without a store and run id cannot even be answered. */
function checkJob(data: unknown): JobData {
  const d = data as Partial<JobData> | null;
  if (!d || typeof d.store !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(d.store) || !Number.isInteger(d.runId) || (d.runId as number) < 1)
    throw new UnrecoverableError('job refused: it names no valid store and run id');
  return d as JobData;
}

export class ClusterWorker {
  private readonly redis: Redis;
  private readonly bullConnection: Redis;
  private readonly worker: Worker<JobData>;
  private readonly scheduler: Scheduler;
  private readonly host = os.hostname();
  private readonly policy: PathPolicy | null;
  private backendInfo: BackendInfo | null = null;
  private current: { runId: number; jobId: string; store: string; lost: boolean; handback: boolean } | null = null;
  private stopping = false;
  private readonly beat: NodeJS.Timeout;
  private readonly report: (e: WorkerEvent) => void;

  constructor(private readonly opts: WorkerOptions) {
    this.report = opts.report ?? eventPrinter(false);
    this.redis = connect(opts.queue);
    this.bullConnection = connect(opts.queue);
    this.policy = opts.dataRoots.length ? confineTo(opts.dataRoots, 'start the worker with --dataset-folders DIR to allow another') : null;
    this.scheduler = new Scheduler(opts.factory ?? tsxWorkerFactory, 1);
    this.worker = new Worker<JobData>(QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: this.bullConnection,
      prefix: PREFIX,
      concurrency: 1,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      // A run handed on after a worker's death is the normal case here, not a poison job.
      maxStalledCount: 1000,
      autorun: false,
    });
    this.worker.on('error', () => undefined);
    this.worker.on('lockRenewalFailed', (ids) => {
      // Another worker may now hold the run: stop training it here, and send nothing more for it.
      if (this.current && ids.includes(this.current.jobId)) {
        this.report({ event: 'lost-lock', worker: opts.name, runId: this.current.runId });
        this.current.lost = true;
        this.scheduler.stop(this.current.runId);
      }
    });
    this.beat = setInterval(() => void this.announce(), WORKER_HEARTBEAT_MS);
    this.beat.unref();
  }

  /** Probes the backend, announces itself and takes jobs until stop(); resolves to the backend's name. */
  async start(): Promise<string> {
    const all = await listBackends(this.opts.backend === 'auto' ? undefined : [this.opts.backend]);
    this.backendInfo = chooseBackend(this.opts.backend, all);
    await this.announce();
    this.report({ event: 'started', worker: this.opts.name, host: this.host, backend: this.backendInfo.name, device: this.backendInfo.device ?? '-', queue: redact(this.opts.queue), artifacts: this.opts.artifacts });
    void this.worker.run();
    return this.backendInfo.name;
  }

  private async announce(): Promise<void> {
    if (!this.backendInfo) return;
    const a: WorkerAnnouncement = {
      name: this.opts.name,
      host: this.host,
      pid: process.pid,
      backend: this.backendInfo.name,
      device: this.backendInfo.device ?? '-',
      freeMemoryMb: Math.round(os.freemem() / 2 ** 20),
      job: this.current?.jobId ?? null,
      runId: this.current?.runId ?? null,
      heartbeatAt: new Date().toISOString(),
    };
    await this.redis.set(workerKey(this.opts.name), JSON.stringify(a), 'PX', WORKER_TTL_MS).catch(() => undefined);
  }

  /** SIGINT/SIGTERM: the current run checkpoints after its step and goes back to the queue; then the worker leaves. */
  async stop(signal?: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (signal) this.report({ event: 'stopping', worker: this.opts.name, signal });
    if (this.current) {
      this.current.handback = true;
      this.scheduler.stop(this.current.runId);
    }
    await this.worker.close();
    clearInterval(this.beat);
    await this.redis.del(workerKey(this.opts.name)).catch(() => undefined);
    await this.scheduler.terminateAll();
    this.redis.disconnect();
    this.bullConnection.disconnect();
    if (signal) this.report({ event: 'stopped', worker: this.opts.name });
  }

  private async process(job: Job<JobData>, token?: string): Promise<void> {
    const data = checkJob(job.data);
    const session = crypto.randomUUID();
    const key = streamKey(data.store, data.runId);
    // Sent in order on one connection; while Redis is away they wait in the client's queue.
    let sent: Promise<unknown> = Promise.resolve();
    let seq = 0;
    const send = (msg: StreamMessage) => (sent = this.redis.xadd(key, '*', ...encode(session, ++seq, msg)));
    send({ type: 'assigned', worker: this.opts.name, host: this.host });
    const refuse = async (reason: string) => {
      this.report({ event: 'refused', worker: this.opts.name, runId: data.runId, reason });
      send({ type: 'done', status: 'failed', error: `refused by worker ${this.opts.name}: ${reason}`, result: emptyResult() });
      await sent;
    };
    let start: Awaited<ReturnType<ClusterWorker['prepare']>>;
    try {
      start = await this.prepare(data, send);
    } catch (err) {
      if (err instanceof Refused) return refuse(err.message);
      throw err;
    }
    this.current = { runId: data.runId, jobId: jobIdOf(data.store, data.runId), store: data.store, lost: false, handback: false };
    void this.announce();
    const current = this.current;
    const worker = this.opts.name;
    const runId = data.runId;
    this.report({ event: 'run-started', worker, runId, store: data.store, fromStep: start.fromStep });
    const control = this.watchControl(data, () => current);
    let lastProgress = 0;
    let epochMetrics = new Map<string, number>();
    await new Promise<void>((resolve) => {
      this.scheduler.submit({
        runId,
        prepare: () => start.msg,
        onRefused: (reason) => {
          send({ type: 'done', status: 'failed', error: reason, result: emptyResult() });
          this.report({ event: 'run-ended', worker, runId, status: 'failed', error: reason });
          resolve();
        },
        onMessage: (msg: FromWorker) => {
          if (current.lost) return;
          if (msg.type === 'done' && current.handback) return;
          if (msg.type === 'metrics') for (const p of msg.points) epochMetrics.set(`${p.split}/${p.name}`, p.value);
          if (msg.type === 'progress' && msg.stepInEpoch !== msg.stepsPerEpoch) {
            const now = Date.now();
            if (now - lastProgress < PROGRESS_MS) return;
            lastProgress = now;
          } else if (msg.type === 'progress' && epochMetrics.has('val/top1')) {
            // The epoch's end: its validation is in (the last step's own progress comes before it).
            const m = epochMetrics;
            epochMetrics = new Map();
            this.report({ event: 'epoch', worker, runId, epoch: msg.epoch, step: msg.step, lr: msg.lr, imagesPerSec: msg.imagesPerSec, trainLoss: m.get('train/epoch_loss') ?? null, valTop1: m.get('val/top1') ?? null });
          }
          if (msg.type === 'done') this.report({ event: 'run-ended', worker, runId, status: msg.status, error: msg.error });
          send(msg.type === 'checkpoint' ? { ...msg, file: path.relative(this.opts.artifacts, msg.file) } : msg);
        },
        onExit: (crash) => {
          if (crash && !current.lost && !current.handback) {
            send({ type: 'done', status: 'failed', error: crash, result: emptyResult() });
            this.report({ event: 'run-ended', worker, runId, status: 'failed', error: crash });
          }
          resolve();
        },
      });
    });
    clearInterval(control);
    this.current = null;
    void this.announce();
    if (current.lost) return;
    if (current.handback) {
      send({ type: 'handback', worker: this.opts.name, reason: 'the worker was asked to stop' });
      this.report({ event: 'handback', worker, runId });
      await sent;
      await job.moveToWait(token);
      throw new WaitingError();
    }
    await sent;
    await this.redis.del(controlKey(data.store, data.runId)).catch(() => undefined);
  }

  /** Checks the job against this worker (schema, data root, fingerprint, backend) and builds the training worker's start message. */
  private async prepare(data: JobData, send: (m: StreamMessage) => void) {
    const parsed = TrainParams.safeParse(data.params);
    if (!parsed.success) throw new Refused(`its parameters do not fit this worker's schema (${parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')})`);
    const params = parsed.data;
    const p = specPath(params.dataset);
    if (p !== null) {
      if (!this.policy) throw new Refused(`dataset ${params.dataset} is a path and this worker reads none; start it with --dataset-folders DIR (a folder holding the shared datasets)`);
      try {
        this.policy(p, `dataset ${params.dataset}:`);
      } catch (err) {
        throw new Refused((err as Error).message);
      }
      const here = specFingerprint(params.dataset);
      if (here === null) throw new Refused(`dataset ${params.dataset} is not visible on host ${this.host}; mount the shared dataset there`);
      if (data.fingerprint && here !== data.fingerprint)
        throw new Refused(`dataset ${params.dataset} differs on host ${this.host} from the desktop's copy (fingerprint ${here.slice(0, 12)}… vs ${data.fingerprint.slice(0, 12)}…); sync the copies`);
    }
    let backend: BackendInfo;
    try {
      const choice = params.backend !== 'auto' ? params.backend : this.opts.backend;
      backend = choice === this.backendInfo?.name ? this.backendInfo : chooseBackend(choice, await listBackends(choice === 'auto' ? undefined : [choice]));
    } catch (err) {
      throw new Refused((err as Error).message);
    }
    const runDir = artifactsRunDir(this.opts.artifacts, data.store, data.runId);
    claimFolder(runDir, data);
    const ck = newestCheckpoint(runDir);
    if (ck) {
      send({
        type: 'rewind',
        step: ck.step,
        epoch: ck.epoch,
        checkpoint: { type: 'checkpoint', kind: ck.kind, epoch: ck.epoch, step: ck.step, file: path.relative(this.opts.artifacts, ck.file), sha256: ck.sha256, valTop1: ck.valTop1 },
      });
    }
    const warm = data.warmStart ? { ...data.warmStart, file: path.join(this.opts.artifacts, data.warmStart.file) } : undefined;
    const msg = {
      type: 'start' as const,
      runId: data.runId,
      params,
      scales: scaleRange(params),
      backend,
      runDir,
      ...(ck ? { resume: { file: ck.file, sha256: ck.sha256 } } : {}),
      ...(warm ? { warmStart: warm } : {}),
    };
    return { msg, fromStep: ck?.step ?? 0 };
  }

  /** Applies the desktop's stop, pause and continue to the current run (polled: it survives reconnects). */
  private watchControl(data: JobData, current: () => { runId: number; lost: boolean } | null): NodeJS.Timeout {
    let applied: Control | null = null;
    return setInterval(() => {
      void this.redis
        .get(controlKey(data.store, data.runId))
        .then((v) => {
          const c = current();
          if (!c || c.lost || v === applied || !v) return;
          applied = v as Control;
          if (v === 'stop') this.scheduler.stop(c.runId);
          else this.scheduler.send(c.runId, { type: v === 'pause' ? 'pause' : 'unpause' });
        })
        .catch(() => undefined);
    }, CONTROL_POLL_MS);
  }
}

/**
 * Marks the run's artifacts folder as this run's. A folder left by a deleted run whose id came back
 * (another creation time) is emptied first, so its checkpoints are never taken for this run's.
 */
function claimFolder(runDir: string, data: JobData): void {
  const marker = path.join(runDir, 'run.json');
  const identity = JSON.stringify({ store: data.store, runId: data.runId, createdAt: data.createdAt });
  const existing = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : null;
  if (existing !== identity) {
    if (existing !== null) fs.rmSync(runDir, { recursive: true, force: true });
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(marker, identity);
  }
}

function emptyResult(): Extract<FromWorker, { type: 'done' }>['result'] {
  return { epochs: 0, train: { loss: null, top1: null }, val: { loss: null, top1: null, top5: null }, lrDrops: [], imagesPerSec: null, data: { train: 0, val: 0, classes: 0, skipped: 0 } };
}
