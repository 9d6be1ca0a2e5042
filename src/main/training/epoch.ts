// One epoch of a run: the SGD steps with their loss read-backs (flushes: divergence, progress,
// pause and stop), then the epoch's end — validation, metrics, the LR schedule and a checkpoint.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { MetricPoint, RunResult } from '../../shared/domain';
import { imageAt } from '../data/geometry';
import { buildBatch, type AugmentOptions } from '../data/pipeline/augment';
import type { mulberry32 } from '../data/rng';
import type { Split } from '../data/types';
import { setDropoutStep } from '../vgg/model';
import type { TrainerState } from './checkpoint';
import type { FromWorker } from './messages';
import { afterEpoch, warmupRate } from '../../shared/schedule';
import { metricPoint, type MetricKey } from '../../shared/metrics';
import { evaluateSplit, type Sgd, type StepOut } from './sgd';
import type { CheckpointKind, TrainContext } from './context';
import type { ConvChoiceStore } from './arithmetic';
import { convAlgorithmOf, countConvChoices } from '../../shared/conv-choices';

type Tf = typeof TfCore;
export type Done = Extract<FromWorker, { type: 'done' }>;

/** A run in progress: what its epochs share. */
export interface Running {
  ctx: TrainContext;
  model: tfl.LayersModel;
  sgd: Sgd;
  st: TrainerState;
  result: RunResult;
  rng: ReturnType<typeof mulberry32>;
  order: Int32Array;
  stepsPerEpoch: number;
  scales: { min: number; max: number };
  lastProgress: number;
  /** The training clock: elapsed seconds are `base` plus the time since `from` (performance.now()), paused time left out; `recorded`: its last point's value. */
  clock: { from: number; base: number; recorded: number };
  /** The native backend's convolution choices (null elsewhere): recorded after the first steps and in every checkpoint. */
  convChoices: ConvChoiceStore | null;
}

/** Seconds this run has trained, over all its sessions. */
export const elapsed = (run: Running) => run.clock.base + (performance.now() - run.clock.from) / 1000;

/** What an epoch's steps measured, for its end. */
export interface StepsDone {
  seconds: number;
  images: number;
  dataMs: number;
  /** The pipeline's work during these steps. */
  pipe: ReturnType<TrainContext['feed']['takeStats']>;
}

interface Pending {
  step: number;
  out: StepOut;
  n: number;
}

const PROGRESS_MS = 250;
const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

/** Saves the state now, so that resuming from it continues exactly here. */
async function checkpoint(run: Running, kind: CheckpointKind): Promise<void> {
  const { ctx, st } = run;
  if (!ctx.saveCheckpoint) return;
  st.rngState = run.rng.state();
  if (run.convChoices) st.convChoices = run.convChoices.read();
  const save = ctx.saveCheckpoint;
  await run.sgd.lendState((weights, slots) => save(kind, { runId: 0, config: ctx.params.config, state: structuredClone(st), weights, slots, order: run.order }));
}

/** Ends the run: an optional last checkpoint, memory freed, the summary. */
export async function finishRun(run: Running, status: Done['status'], error: string | null, save?: CheckpointKind): Promise<Done> {
  if (save) await checkpoint(run, save);
  run.sgd.dispose();
  run.model.dispose();
  run.result.imagesPerSec = run.st.secondsTimed > 0 ? run.st.imagesTimed / run.st.secondsTimed : null;
  return { type: 'done', status, result: run.result, error };
}

