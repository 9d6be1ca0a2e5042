// Runs queued training jobs in worker threads, a fixed number at a time.
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from '../training/messages';

export type WorkerFactory = () => Worker;

/** The CLI and tests run TypeScript through tsx; the Electron build replaces this with its bundled worker. */
export const tsxWorkerFactory: WorkerFactory = () => new Worker(new URL('../training/worker-boot.mjs', import.meta.url));

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
  constructor(
    private readonly factory: WorkerFactory,
    private readonly concurrency = 1,
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

  isActive(runId: number): boolean {
    return this.active.has(runId) || this.queue.some((j) => j.runId === runId);
  }

  get running(): number {
    return this.active.size;
  }

  async terminateAll(): Promise<void> {
    this.queue.length = 0;
    await Promise.all([...this.active.values()].map((w) => w.terminate()));
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
    {
      const worker = this.factory();
      this.active.set(job.runId, worker);
      let crash: string | null = null;
      let finished = false;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'done') finished = true;
        job.onMessage(msg);
        if (msg.type === 'done') void worker.terminate();
      });
      worker.on('error', (err) => {
        crash = `training worker crashed: ${err.message}`;
      });
      worker.on('exit', (code) => {
        this.active.delete(job.runId);
        if (!finished) job.onExit(crash ?? `training worker exited unexpectedly (code ${code})`);
        else job.onExit(null);
        this.pump();
      });
      worker.postMessage(start);
    }
  }
}
