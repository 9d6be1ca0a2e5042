// The training loop: SGD with momentum and L2 weight decay (as in the paper, Caffe-style:
// v ← μv − lr(g + λw), w ← w + v), per-epoch validation, the LR schedule, divergence checks.
// Pure with respect to its environment: data, tf and the message sink are passed in.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { LrDrop, MetricPoint, RunResult, TrainParams } from '../../shared/domain';
import type { LoadedDataset, Split } from '../data/types';
import { mulberry32, shuffleInPlace } from '../data/rng';
import { buildVgg, type InitName } from '../vgg/model';
import type { FromWorker } from './messages';
import { afterEpoch, initialSchedule, type ScheduleOptions } from './schedule';

type Tf = typeof TfCore;

export interface TrainContext {
  tf: Tf;
  params: TrainParams;
  data: LoadedDataset;
  post: (msg: FromWorker) => void;
  stopRequested: () => boolean;
  checkDevice?: () => Promise<void>;
  /** Steps between loss read-backs; each read-back is a device sync. */
  flushEvery?: number;
}

type Done = Extract<FromWorker, { type: 'done' }>;

const PROGRESS_MS = 250;
const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

function batchTensors(tf: Tf, split: Split, idx: Int32Array | number[], from: number, to: number, size: number) {
  const px = size * size * 3;
  const n = to - from;
  const x = new Float32Array(n * px);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = idx[from + i]!;
    x.set(split.images.subarray(j * px, (j + 1) * px), i * px);
    y[i] = split.labels[j]!;
  }
  return { x: tf.tensor4d(x, [n, size, size, 3]), y: tf.tensor1d(y, 'int32') };
}