/** Reads back the pending steps' losses in one sync: metrics, divergence, progress. Returns why it diverged, or null. */
async function flush(run: Running, epoch: number, pending: Pending[], timing: { t0: number; images: number }): Promise<string | null> {
  const { ctx, st } = run;
  const { tf, post } = ctx;
  if (!pending.length) return null;
  // Tensors are read back in one sync; an engine's answers are awaited.
  const held = pending.flatMap((p) => ('loss' in p.out ? [p.out.loss, p.out.correct] : []));
  const stacked = held.length ? tf.stack(held) : null;
  const read = stacked ? await stacked.data() : [];
  stacked?.dispose();
  const values: number[] = [];
  let at = 0;
  for (const p of pending) {
    if ('loss' in p.out) values.push(read[at++]!, read[at++]!);
    else values.push(...(await p.out.later));
  }
  const points: MetricPoint[] = [];
  let diverged: string | null = null;
  pending.forEach((p, i) => {
    const loss = values[2 * i]!;
    if (!Number.isFinite(loss) && !diverged) diverged = `loss became ${loss} at step ${p.step} (epoch ${epoch}, learning rate ${st.schedule.lr})`;
    st.epochLoss += loss * p.n;
    st.epochCorrect += values[2 * i + 1]!;
    st.seen += p.n;
    timing.images += p.n;
    points.push(metricPoint('train/loss', p.step, epoch, loss));
  });
  // The training clock at the flush's last step, what "elapsed time" charts step against: a point a
  // second at most, and one at each epoch's end (the axis interpolates between them).
  st.elapsed = elapsed(run);
  if (st.elapsed - run.clock.recorded >= 1 || st.stepInEpoch === run.stepsPerEpoch) {
    run.clock.recorded = st.elapsed;
    points.push(metricPoint('train/elapsed', pending.at(-1)!.step, epoch, st.elapsed));
  }
  tf.dispose(held);
  pending.length = 0;
  post({ type: 'metrics', points });
  if (run.convChoices && !st.convChoices) recordConvChoices(run, epoch);
  await ctx.checkDevice?.();
  const now = performance.now();
  if (now - run.lastProgress > PROGRESS_MS) {
    run.lastProgress = now;
    const secs = (now - timing.t0) / 1000;
    post({ type: 'progress', epoch: epoch - 1, step: st.step, stepInEpoch: st.stepInEpoch, stepsPerEpoch: run.stepsPerEpoch, imagesPerSec: secs > 0 ? timing.images / secs : 0, lr: st.schedule.lr });
  }
  await yieldToEvents();
  return diverged;
}

/** After the run's first steps: how its convolutions are computed, as an event (a resumed run pins the same choices). */
function recordConvChoices(run: Running, epoch: number): void {
  const { st, ctx } = run;
  st.convChoices = run.convChoices!.read();
  const counts = countConvChoices(st.convChoices);
  if (!Object.keys(counts).length) return;
  const payload = { algorithm: convAlgorithmOf(ctx.params), counts };
  ctx.post({ type: 'event', event: { step: st.step, epoch, kind: 'conv_algorithms', payload } });
}

/** The rest of an epoch's steps; the run's end where it diverges or is stopped, else what the steps measured. */
export async function runSteps(run: Running, epoch: number): Promise<Done | StepsDone> {
  const { ctx, st, model, sgd } = run;
  const { tf, params, post } = ctx;
  const flushEvery = ctx.flushEvery ?? 8;
  const warmupSteps = Math.round(params.warmup * run.stepsPerEpoch);
  const pending: Pending[] = [];
  const timing = { t0: performance.now(), images: 0 };
  let dataMs = 0;
  while (st.stepInEpoch < run.stepsPerEpoch) {
    // Time the trainer waits for its data: nothing where the pipeline keeps ahead.
    const tData = performance.now();
    const b = await ctx.feed.next();
    dataMs += performance.now() - tData;
    st.step += 1;
    st.stepInEpoch += 1;
    setDropoutStep(model, st.step);
    const lr = warmupRate(st.schedule.lr, st.step, warmupSteps);
    const shape: [number, number, number, number] = [b.n, params.inputSize, params.inputSize, 3];
    let out: StepOut;
    // An engine process takes the batch's bytes as they are; elsewhere they become tensors here.
    if (sgd.stepArrays) out = sgd.stepArrays(b.x, shape, b.y, lr);
    else {
      const x = tf.tensor4d(b.x, shape);
      const y = tf.tensor1d(b.y, 'int32');
      out = sgd.step(x, y, lr);
      tf.dispose([x, y]);
    }
    // The step has read the batch (every backend copies or consumes its input within the call).
    b.release();
    pending.push({ step: st.step, out, n: b.n });
    if (pending.length < flushEvery && st.stepInEpoch !== run.stepsPerEpoch) continue;
    const diverged = await flush(run, epoch, pending, timing);
    if (diverged) {
      post({ type: 'event', event: { step: st.step, epoch, kind: 'diverged', payload: { message: diverged, lr: st.schedule.lr } } });
      return finishRun(run, 'diverged', diverged);
    }
    if (ctx.pauseRequested?.() && ctx.waitWhilePaused) {
      post({ type: 'event', event: { step: st.step, epoch, kind: 'pause', payload: {} } });
      const pausedAt = performance.now();
      await ctx.waitWhilePaused();
      // Paused time is not training time.
      timing.t0 += performance.now() - pausedAt;
      run.clock.from += performance.now() - pausedAt;
      if (!ctx.stopRequested()) post({ type: 'event', event: { step: st.step, epoch, kind: 'unpause', payload: { seconds: (performance.now() - pausedAt) / 1000 } } });
    }
    if (ctx.stopRequested() && st.stepInEpoch < run.stepsPerEpoch) {
      post({ type: 'event', event: { step: st.step, epoch, kind: 'stop', payload: { reason: 'stopped by user' } } });
      return finishRun(run, 'stopped', null, 'stop');
    }
  }
  return { seconds: (performance.now() - timing.t0) / 1000, images: timing.images, dataMs, pipe: ctx.feed.takeStats() };
}

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

