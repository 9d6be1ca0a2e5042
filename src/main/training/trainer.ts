// The training loop: epochs of SGD steps, per-epoch validation, the LR schedule, divergence
// checks, checkpoints and resume. Pure with respect to its environment: data, tf, the message
// sink and checkpoint storage are passed in.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { MetricPoint, RunResult, TrainParams } from '../../shared/domain';
import type { Split } from '../data/types';
import { imageAt } from '../data/geometry';
import { buildBatch, type AugmentOptions } from '../data/pipeline/augment';
import type { TrainFeed } from '../data/pipeline/feed';
import type { TrainingMeta } from '../data/pipeline/open';
import { mulberry32, shuffleInPlace } from '../data/rng';
import { buildVgg, setDropoutStep, type InitName } from '../vgg/model';
import type { Checkpoint, TensorRecord, TrainerState } from './checkpoint';
import type { FromWorker } from './messages';
import { afterEpoch, type ScheduleOptions } from './schedule';
import { scaleRange } from './scale';
import { createSgd, evaluateSplit, importWeights } from './sgd';

type Tf = typeof TfCore;
type Done = Extract<FromWorker, { type: 'done' }>;
export type CheckpointKind = 'last' | 'best' | 'stop';

export interface TrainContext {
  tf: Tf;
  params: TrainParams;
  data: TrainingMeta;
  /** The training batches (augmented off this thread where the feed has workers). */
  feed: TrainFeed;
  post: (msg: FromWorker) => void;
  stopRequested: () => boolean;
  /** Pause support: whether a pause is asked for, and a wait that returns when it is lifted. */
  pauseRequested?: () => boolean;
  waitWhilePaused?: () => Promise<boolean>;
  checkDevice?: () => Promise<void>;
  /** Largest single buffer the device takes, in bytes. */
  maxBufferBytes?: number;
  /** Persists a checkpoint (the worker writes the file and reports it). */
  saveCheckpoint?: (kind: CheckpointKind, ck: Checkpoint) => void;
  resumeFrom?: Checkpoint;
  /** The paper's warm start: weights of a trained configuration-A run. */
  warmStart?: { runId: number; layers: string[]; weights: TensorRecord[] };
  /** Steps between loss read-backs; each read-back is a device sync. */
  flushEvery?: number;
}


const PROGRESS_MS = 250;
const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

/** Validation: the central crop at the middle of the training scales (the split is stored mean-subtracted). */
function* evalBatches(tf: Tf, split: Split, size: number, batchSize: number, scale: number) {
  const opts: AugmentOptions = { seed: 0, size, side: split.side, flip: false, pca: null, jitter: null, mean: [0, 0, 0], evalScale: scale };
  const read = (i: number) => ({ px: split.images, ...imageAt(i, split.side, split.layout) });
  for (let from = 0; from < split.count; from += batchSize) {
    const to = Math.min(split.count, from + batchSize);
    const x = buildBatch(read, Int32Array.from({ length: to - from }, (_, k) => from + k), opts, null);
    yield { x: tf.tensor4d(x, [to - from, size, size, 3]), y: tf.tensor1d(split.labels.subarray(from, to), 'int32') };
  }
}

