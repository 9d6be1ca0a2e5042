// The pipeline's worker pool, driven from the training thread: decodes image folders into the store
// once (all workers), then builds augmented batches ahead of the trainer, at most `depth` in flight.
import { Worker } from 'node:worker_threads';
import type { AugmentOptions } from './augment';
import { BatchArrays, FeedBase, Recycler, type Batch, type FeedIndex } from './feed';
import type { FromPipelineWorker, PixelSums, ToPipelineWorker } from './messages';
import type { ThreadPriority } from './priority';
import type { ImageStore } from './store';
import { projectFile } from '../../root';

/** The bundled app names its worker file in the environment; the CLI and tests run the TypeScript through tsx. */
function spawn(): Worker {
  const bundled = process.env.VGGLAB_PIPELINE_WORKER;
  return new Worker(bundled ? bundled : projectFile('src/main/data/pipeline/pipeline-thread.boot.mjs'));
}

export interface PoolReady {
  crops: 'addon' | 'JavaScript';
  /** The workers' threads and nice values, where the system has them. */
  threads: ThreadPriority[];
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  resolve: (m: FromPipelineWorker) => void;
  reject: (e: Error) => void;
  worker: number;
}

export class WorkerPool {
  private readonly workers: Worker[];
  private readonly load: number[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;
  /** Resolves when every worker has loaded and taken the store: what cuts their crops, and their threads' priorities. */
  readonly ready: Promise<PoolReady>;

  /** `yieldToBackend`: the workers run at a lower priority than the trainer (data/pipeline/priority.ts). */
  constructor(size: number, store: ImageStore, readonly augment: AugmentOptions, yieldToBackend = false) {
    this.workers = Array.from({ length: size }, () => spawn());
    this.load = this.workers.map(() => 0);
    const ready: Promise<Extract<FromPipelineWorker, { type: 'ready' }>>[] = [];
    this.workers.forEach((w, k) => {
      ready.push(new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`data pipeline worker exited with code ${code} while starting`)));
      }));
      w.postMessage({ type: 'init', store, augment, yieldToBackend } satisfies ToPipelineWorker);
      w.on('message', (m: FromPipelineWorker) => {
        if (m.type === 'ready') return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        this.load[k]! -= 1;
        if (m.type === 'error') p.reject(new Error(`data pipeline: ${m.message}`));
        else p.resolve(m);
      });
      w.on('error', (err) => this.fail(new Error(`data pipeline worker failed: ${err.message}`)));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`data pipeline worker exited with code ${code}`));
      });
    });
    this.ready = Promise.all(ready).then((rs) => ({
      crops: rs.every((r) => r.crops === 'addon') ? 'addon' : 'JavaScript',
      threads: rs.map((r) => r.thread).filter((t) => t !== null),
    }));
    this.ready.catch(() => undefined);
  }

  get size(): number {
    return this.workers.length;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Makes a shared array known to every worker by its index (messages to a worker arrive in order, so before any job naming it). */
  share(index: number, array: Float32Array): void {
    for (const w of this.workers) w.postMessage({ type: 'slot', index, array } satisfies ToPipelineWorker);
  }

  /** Sends a job to the least-loaded worker. */
  request<T extends FromPipelineWorker>(job: DistributiveOmit<Extract<ToPipelineWorker, { type: 'decode' | 'batch' }>, 'id'>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const k = this.load.indexOf(Math.min(...this.load));
    const id = this.nextId++;
    this.load[k]! += 1;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (m: FromPipelineWorker) => void, reject, worker: k });
      this.workers[k]!.postMessage({ ...job, id } as ToPipelineWorker);
    });
  }

  /** Decodes every file of an image-folder store; returns the unreadable ones and the pixel sums. */
  async decodeAll(count: number, onProgress?: (done: number) => void): Promise<{ broken: number[]; sums: PixelSums; ms: number }> {
    const chunk = 16;
    const sums: PixelSums = { pixels: 0, sum: [0, 0, 0], covPixels: 0, covSum: [0, 0, 0], cross: [0, 0, 0, 0, 0, 0, 0, 0, 0] };
    const broken: number[] = [];
    let next = 0;
    let done = 0;
    let ms = 0;
    const lane = async () => {
      while (next < count) {
        const items = Array.from({ length: Math.min(chunk, count - next) }, (_, k) => next + k);
        next += items.length;
        const r = await this.request<Extract<FromPipelineWorker, { type: 'decoded' }>>({ type: 'decode', items });
        broken.push(...r.broken);
        sums.pixels += r.sums.pixels;
        sums.covPixels += r.sums.covPixels;
        r.sums.sum.forEach((v, c) => (sums.sum[c]! += v));
        r.sums.covSum.forEach((v, c) => (sums.covSum[c]! += v));
        r.sums.cross.forEach((v, c) => (sums.cross[c]! += v));
        ms += r.ms;
        done += items.length;
        onProgress?.(done);
      }
    };
    // One job per worker at a time: each decodes one image at a time, so the pool's size is its parallelism.
    await Promise.all(Array.from({ length: this.size }, lane));
    return { broken: broken.sort((a, b) => a - b), sums, ms };
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.postMessage({ type: 'close' } satisfies ToPipelineWorker);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Batches in flight at most, at least this many (two per worker where there are more): a worker on
 * a machine whose cores the backend keeps busy is now and then not scheduled for a step or two, and
 * a short queue runs dry (W2 on 2 cores, engine ÷ bare loop: 0.57–0.83 with two ahead, 0.87–1.07
 * with six). Refilled in groups (see `next`), the queue holds between half of it and all of it.
 */
const MIN_AHEAD = 8;
/** What the batches in flight may take at most: fewer of them where the batch is large. */
const PREFETCH_BYTES = 512 * 2 ** 20;

/**
 * Batches built by the pool, `depth` steps ahead of the trainer. The workers write into shared
 * arrays (slots) made once and reused; each batch is copied out of its slot as it arrives, into an
 * array of this thread that the trainer gives back (so tensors are never made on shared memory,
 * which the GPU backends' uploads were never tried with).
 */
export class PoolFeed extends FeedBase {
  private queue: { step: number; promise: Promise<Batch> }[] = [];
  private requested = 0;
  private generation = 0;
  /** Shared arrays the workers write batches into, known to them by index. */
  private readonly slots = new Recycler((floats) => {
    const array = new Float32Array(new SharedArrayBuffer(floats * 4));
    const index = this.slotCount++;
    this.pool.share(index, array);
    return { index, array };
  });
  private slotCount = 0;
  private readonly arrays = new BatchArrays();

  constructor(
    private readonly pool: WorkerPool,
    index: FeedIndex,
    readonly maxDepth = Math.max(MIN_AHEAD, pool.size * 2),
  ) {
    super(index, pool.size);
  }

  /** Batches in flight: `maxDepth`, or as many as PREFETCH_BYTES holds (at least two). */
  get depth(): number {
    const size = this.pool.augment.size;
    return Math.max(2, Math.min(this.maxDepth, Math.floor(PREFETCH_BYTES / (this.batch * size * size * 3 * 4))));
  }

  override startEpoch(epoch: number, order: Int32Array, fromStep: number, batch: number): void {
    super.startEpoch(epoch, order, fromStep, batch);
    // Batches of an earlier epoch still in flight are dropped.
    this.generation += 1;
    this.queue = [];
    this.requested = fromStep;
    this.fill();
  }

  private fill(): void {
    const size = this.pool.augment.size;
    while (this.queue.length < this.depth) {
      const step = this.requested;
      const s = this.slice(step);
      if (!s) return;
      this.requested += 1;
      const gen = this.generation;
      const floats = s.items.length * size * size * 3;
      const slot = this.slots.take(this.batch * size * size * 3);
      const job = this.pool.request<Extract<FromPipelineWorker, { type: 'batch' }>>({ type: 'batch', epoch: this.epoch, first: s.first, items: s.items, slot: slot.item.index });
      const promise = job.then(
        (m) => {
          if (gen === this.generation) {
            this.stats.images += s.items.length;
            this.stats.busyMs += m.ms;
          }
          const { x, release } = this.arrays.take(floats);
          x.set(slot.item.array.subarray(0, floats));
          slot.give();
          return { x, y: s.labels, n: s.items.length, release };
        },
        (err: Error) => {
          slot.give();
          throw err;
        },
      );
      // A batch abandoned by a new epoch must not surface as an unhandled rejection.
      promise.catch(() => undefined);
      this.queue.push({ step, promise });
    }
  }

  /**
   * Requests go out in groups, once the queue has fallen to half its depth (every step where the
   * depth is under 4). A request that finds its worker asleep wakes it, and on a machine whose cores
   * the backend keeps busy the woken worker often takes the trainer's own core at once: W2 on 2
   * cores spent 0.1–0.2 ms of each step inside that postMessage. Requests sent after it, before the
   * worker has run, cost microseconds.
   */
  async next(): Promise<Batch> {
    const head = this.queue.shift();
    if (!head) throw new Error('the epoch has no more batches');
    this.step = head.step + 1;
    const depth = this.depth;
    if (depth < 4 || this.queue.length <= depth >> 1) this.fill();
    return head.promise;
  }

  override async close(): Promise<void> {
    this.generation += 1;
    await this.pool.close();
  }
}