/** The epoch's end: validation, the epoch's metrics, the LR schedule, a checkpoint; the run's end where the schedule or the user stops it. */
export async function endEpoch(run: Running, epoch: number, steps: StepsDone): Promise<Done | null> {
  const { ctx, st, result, scales } = run;
  const { tf, params, data, post } = ctx;
  st.imagesTimed += steps.images;
  st.secondsTimed += steps.seconds;
  const pipe = steps.pipe;
  const batches = evalBatches(tf, data.val, params.inputSize, Math.max(params.batch, 64), Math.round((scales.min + scales.max) / 2));
  const val = await (run.sgd.evaluate ? run.sgd.evaluate(batches, data.classes) : evaluateSplit(tf, run.model, batches, data.classes));
  const trainLoss = st.epochLoss / Math.max(st.seen, 1);
  const trainTop1 = st.epochCorrect / Math.max(st.seen, 1);
  result.epochs = epoch;
  result.train = { loss: trainLoss, top1: trainTop1 };
  result.val = { loss: val.loss, top1: val.top1, top5: val.top5 };
  st.last = { train: result.train, val: result.val };
  const ips = steps.images / Math.max(steps.seconds, 1e-9);
  const at = (key: MetricKey, value: number) => metricPoint(key, st.step, epoch, value);
  post({
    type: 'metrics',
    points: [
      at('train/epoch_loss', trainLoss),
      at('train/top1', trainTop1),
      at('train/lr', st.schedule.lr),
      at('val/loss', val.loss),
      at('val/top1', val.top1),
      at('val/top5', val.top5),
      at('train/images_per_sec', ips),
      at('train/data_wait', steps.dataMs / 1000 / Math.max(steps.seconds, 1e-9)),
      // What the pipeline could deliver if never idle: images per second of its threads' busy time, times their number.
      at('train/pipeline_images_per_sec', (pipe.images / Math.max(pipe.busyMs / 1000, 1e-9)) * Math.max(1, pipe.workers)),
    ],
  });
  post({ type: 'progress', epoch, step: st.step, stepInEpoch: run.stepsPerEpoch, stepsPerEpoch: run.stepsPerEpoch, imagesPerSec: ips, lr: st.schedule.lr });
  post({ type: 'log', level: 'info', message: `epoch ${epoch}: numTensors ${tf.memory().numTensors}` });
  post({
    type: 'metrics',
    points: [
      at('train/num_tensors', tf.memory().numTensors),
      at('train/rss_mb', process.memoryUsage.rss() / 2 ** 20),
    ],
  });

  const decision = afterEpoch(st.schedule, { spec: params.schedule, lr: params.lr, patience: params.patience, maxDrops: params.maxDrops, minDelta: params.minDelta }, epoch, val.top1);
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
  await checkpoint(run, isBest ? 'best' : 'last');
  if (decision.stop) {
    post({ type: 'event', event: { step: st.step, epoch, kind: 'early_stop', payload: { reason: decision.stop } } });
    return finishRun(run, 'completed', null);
  }
  if (ctx.stopRequested()) {
    post({ type: 'event', event: { step: st.step, epoch, kind: 'stop', payload: { reason: 'stopped by user' } } });
    return finishRun(run, 'stopped', null);
  }
  return null;
}
