// The desktop's side of the queue: puts runs on it, reaches their workers (stop, pause), lists the
// workers, and takes the runs' event streams into the local store (ingest.ts).
import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import type { Db } from '../../store/db';
import type { EventBus } from '../../services/bus';
import type { RunStatus } from '../../../shared/domain';
import { connect } from '../shared/connection';
import { Ingester } from './ingest';
import { controlKey, jobIdOf, PREFIX, QUEUE_NAME, WORKER_KEYS, type Control, type JobData, type WorkerAnnouncement } from '../shared/protocol';
import { redact, type ClusterSettings } from '../shared/settings';

/** How often the streams of active cluster runs are read. */
const INGEST_MS = 200;

export interface ClusterDeps {
  db: Db;
  bus: EventBus;
  store: string;
  publish: (id: number) => void;
  settled: (id: number, status: RunStatus) => void;
  onCommitted?: (msSinceRedis: number[]) => void;
}

export class ClusterClient {
  readonly url: string;
  readonly artifacts: string;
  private readonly redis: Redis;
  private readonly queue: Queue;
  private readonly queueConnection: Redis;
  private readonly ingester: Ingester;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    settings: ClusterSettings,
    private readonly deps: ClusterDeps,
  ) {
    this.url = settings.queue;
    this.artifacts = settings.artifacts;
    this.redis = connect(settings.queue);
    // BullMQ leaves a connection it was given open on close: this client closes it.
    this.queueConnection = connect(settings.queue);
    this.queue = new Queue(QUEUE_NAME, { connection: this.queueConnection, prefix: PREFIX });
    this.queue.on('error', () => undefined);
    this.ingester = new Ingester({ ...deps, redis: this.redis, artifacts: settings.artifacts });
    this.timer = setInterval(() => void this.ingest(), INGEST_MS);
    this.timer.unref();
  }

  /** The URL as it may be shown. */
  get shownUrl(): string {
    return redact(this.url);
  }

  /** Reads the streams now (the timer does so every 200 ms). */
  async ingest(): Promise<number> {
    if (this.closed) return 0;
    try {
      return await this.ingester.tick();
    } catch (err) {
      if (!this.closed) process.stderr.write(`vgglab: cluster ingest: ${(err as Error).message}\n`);
      return 0;
    }
  }

  /** Queues a run; its job id is the run's, so a second copy of the same run is never queued. */
  async enqueue(data: JobData): Promise<void> {
    await this.redis.del(controlKey(data.store, data.runId));
    await this.queue.add('train', data, { jobId: jobIdOf(data.store, data.runId), removeOnComplete: true, removeOnFail: { count: 1000 } });
  }

  /** Removes a run's job that no worker has taken yet; false if one holds it (or it is gone). */
  async cancelWaiting(runId: number): Promise<boolean> {
    const job = await this.queue.getJob(jobIdOf(this.deps.store, runId));
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // a worker took it meanwhile
    }
  }

  /** What the run's worker should do; it looks about twice a second. */
  async control(runId: number, what: Control): Promise<void> {
    await this.redis.set(controlKey(this.deps.store, runId), what, 'EX', 7 * 24 * 3600);
  }

  async workers(): Promise<WorkerAnnouncement[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', WORKER_KEYS, 'COUNT', 200);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    if (!keys.length) return [];
    const values = await this.redis.mget(...keys);
    return values
      .filter((v): v is string => !!v)
      .map((v) => JSON.parse(v) as WorkerAnnouncement)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.ingester.idle();
    await this.queue.close().catch(() => undefined);
    this.queueConnection.disconnect();
    this.redis.disconnect();
  }
}