export async function train(ctx: TrainContext): Promise<Done> {
  const { tf, params, data, feed, post } = ctx;
  const flushEvery = ctx.flushEvery ?? 8;
  const model = buildVgg({
    config: params.config,
    inputSize: params.inputSize,
    width: params.width,
    classes: data.classes,
    fcWidth: params.fcWidth,
    dropout: params.dropout,
    // A warm start copies some layers; the others start from the run's own initialisation.
    init: (params.init.startsWith('from:') ? (params.initRest ?? 'glorot') : params.init) as InitName,
    seed: params.seed,
  });
  const largest = Math.max(...model.trainableWeights.map((w) => w.shape.reduce<number>((a, b) => a * (b ?? 1), 1) * 4));
  if (ctx.maxBufferBytes !== undefined && largest > ctx.maxBufferBytes) {
    model.dispose();
    throw new Error(
      `the largest weight of this model (${(largest / 2 ** 20).toFixed(0)} MiB) exceeds the device's buffer limit (${(ctx.maxBufferBytes / 2 ** 20).toFixed(0)} MiB); reduce --width or --input-size, or use another backend`,
    );
  }
  const sgd = createSgd(tf, model, data.classes, params);
  const schedOpts: ScheduleOptions = { spec: params.schedule, lr: params.lr, patience: params.patience, maxDrops: params.maxDrops, minDelta: params.minDelta };
  const stepsPerEpoch = Math.ceil(data.train.count / params.batch);
  const rng = mulberry32(params.seed ^ 0x9e3779b9);
  const scales = scaleRange(params);
  let order: Int32Array = Int32Array.from({ length: data.train.count }, (_, i) => i);
  const st: TrainerState = {
    epoch: 1,
    stepInEpoch: 0,
    step: 0,
    rngState: rng.state(),
    augRngState: 0,
    schedule: { lr: params.lr, best: Number.NEGATIVE_INFINITY, bad: 0, drops: 0 },
    epochLoss: 0,
    epochCorrect: 0,
    seen: 0,
    imagesTimed: 0,
    secondsTimed: 0,
    lrDrops: [],
    bestValTop1: null,
    last: { train: { loss: null, top1: null }, val: { loss: null, top1: null, top5: null } },
  };
  const result: RunResult = {
    epochs: 0,
    train: { loss: null, top1: null },
    val: { loss: null, top1: null, top5: null },
    lrDrops: st.lrDrops,
    imagesPerSec: null,
    data: { train: data.train.count, val: data.val.count, classes: data.classes, skipped: data.skipped, meanRgb: data.meanRgb, side: data.side, flip: data.flipInvariant },
  };

  if (ctx.resumeFrom) {
    const ck = ctx.resumeFrom;
    importWeights(tf, model, ck.weights);
    sgd.importSlots(ck.slots);
    Object.assign(st, ck.state);
    result.lrDrops = st.lrDrops;
    rng.restore(st.rngState);
    order = ck.order;
    if (order.length !== data.train.count)
      throw new Error(`the dataset changed since this checkpoint: it had ${order.length} usable training images, now ${data.train.count}; start a new run`);
    result.epochs = st.epoch - 1;
    result.train = st.last.train;
    result.val = st.last.val;
  } else {
    if (ctx.warmStart) {
      const layers = ctx.warmStart.layers;
      const copied = importWeights(tf, model, ctx.warmStart.weights, (name) => layers.includes(name.split('/')[0]!));
      post({ type: 'event', event: { step: 0, epoch: 0, kind: 'warm_start', payload: { fromRun: ctx.warmStart.runId, layers: copied } } });
    }
    shuffleInPlace(order, rng);
  }

  const checkpoint = async (kind: CheckpointKind) => {
    if (!ctx.saveCheckpoint) return;
    st.rngState = rng.state();
    ctx.saveCheckpoint(kind, { runId: 0, config: params.config, state: structuredClone(st), weights: await sgd.exportWeights(), slots: await sgd.exportSlots(), order });
  };
  const finish = async (status: Done['status'], error: string | null, save?: CheckpointKind): Promise<Done> => {
    if (save) await checkpoint(save);
    sgd.dispose();
    model.dispose();
    result.imagesPerSec = st.secondsTimed > 0 ? st.imagesTimed / st.secondsTimed : null;
    return { type: 'done', status, result, error };
  };

  let lastProgress = 0;
  let fed = 0;
  while (st.epoch <= params.epochs) {
    const epoch = st.epoch;
    if (fed !== epoch) feed.startEpoch(epoch, order, st.stepInEpoch, params.batch);
    fed = epoch;
    const pending: { step: number; loss: TfCore.Scalar; correct: TfCore.Scalar; n: number }[] = [];
    let t0 = performance.now();
    let timedImages = 0;
    let dataMs = 0;
    const flush = async (): Promise<string | null> => {
      if (!pending.length) return null;
      const stacked = tf.stack(pending.flatMap((p) => [p.loss, p.correct]));
      const values = await stacked.data();
      stacked.dispose();
      const points: MetricPoint[] = [];
      let diverged: string | null = null;
      pending.forEach((p, i) => {
        const loss = values[2 * i]!;
        if (!Number.isFinite(loss) && !diverged) diverged = `loss became ${loss} at step ${p.step} (epoch ${epoch}, learning rate ${st.schedule.lr})`;
        st.epochLoss += loss * p.n;
        st.epochCorrect += values[2 * i + 1]!;
        st.seen += p.n;
        timedImages += p.n;
        points.push({ step: p.step, epoch, split: 'train', name: 'loss', value: loss });
      });
      tf.dispose(pending.flatMap((p) => [p.loss, p.correct]));
      pending.length = 0;
      post({ type: 'metrics', points });
      await ctx.checkDevice?.();
      const now = performance.now();
      if (now - lastProgress > PROGRESS_MS) {
        lastProgress = now;
        const secs = (now - t0) / 1000;
        post({ type: 'progress', epoch: epoch - 1, step: st.step, stepInEpoch: st.stepInEpoch, stepsPerEpoch, imagesPerSec: secs > 0 ? timedImages / secs : 0, lr: st.schedule.lr });
      }
      await yieldToEvents();
      return diverged;
    };

    while (st.stepInEpoch < stepsPerEpoch) {
      // Time the trainer waits for its data: nothing where the pipeline keeps ahead.
      const tData = performance.now();
      const b = await feed.next();
      const x = tf.tensor4d(b.x, [b.n, params.inputSize, params.inputSize, 3]);
      const y = tf.tensor1d(b.y, 'int32');
      dataMs += performance.now() - tData;
      st.step += 1;
      st.stepInEpoch += 1;
      setDropoutStep(model, st.step);
      const { loss, correct } = sgd.step(x, y, st.schedule.lr);
      tf.dispose([x, y]);
      pending.push({ step: st.step, loss, correct, n: b.n });
      if (pending.length >= flushEvery || st.stepInEpoch === stepsPerEpoch) {
        const diverged = await flush();
        if (diverged) {
          post({ type: 'event', event: { step: st.step, epoch, kind: 'diverged', payload: { message: diverged, lr: st.schedule.lr } } });
          return finish('diverged', diverged);
        }
        if (ctx.pauseRequested?.() && ctx.waitWhilePaused) {
          post({ type: 'event', event: { step: st.step, epoch, kind: 'pause', payload: {} } });
          const pausedAt = performance.now();
          await ctx.waitWhilePaused();
          // Paused time is not training time.
          t0 += performance.now() - pausedAt;
          if (!ctx.stopRequested()) post({ type: 'event', event: { step: st.step, epoch, kind: 'unpause', payload: { seconds: (performance.now() - pausedAt) / 1000 } } });
        }
        if (ctx.stopRequested() && st.stepInEpoch < stepsPerEpoch) {
          post({ type: 'event', event: { step: st.step, epoch, kind: 'stop', payload: { reason: 'stopped by user' } } });
          return finish('stopped', null, 'stop');
        }
      }
    }
    const secs = (performance.now() - t0) / 1000;
    st.imagesTimed += timedImages;
    st.secondsTimed += secs;
    const pipe = feed.takeStats();
    // The next epoch's order now, so the pipeline prepares its first batches while validation runs.
    shuffleInPlace(order, rng);
    if (epoch < params.epochs) {
      feed.startEpoch(epoch + 1, order, 0, params.batch);
      fed = epoch + 1;
    }

    const val = await evaluateSplit(tf, model, evalBatches(tf, data.val, params.inputSize, Math.max(params.batch, 64), Math.round((scales.min + scales.max) / 2)), data.classes);
    const trainLoss = st.epochLoss / Math.max(st.seen, 1);
    const trainTop1 = st.epochCorrect / Math.max(st.seen, 1);
    result.epochs = epoch;
    result.train = { loss: trainLoss, top1: trainTop1 };
    result.val = { loss: val.loss, top1: val.top1, top5: val.top5 };
    st.last = { train: result.train, val: result.val };
    const ips = timedImages / Math.max(secs, 1e-9);
    post({
      type: 'metrics',
      points: [
        { step: st.step, epoch, split: 'train', name: 'epoch_loss', value: trainLoss },
        { step: st.step, epoch, split: 'train', name: 'top1', value: trainTop1 },
        { step: st.step, epoch, split: 'train', name: 'lr', value: st.schedule.lr },
        { step: st.step, epoch, split: 'val', name: 'loss', value: val.loss },
        { step: st.step, epoch, split: 'val', name: 'top1', value: val.top1 },
        { step: st.step, epoch, split: 'val', name: 'top5', value: val.top5 },
        { step: st.step, epoch, split: 'train', name: 'images_per_sec', value: ips },
        { step: st.step, epoch, split: 'train', name: 'data_wait', value: dataMs / 1000 / Math.max(secs, 1e-9) },
        // What the pipeline could deliver if never idle: images per second of its threads' busy time, times their number.
        { step: st.step, epoch, split: 'train', name: 'pipeline_images_per_sec', value: (pipe.images / Math.max(pipe.busyMs / 1000, 1e-9)) * Math.max(1, pipe.workers) },
      ],
    });
    post({ type: 'progress', epoch, step: st.step, stepInEpoch: stepsPerEpoch, stepsPerEpoch, imagesPerSec: ips, lr: st.schedule.lr });
    post({ type: 'log', level: 'info', message: `epoch ${epoch}: numTensors ${tf.memory().numTensors}` });
    post({
      type: 'metrics',
      points: [
        { step: st.step, epoch, split: 'train', name: 'num_tensors', value: tf.memory().numTensors },
        { step: st.step, epoch, split: 'train', name: 'rss_mb', value: process.memoryUsage.rss() / 2 ** 20 },
      ],
    });

    const decision = afterEpoch(st.schedule, schedOpts, epoch, val.top1);
    if (decision.drop) {
      const drop = { epoch, step: st.step, from: decision.drop.from, to: decision.drop.to };
      st.lrDrops.push(drop);
      post({ type: 'event', event: { step: st.step, epoch, kind: 'lr_drop', payload: { ...drop, reason: decision.drop.reason } } });
    }
    // The next epoch's state, so that a checkpoint taken now resumes at its first step.
    st.epoch += 1;
    st.stepInEpoch = 0;
    st.epochLoss = 0;
    st.epochCorrect = 0;
    st.seen = 0;
    const isBest = st.bestValTop1 === null || val.top1 > st.bestValTop1;
    if (isBest) st.bestValTop1 = val.top1;
    await checkpoint(isBest ? 'best' : 'last');
    if (decision.stop) {
      post({ type: 'event', event: { step: st.step, epoch, kind: 'early_stop', payload: { reason: decision.stop } } });
      return finish('completed', null);
    }
    if (ctx.stopRequested()) {
      post({ type: 'event', event: { step: st.step, epoch, kind: 'stop', payload: { reason: 'stopped by user' } } });
      return finish('stopped', null);
    }
    t0 = performance.now();
  }
  return finish('completed', null);
}
