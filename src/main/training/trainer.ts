// A training run from its start: the model, a fresh or resumed state, the warm start, then epochs
// of steps and epoch ends (./epoch.ts). Pure with respect to its environment: data, tf, the message
// sink and checkpoint storage are passed in.
import type { RunResult, TrainParams } from '../../shared/domain';
import { mulberry32, shuffleInPlace } from '../data/rng';
import { buildVgg, type InitName } from '../vgg/model';
import type { Checkpoint, TrainerState } from './checkpoint';
import type { TrainContext } from './context';
import { endEpoch, finishRun, runSteps, type Done, type Running } from './epoch';
import { createSgd, importWeights } from './sgd';
import { torchEngine } from './backends/torch';
import { createTorchSgd } from './backends/torch/sgd';
import { useStepArithmetic } from './arithmetic';
import { convAlgorithmOf } from '../../shared/conv-choices';

export type { CheckpointKind, TrainContext } from './context';

export async function train(ctx: TrainContext): Promise<Done> {
  const { tf, params, data } = ctx;
  const model = buildModel(ctx);
  // Where the torch backend is active in this thread, its engine process trains; else TF.js here.
  const engine = torchEngine();
  const arith = useStepArithmetic(tf, { precision: params.precision, convAlgorithm: convAlgorithmOf(params) }, engine !== null);
  if (arith.note) ctx.post({ type: 'log', level: 'note', message: arith.note });
  // The torch engine says its memory layout at the first step (timed there, or fixed); the run keeps it.
  const onLayout = (layout: 'nchw' | 'channels_last', note: string) => {
    run.st.engineLayout = layout;
    ctx.post({ type: 'log', level: 'note', message: note });
  };
  const sgd = engine ? createTorchSgd(tf, model, data.classes, { ...params, onLayout }, engine) : createSgd(tf, model, data.classes, params);
  const rng = mulberry32(params.seed ^ 0x9e3779b9);
  const st = initialState(params, rng.state());
  const result: RunResult = {
    epochs: 0,
    train: { loss: null, top1: null },
    val: { loss: null, top1: null, top5: null },
    lrDrops: st.lrDrops,
    imagesPerSec: null,
    data: { train: data.train.count, val: data.val.count, classes: data.classes, skipped: data.skipped, meanRgb: data.meanRgb, side: data.side, flip: data.flipInvariant },
  };
  const run: Running = { ctx, model, sgd, st, result, rng, order: Int32Array.from({ length: data.train.count }, (_, i) => i), stepsPerEpoch: Math.ceil(data.train.count / params.batch), scales: ctx.scales, lastProgress: 0, clock: { from: performance.now(), base: 0, recorded: 0 }, convChoices: arith.choices };
  if (ctx.resumeFrom) resume(run, ctx.resumeFrom);
  else {
    if (ctx.warmStart) {
      const layers = ctx.warmStart.layers;
      const copied = importWeights(tf, model, ctx.warmStart.weights, (name) => layers.includes(name.split('/')[0]!));
      ctx.post({ type: 'event', event: { step: 0, epoch: 0, kind: 'warm_start', payload: { fromRun: ctx.warmStart.runId, layers: copied } } });
    }
    shuffleInPlace(run.order, rng);
  }

  let fed = 0;
  while (st.epoch <= params.epochs) {
    const epoch = st.epoch;
    if (fed !== epoch) ctx.feed.startEpoch(epoch, run.order, st.stepInEpoch, params.batch);
    const steps = await runSteps(run, epoch);
    if ('type' in steps) return steps;
    // The next epoch's order now, so the pipeline prepares its first batches while validation runs.
    shuffleInPlace(run.order, rng);
    fed = epoch;
    if (epoch < params.epochs) {
      ctx.feed.startEpoch(epoch + 1, run.order, 0, params.batch);
      fed = epoch + 1;
    }
    const ended = await endEpoch(run, epoch, steps);
    if (ended) return ended;
  }
  return finishRun(run, 'completed', null);
}

/** The network of this run, checked against the device's largest buffer. */
function buildModel(ctx: TrainContext) {
  const { params, data } = ctx;
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
      `the largest weight of this model (${(largest / 2 ** 20).toFixed(0)} MiB) exceeds the device's buffer limit (${(ctx.maxBufferBytes / 2 ** 20).toFixed(0)} MiB); reduce the width multiplier or the input size, or use another backend`,
    );
  }
  return model;
}

function initialState(params: TrainParams, rngState: number): TrainerState {
  return {
    epoch: 1,
    stepInEpoch: 0,
    step: 0,
    rngState,
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
}

/** Continues from a checkpoint: weights, optimiser slots, trainer state, the epoch's image order. */
function resume(run: Running, ck: Checkpoint): void {
  const { tf, data } = run.ctx;
  importWeights(tf, run.model, ck.weights);
  run.sgd.importSlots(ck.slots);
  Object.assign(run.st, ck.state);
  if (run.st.engineLayout) run.sgd.pinLayout?.(run.st.engineLayout);
  if (run.st.convChoices) run.convChoices?.pin(run.st.convChoices);
  run.result.lrDrops = run.st.lrDrops;
  run.rng.restore(run.st.rngState);
  run.order = ck.order;
  if (run.order.length !== data.train.count)
    throw new Error(`the dataset changed since this checkpoint: it had ${run.order.length} usable training images, now ${data.train.count}; start a new run`);
  run.result.epochs = run.st.epoch - 1;
  // The clock goes on from the checkpoint (an older one has none: from zero).
  run.clock = { from: performance.now(), base: run.st.elapsed ?? 0, recorded: run.st.elapsed ?? 0 };
  run.result.train = run.st.last.train;
  run.result.val = run.st.last.val;
}