export async function train(ctx: TrainContext): Promise<Done> {
  const { tf, params, data, post } = ctx;
  const flushEvery = ctx.flushEvery ?? 8;
  const model = buildVgg({
    config: params.config,
    inputSize: params.inputSize,
    width: params.width,
    classes: data.classes,
    fcWidth: params.fcWidth,
    dropout: params.dropout,
    init: (params.init.startsWith('from:') ? 'glorot' : params.init) as InitName,
    seed: params.seed,
  });
  const weights = model.trainableWeights.map((w) => ({ v: w.read() as TfCore.Variable, decay: w.name.endsWith('kernel') }));
  const vars = weights.map((w) => w.v);
  const slots = weights.map((w) => tf.variable(tf.zerosLike(w.v), false));
  const schedOpts: ScheduleOptions = { spec: params.schedule, lr: params.lr, patience: params.patience, maxDrops: params.maxDrops, minDelta: params.minDelta };
  const sched = initialSchedule(schedOpts);
  const classes = data.classes;
  const k5 = Math.min(5, classes);
  const stepsPerEpoch = Math.ceil(data.train.count / params.batch);
  const rng = mulberry32(params.seed ^ 0x9e3779b9);
  const order = Int32Array.from({ length: data.train.count }, (_, i) => i);

  const lrDrops: LrDrop[] = [];
  const result: RunResult = {
    epochs: 0,
    train: { loss: null, top1: null },
    val: { loss: null, top1: null, top5: null },
    lrDrops,
    imagesPerSec: null,
    data: { train: data.train.count, val: data.val.count, classes, skipped: data.skipped },
  };
  let step = 0;
  let lastProgress = 0;
  let imagesTimed = 0;
  let secondsTimed = 0;
  const finish = (status: Done['status'], error: string | null): Done => {
    model.dispose();
    slots.forEach((s) => s.dispose());
    result.imagesPerSec = secondsTimed > 0 ? imagesTimed / secondsTimed : null;
    return { type: 'done', status, result, error };
  };

  const sgdStep = (x: TfCore.Tensor4D, y: TfCore.Tensor1D, lr: number) => {
    let logits: TfCore.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      logits = tf.keep(model.apply(x, { training: true }) as TfCore.Tensor);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits) as TfCore.Scalar;
    }, vars);
    const correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits!, 1), y), 'float32')));
    tf.tidy(() => {
      const mu = tf.scalar(params.momentum);
      const lrT = tf.scalar(lr);
      const wd = tf.scalar(params.weightDecay);
      weights.forEach((w, i) => {
        let g = grads[w.v.name]!;
        if (w.decay && params.weightDecay > 0) g = tf.add(g, tf.mul(w.v, wd));
        const v = tf.sub(tf.mul(slots[i]!, mu), tf.mul(g, lrT));
        slots[i]!.assign(v);
        w.v.assign(tf.add(w.v, v));
      });
    });
    Object.values(grads).forEach((g) => g.dispose());
    logits!.dispose();
    return { loss: value, correct };
  };

  const evaluate = async (split: Split) => {
    const evalBatch = Math.max(params.batch, 64);
    const idx = Array.from({ length: split.count }, (_, i) => i);
    let loss = 0;
    let top1 = 0;
    let top5 = 0;
    for (let from = 0; from < split.count; from += evalBatch) {
      const to = Math.min(split.count, from + evalBatch);
      const { x, y } = batchTensors(tf, split, idx, from, to, data.size);
      const sums = tf.tidy(() => {
        const logits = model.apply(x, { training: false }) as TfCore.Tensor2D;
        const l = tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits, undefined, undefined, tf.Reduction.SUM);
        const c1 = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
        const topk = tf.topk(logits, k5).indices;
        const c5 = tf.sum(tf.cast(tf.any(tf.equal(topk, tf.expandDims(y, 1)), 1), 'float32'));
        return tf.stack([l, c1, c5]);
      });
      const [l, c1, c5] = await sums.data();
      tf.dispose([x, y, sums]);
      loss += l!;
      top1 += c1!;
      top5 += c5!;
    }
    return { loss: loss / split.count, top1: top1 / split.count, top5: top5 / split.count };
  };

  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    shuffleInPlace(order, rng);
    let epochLoss = 0;
    let epochCorrect = 0;
    let seen = 0;
    const pending: { step: number; loss: TfCore.Scalar; correct: TfCore.Tensor; n: number }[] = [];
    let t0 = performance.now();
    let flushedImages = 0;
    const flush = async (): Promise<string | null> => {
      if (!pending.length) return null;
      const values = await tf.stack(pending.flatMap((p) => [p.loss, p.correct])).data();
      const points: MetricPoint[] = [];
      let diverged: string | null = null;
      pending.forEach((p, i) => {
        const loss = values[2 * i]!;
        const correct = values[2 * i + 1]!;
        if (!Number.isFinite(loss) && !diverged) diverged = `loss became ${loss} at step ${p.step} (epoch ${epoch}, learning rate ${sched.lr})`;
        epochLoss += loss * p.n;
        epochCorrect += correct;
        seen += p.n;
        points.push({ step: p.step, epoch, split: 'train', name: 'loss', value: loss });
      });
      tf.dispose(pending.flatMap((p) => [p.loss, p.correct]));
      flushedImages += pending.reduce((a, p) => a + p.n, 0);
      pending.length = 0;
      post({ type: 'metrics', points });
      await ctx.checkDevice?.();
      const now = performance.now();
      if (now - lastProgress > PROGRESS_MS) {
        lastProgress = now;
        const secs = (now - t0) / 1000;
        post({
          type: 'progress',
          epoch: epoch - 1,
          step,
          stepInEpoch: step - (epoch - 1) * stepsPerEpoch,
          stepsPerEpoch,
          imagesPerSec: secs > 0 ? flushedImages / secs : 0,
          lr: sched.lr,
        });
      }
      await yieldToEvents();
      return diverged;
    };

    for (let s = 0; s < stepsPerEpoch; s++) {
      const from = s * params.batch;
      const to = Math.min(data.train.count, from + params.batch);
      const { x, y } = batchTensors(tf, data.train, order, from, to, data.size);
      step += 1;
      const { loss, correct } = sgdStep(x, y, sched.lr);
      tf.dispose([x, y]);
      pending.push({ step, loss, correct, n: to - from });
      if (pending.length >= flushEvery || s === stepsPerEpoch - 1) {
        const diverged = await flush();
        if (diverged) {
          post({ type: 'event', event: { step, epoch, kind: 'diverged', payload: { message: diverged, lr: sched.lr } } });
          return finish('diverged', diverged);
        }
        if (ctx.stopRequested()) {
          post({ type: 'event', event: { step, epoch, kind: 'stop', payload: { reason: 'stopped by user' } } });
          return finish('stopped', null);
        }
      }
    }
    const secs = (performance.now() - t0) / 1000;
    imagesTimed += flushedImages;
    secondsTimed += secs;

    const val = await evaluate(data.val);
    const trainLoss = epochLoss / Math.max(seen, 1);
    const trainTop1 = epochCorrect / Math.max(seen, 1);
    result.epochs = epoch;
    result.train = { loss: trainLoss, top1: trainTop1 };
    result.val = val;
    post({
      type: 'metrics',
      points: [
        { step, epoch, split: 'train', name: 'epoch_loss', value: trainLoss },
        { step, epoch, split: 'train', name: 'top1', value: trainTop1 },
        { step, epoch, split: 'train', name: 'lr', value: sched.lr },
        { step, epoch, split: 'val', name: 'loss', value: val.loss },
        { step, epoch, split: 'val', name: 'top1', value: val.top1 },
        { step, epoch, split: 'val', name: 'top5', value: val.top5 },
        { step, epoch, split: 'train', name: 'images_per_sec', value: flushedImages / Math.max(secs, 1e-9) },
      ],
    });
    post({ type: 'progress', epoch, step, stepInEpoch: stepsPerEpoch, stepsPerEpoch, imagesPerSec: flushedImages / Math.max(secs, 1e-9), lr: sched.lr });
    post({ type: 'log', level: 'info', message: `epoch ${epoch}: numTensors ${tf.memory().numTensors}` });

    const decision = afterEpoch(sched, schedOpts, epoch, val.top1);
    if (decision.drop) {
      const drop = { epoch, step, from: decision.drop.from, to: decision.drop.to };
      lrDrops.push(drop);
      post({ type: 'event', event: { step, epoch, kind: 'lr_drop', payload: { ...drop, reason: decision.drop.reason } } });
    }
    if (decision.stop) {
      post({ type: 'event', event: { step, epoch, kind: 'early_stop', payload: { reason: decision.stop } } });
      return finish('completed', null);
    }
    if (ctx.stopRequested()) {
      post({ type: 'event', event: { step, epoch, kind: 'stop', payload: { reason: 'stopped by user' } } });
      return finish('stopped', null);
    }
    t0 = performance.now();
  }
  return finish('completed', null);
}
