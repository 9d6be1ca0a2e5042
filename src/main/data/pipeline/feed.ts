// What the trainer takes its batches from: a feed. The pool feed builds them in worker threads with
// a bounded prefetch queue; the in-thread feed builds the same batches synchronously (tests, and
// runs that ask for no pipeline workers). Both hand out the same few arrays again and again.
import { buildBatch, type AugmentOptions } from './augment';
import { StoreAccess, type ImageStore } from './store';

export interface Batch {
  x: Float32Array;
  y: Int32Array;
  n: number;
  /** Gives x's memory back to the feed, for a later batch: x must not be read after. A batch never released keeps its memory. */
  release(): void;
}

/**
 * Things taken and given back again, so that a run's steps allocate none: those of the largest size
 * asked so far are kept, smaller ones dropped when a larger size is asked. A thing given back twice
 * is kept once.
 */
export class Recycler<T> {
  private free: T[] = [];
  private size = 0;
  constructor(private readonly make: (size: number) => T) {}

  /** A thing of at least `size` (made when none is free), with the call that gives it back. */
  take(size: number): { item: T; give: () => void } {
    if (size > this.size) {
      this.free = [];
      this.size = size;
    }
    const made = this.size;
    const item = this.free.pop() ?? this.make(made);
    let given = false;
    const give = () => {
      if (given) return;
      given = true;
      if (made === this.size) this.free.push(item);
    };
    return { item, give };
  }
}

/**
 * Batch arrays, reused. A fresh array per step costs a zero fill and, at tens of steps a second,
 * garbage collections whose marking threads take the cores from a CPU backend's own threads
 * mid-step (W2 on 2 cores: about 2 ms of a 10 ms step).
 */
export class BatchArrays {
  private readonly arrays = new Recycler((floats) => new Float32Array(floats));

  /** `n` floats (arbitrary contents), with the batch to give back. */
  take(n: number): { x: Float32Array; release: () => void } {
    const { item, give } = this.arrays.take(n);
    return { x: item.subarray(0, n), release: give };
  }
}

export interface FeedStats {
  /** Images delivered since the last call. */
  images: number;
  /** Milliseconds the pipeline's threads spent building them. */
  busyMs: number;
  workers: number;
}

export interface TrainFeed {
  /** Training images (after unreadable ones were dropped). */
  readonly count: number;
  readonly workers: number;
  /** Begins delivering the batches of an epoch in `order` (positions 0…count−1), from step `fromStep`. */
  startEpoch(epoch: number, order: Int32Array, fromStep: number, batch: number): void;
  next(): Promise<Batch>;
  takeStats(): FeedStats;
  close(): Promise<void>;
}

/** Positions → store indices and labels of the usable training images. */
export interface FeedIndex {
  store: Int32Array;
  labels: Int32Array;
}

export abstract class FeedBase implements TrainFeed {
  protected epoch = 0;
  protected order: Int32Array = new Int32Array(0);
  protected step = 0;
  protected batch = 1;
  protected stats = { images: 0, busyMs: 0 };
  constructor(
    protected readonly index: FeedIndex,
    readonly workers: number,
  ) {}

  get count(): number {
    return this.index.store.length;
  }

  startEpoch(epoch: number, order: Int32Array, fromStep: number, batch: number): void {
    this.epoch = epoch;
    this.order = order;
    this.step = fromStep;
    this.batch = batch;
  }

  /** Store indices and labels of step `step`'s images, and the position of its first. */
  protected slice(step: number): { first: number; items: Int32Array; labels: Int32Array } | null {
    const first = step * this.batch;
    if (first >= this.order.length) return null;
    const pos = this.order.subarray(first, Math.min(this.order.length, first + this.batch));
    return { first, items: pos.map((p) => this.index.store[p]!), labels: pos.map((p) => this.index.labels[p]!) };
  }

  abstract next(): Promise<Batch>;

  takeStats(): FeedStats {
    const s = { ...this.stats, workers: this.workers };
    this.stats = { images: 0, busyMs: 0 };
    return s;
  }

  async close(): Promise<void> {}
}

export class InThreadFeed extends FeedBase {
  private readonly access: StoreAccess;
  private readonly arrays = new BatchArrays();
  constructor(store: ImageStore, index: FeedIndex, private readonly augment: AugmentOptions) {
    super(index, 0);
    this.access = new StoreAccess(store);
  }

  next(): Promise<Batch> {
    const s = this.slice(this.step++);
    if (!s) return Promise.reject(new Error('the epoch has no more batches'));
    const t0 = performance.now();
    const { x, release } = this.arrays.take(s.items.length * this.augment.size * this.augment.size * 3);
    buildBatch((i) => this.access.read(i), s.items, this.augment, { epoch: this.epoch, first: s.first }, x);
    this.stats.images += s.items.length;
    this.stats.busyMs += performance.now() - t0;
    return Promise.resolve({ x, y: s.labels, n: s.items.length, release });
  }

  override async close(): Promise<void> {
    this.access.close();
  }
}
