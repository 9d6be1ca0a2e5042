// Runs queued training jobs in worker threads, a fixed number at a time.
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../training/messages';
import { REUSED_BACKENDS } from '../training/backends';
import { projectFile } from '../root';

export type WorkerFactory = () => Worker;

/** The CLI and tests run TypeScript through tsx; the Electron build replaces this with its bundled worker. */
export const tsxWorkerFactory: WorkerFactory = () => new Worker(projectFile('src/main/training/train-thread.boot.mjs'));

export type StartMessage = Extract<ToWorker, { type: 'start' }>;

export interface Job {
  runId: number;
  /** Builds the start message when the job's turn comes (a warm start may wait on an earlier run). */
  prepare: () => StartMessage | Promise<StartMessage>;
  /** Called instead of running when prepare throws. */
  onRefused: (reason: string) => void;
  onMessage: (msg: FromWorker) => void;
  /** Called once, after the worker has exited, whatever the cause. */
  onExit: (crash: string | null) => void;
}


export class Scheduler {
  private readonly queue: Job[] = [];
  private readonly active = new Map<number, Worker>();
  private readonly idle = new Map<string, Worker>();
  constructor(
    private readonly factory: WorkerFactory,
    private readonly concurrency = 1,
    /** Backends whose runs share one long-lived worker (the registry's reuseWorker); others get a fresh worker per run. */
    private readonly reuse: ReadonlySet<string> = REUSED_BACKENDS,
  ) {}

  submit(job: Job): void {
    this.queue.push(job);
    this.pump();
  }

  /** Asks a running job to stop after its current step; drops a queued one. Returns false if unknown. */
  stop(runId: number): 'signalled' | 'dequeued' | false {
    const w = this.active.get(runId);
    if (w) {
      w.postMessage({ type: 'stop' } satisfies ToWorker);
      return 'signalled';
    }
    const i = this.queue.findIndex((j) => j.runId === runId);
    if (i >= 0) {
      this.queue.splice(i, 1);
      return 'dequeued';
    }
    return false;
  }

  /** Sends pause or unpause to a running job; false if it is not running. */
  send(runId: number, msg: Extract<ToWorker, { type: 'pause' | 'unpause' }>): boolean {
    const w = this.active.get(runId);
    if (!w) return false;
    w.postMessage(msg);
    return true;
  }

  isActive(runId: number): boolean {
    return this.active.has(runId) || this.queue.some((j) => j.runId === runId);
  }

  get running(): number {
    return this.active.size;
  }

  async terminateAll(): Promise<void> {
    this.queue.length = 0;
    const all = [...this.active.values(), ...this.idle.values()];
    this.idle.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.active.size + this.preparing < this.concurrency && this.queue.length) {
      const job = this.queue.shift()!;
      this.preparing += 1;
      void Promise.resolve()
        .then(() => job.prepare())
        .then(
          (start) => {
            this.preparing -= 1;
            this.spawn(job, start);
          },
          (err: Error) => {
            this.preparing -= 1;
            job.onRefused(err.message);
            this.pump();
          },
        );
    }
  }

  private preparing = 0;

  private spawn(job: Job, start: StartMessage): void {
    const key = start.backend.name;
    const kept = this.reuse.has(key) ? this.idle.get(key) : undefined;
    if (kept) this.idle.delete(key);
    const worker = kept ?? this.factory();
    this.active.set(job.runId, worker);
    let crash: string | null = null;
    let settled = false;
    const settle = (reason: string | null) => {
      if (settled) return;
      settled = true;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      this.active.delete(job.runId);
      job.onExit(reason);
      this.pump();
    };
    const onMessage = (msg: FromWorker) => {
      job.onMessage(msg);
      if (msg.type !== 'done') return;
      if (this.reuse.has(key) && !this.idle.has(key)) {
        this.idle.set(key, worker);
        worker.once('exit', () => this.idle.get(key) === worker && this.idle.delete(key));
      } else void worker.terminate();
      settle(null);
    };
    const onError = (err: Error) => {
      crash = `training worker crashed: ${err.message}`;
    };
    const onExit = (code: number) => settle(crash ?? `training worker exited unexpectedly (code ${code})`);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(start);
  }
}
