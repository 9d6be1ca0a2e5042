// SGD on the torch engine: the same step as the native backend's whole step (the model's layer plan,
// its weights in the app's layout and order, Caffe's momentum and weight decay on kernels only), run
// by PyTorch. The weights live in the engine between steps; they come back for a checkpoint and at
// the run's end, into the model's variables, so checkpoints, evaluation and export are unchanged.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TensorRecord } from '../../checkpoint';
import type { Sgd } from '../../sgd';
import { dropoutSeeds, stepPlan } from '../native/step-plan';
import { floats, type TorchEngine } from './engine';

type Tf = typeof TfCore;

type Layout = 'nchw' | 'channels_last';

export interface TorchSgdOptions {
  momentum: number;
  weightDecay: number;
  precision?: 'fp32' | 'bf16' | 'fp16';
  /** The layout the engine trains in (measured at the first step, or fixed), and its line for the run's log. */
  onLayout?: (layout: Layout, note: string) => void;
}

export function createTorchSgd(tf: Tf, model: tfl.LayersModel, classes: number, opts: TorchSgdOptions, engine: TorchEngine): Sgd {
  const plan = stepPlan(model);
  if (typeof plan === 'string') throw new Error(`the torch backend trains VGG's layers only: ${plan}`);
  const weights = model.trainableWeights.map((w) => ({ name: w.originalName ?? w.name, v: w.read() as TfCore.Variable, decay: (w.originalName ?? w.name).endsWith('kernel') }));
  const specs = weights.map((w) => ({ name: w.name, shape: w.v.shape.slice(), decay: w.decay }));
  const slots = weights.map((w) => tf.variable(tf.zerosLike(w.v), false));
  // The network goes over at first use, with the weights as they are then (after a warm start or a
  // resume set them), and the momenta a resume brought. Requests are answered in order, so every
  // later call waits behind it; its failure is what every later call reports.
  let initError: Error | null = null;
  let sent = false;
  let momenta: Float32Array[] | null = null;
  let pinned: Layout | null = null;
  const init = () => {
    if (sent) return;
    sent = true;
    const layout = pinned ? { channelsLast: pinned === 'channels_last' } : {};
    engine.call('init', { layers: plan.layers, weights: specs, classes, momentum: opts.momentum, weightDecay: opts.weightDecay, precision: opts.precision ?? 'fp32', ...layout }, weights.map((w) => w.v.dataSync() as Float32Array)).catch((err: Error) => (initError = err));
    if (momenta) void engine.call('set', { what: 'momenta' }, momenta).catch((err: Error) => (initError ??= err));
  };
  const reason = (err: Error) => {
    throw initError ?? err;
  };

  /** The engine's weights and momenta, copied into the model's variables and the momentum slots. */
  const pull = async () => {
    init();
    const got = await engine.call('get').catch(reason);
    weights.forEach((w, i) => {
      w.v.assign(tf.tensor(floats(got.blobs[i]!), w.v.shape));
      slots[i]!.assign(tf.tensor(floats(got.blobs[weights.length + i]!), w.v.shape));
    });
  };
  const records = async (list: TfCore.Variable[]): Promise<TensorRecord[]> =>
    Promise.all(list.map(async (v, i) => ({ name: weights[i]!.name, shape: v.shape.slice(), data: (await v.data()) as Float32Array })));

  const stepArrays: NonNullable<Sgd['stepArrays']> = (x, [n, h, w], y, lr) => {
    const seeds = dropoutSeeds(plan);
    init();
    // The batch's bytes are in a slot or queued for the pipe before this returns (the caller releases them).
    const later = engine.call('step', { n, h, w, lr, seeds }, [x, y]);
    const result = later.then((r) => {
      if (r.header.layout) opts.onLayout?.(r.header.layout as Layout, String(r.header.layoutNote));
      return [Number(r.header.loss), Number(r.header.correct)] as [number, number];
    }, reason);
    // Read at the next flush, up to a few steps later: a failure before then is not unhandled.
    result.catch(() => {});
    return { later: result };
  };

  return {
    step(x, y, lr) {
      const [n, h, w] = x.shape;
      return stepArrays(x.dataSync() as Float32Array, [n, h, w, 3], y.dataSync() as Int32Array, lr);
    },
    stepArrays,
    async evaluate(batches) {
      init();
      const k = Math.min(5, classes);
      let loss = 0;
      let top1 = 0;
      let top5 = 0;
      let count = 0;
      const inFlight: Promise<unknown>[] = [];
      for (const { x, y } of batches) {
        const [n, h, w] = x.shape;
        inFlight.push(
          engine.call('eval', { n, h, w, k }, [x.dataSync() as Float32Array, y.dataSync() as Int32Array]).then((r) => {
            loss += Number(r.header.loss);
            top1 += Number(r.header.top1);
            top5 += Number(r.header.topk);
          }, reason),
        );
        count += n;
        tf.dispose([x, y]);
      }
      await Promise.all(inFlight);
      return { loss: loss / count, top1: top1 / count, top5: top5 / count, count };
    },
    async exportWeights() {
      await pull();
      return records(weights.map((w) => w.v));
    },
    async exportSlots() {
      await pull();
      return records(slots);
    },
    async lendState(use) {
      await pull();
      return use(await records(weights.map((w) => w.v)), await records(slots));
    },
    importSlots(list) {
      const byName = new Map(list.map((s) => [s.name, s]));
      momenta = weights.map((w) => {
        const s = byName.get(w.name);
        if (!s) throw new Error(`checkpoint has no momentum for ${w.name}`);
        return s.data;
      });
      if (sent) void engine.call('set', { what: 'momenta' }, momenta).catch((err: Error) => (initError ??= err));
    },
    pinLayout(layout) {
      if (sent) throw new Error('the torch engine has its network already: a layout is pinned before the first step');
      pinned = layout;
    },
    dispose() {
      slots.forEach((s) => s.dispose());
    },
  };
}
