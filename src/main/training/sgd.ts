// SGD with momentum and L2 weight decay, Caffe-style as in the paper:
// v ← μ·v − lr·(g + λ·w), w ← w + v; decay on kernels only, not biases.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TensorRecord } from './checkpoint';
import { NATIVE_BACKEND, SGD_UPDATE, TRAIN_STEP } from './backends/native/names';
import type { PooledCpuBackend } from './backends/native/pool';
import { dropoutSeeds, hasNativeKernel, nativePlan } from './backends/native/step-plan';

type Tf = typeof TfCore;
type Lender = Pick<PooledCpuBackend, 'lend'>;

/**
 * What a step gives back: the loss and the count of correct top-1 predictions, as unread tensors
 * (TF.js backends), or later as numbers (an engine in another process, answering in order).
 */
export type StepOut = { loss: TfCore.Scalar; correct: TfCore.Scalar } | { later: Promise<[loss: number, correct: number]> };

export interface Sgd {
  /** One step on a batch; it has read the batch when it returns. */
  step(x: TfCore.Tensor4D, y: TfCore.Tensor1D, lr: number): StepOut;
  /**
   * The same step on a batch's arrays (NHWC images, labels), where the backend reads them as bytes
   * anyway (an engine process): no tensors made for it on this side. Read when it returns.
   */
  stepArrays?(x: Float32Array, shape: [number, number, number, number], y: Int32Array, lr: number): StepOut;
  /** Validation where the weights live elsewhere (an engine process); else the model is evaluated here (evaluateSplit). */
  evaluate?(batches: Iterable<{ x: TfCore.Tensor4D; y: TfCore.Tensor1D }>, classes: number): Promise<{ loss: number; top1: number; top5: number; count: number }>;
  exportWeights(): Promise<TensorRecord[]>;
  exportSlots(): Promise<TensorRecord[]>;
  /**
   * Lends the weights and momentum to `use`, which must read them before it returns and keep
   * none: where the backend can (native), these are its live buffers, neither copied nor taken
   * out of its pool.
   */
  lendState<T>(use: (weights: TensorRecord[], slots: TensorRecord[]) => T): Promise<T>;
  importSlots(slots: TensorRecord[]): void;
  /** An engine's memory layout fixed before its first step (a resumed run's); backends without a choice have none. */
  pinLayout?(layout: 'nchw' | 'channels_last'): void;
  dispose(): void;
}

/** SGD on a TF.js backend in this thread: its step's results are tensors. */
export interface TfSgd extends Sgd {
  step(x: TfCore.Tensor4D, y: TfCore.Tensor1D, lr: number): { loss: TfCore.Scalar; correct: TfCore.Scalar };
}

export function createSgd(tf: Tf, model: tfl.LayersModel, classes: number, opts: { momentum: number; weightDecay: number }): TfSgd {
  const weights = model.trainableWeights.map((w) => ({ name: w.originalName ?? w.name, v: w.read() as TfCore.Variable, decay: (w.originalName ?? w.name).endsWith('kernel') }));
  const vars = weights.map((w) => w.v);
  const slots = weights.map((w) => tf.variable(tf.zerosLike(w.v), false));
  const mu = tf.keep(tf.scalar(opts.momentum));
  const wd = tf.keep(tf.scalar(opts.weightDecay));
  const lrCache = new Map<number, TfCore.Scalar>();
  const fusedUpdate = hasNativeKernel(tf, SGD_UPDATE);
  const lrTensor = (lr: number) => {
    let t = lrCache.get(lr);
    if (!t) lrCache.set(lr, (t = tf.keep(tf.scalar(lr))));
    return t;
  };
  const names = weights.map((w) => w.name);
  const records = async (list: TfCore.Variable[]) =>
    Promise.all(list.map(async (v, i) => ({ name: names[i]!, shape: v.shape.slice(), data: (await v.data()) as Float32Array })));
  const lent = (list: TfCore.Variable[], backend: Lender) =>
    list.map((v, i) => ({ name: names[i]!, shape: v.shape.slice(), data: backend.lend(v.dataId) as Float32Array }));

  // On the native backend, a model made of VGG's layers trains in one kernel per step (forward, loss,
  // backward and update: addon/src/vgg-step.inc); anything else op by op through TF.js.
  const whole = nativePlan(tf, model, TRAIN_STEP);

  return {
    step(x, y, lr) {
      if (whole && tf.getBackend() === NATIVE_BACKEND) {
        const inputs: Record<string, TfCore.Tensor> = { x, y };
        weights.forEach((w, i) => {
          inputs[`w${i}`] = w.v;
          inputs[`v${i}`] = slots[i]!;
        });
        const attrs = { layers: whole.layers, decay: weights.map((w) => w.decay), seeds: dropoutSeeds(whole), lr, mu: opts.momentum, wd: opts.weightDecay };
        const [loss, correct, ...rest] = tf.engine().runKernel(TRAIN_STEP, inputs, attrs as unknown as TfCore.NamedAttrMap) as TfCore.Tensor[];
        weights.forEach((w, i) => {
          w.v.assign(rest[i]!);
          slots[i]!.assign(rest[weights.length + i]!);
        });
        tf.dispose(rest);
        return { loss: loss as TfCore.Scalar, correct: correct as TfCore.Scalar };
      }
      let logits: TfCore.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        logits = tf.keep(model.apply(x, { training: true }) as TfCore.Tensor);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits) as TfCore.Scalar;
      }, vars);
      const correct = tf.tidy(() => hits(tf, logits as TfCore.Tensor2D, y, classes, 1));
      const lrT = lrTensor(lr);
      tf.tidy(() => {
        // The native backend updates weight and momentum in one fused pass.
        if (tf.getBackend() === NATIVE_BACKEND && fusedUpdate) {
          weights.forEach((w, i) => {
            const [nw, nv] = tf.engine().runKernel(SGD_UPDATE, { w: w.v, g: grads[w.v.name]!, v: slots[i]! }, { lr, mu: opts.momentum, wd: w.decay ? opts.weightDecay : 0 }) as TfCore.Tensor[];
            slots[i]!.assign(nv!);
            w.v.assign(nw!);
          });
          return;
        }
        weights.forEach((w, i) => {
          let g = grads[w.v.name]!;
          if (w.decay && opts.weightDecay > 0) g = tf.add(g, tf.mul(w.v, wd));
          const v = tf.sub(tf.mul(slots[i]!, mu), tf.mul(g, lrT));
          slots[i]!.assign(v);
          w.v.assign(tf.add(w.v, v));
        });
      });
      tf.dispose(Object.values(grads));
      logits!.dispose();
      return { loss: value, correct };
    },
    exportWeights: () => records(vars),
    exportSlots: () => records(slots),
    async lendState(use) {
      const backend = tf.backend() as Partial<Lender>;
      if (typeof backend.lend === 'function') return use(lent(vars, backend as Lender), lent(slots, backend as Lender));
      return use(await records(vars), await records(slots));
    },
    importSlots(list) {
      const byName = new Map(list.map((s) => [s.name, s]));
      weights.forEach((w, i) => {
        const s = byName.get(w.name);
        if (!s) throw new Error(`checkpoint has no momentum for ${w.name}`);
        slots[i]!.assign(tf.tensor(s.data, s.shape));
      });
    },
    dispose() {
      slots.forEach((s) => s.dispose());
      tf.dispose([mu, wd, ...lrCache.values()]);
    },
  };
}

/** Sets variables from records by layer-qualified name; every name must exist with the same shape. */
export function importWeights(tf: Tf, model: tfl.LayersModel, list: TensorRecord[], only?: (name: string) => boolean): string[] {
  const byName = new Map(list.map((r) => [r.name, r]));
  const done: string[] = [];
  for (const w of model.trainableWeights) {
    const name = w.originalName ?? w.name;
    if (only && !only(name)) continue;
    const r = byName.get(name);
    if (!r) throw new Error(`no weights for ${name}`);
    if (r.shape.join('x') !== w.shape.join('x')) throw new Error(`${name}: source shape [${r.shape.join(', ')}] does not match [${w.shape.join(', ')}]`);
    (w.read() as TfCore.Variable).assign(tf.tensor(r.data, r.shape));
    done.push(name);
  }
  return done;
}

/**
 * How many images have their true class among the top k scores, a tie counting against the
 * prediction, exactly as evaluation counts (evaluation/metrics.ts rankOf): the rank of the true class
 * is the number of other classes scoring at least as high.
 */
export function hits(tf: Tf, logits: TfCore.Tensor2D, y: TfCore.Tensor1D, classes: number, k: number): TfCore.Scalar {
  return tf.tidy(() => {
    const own = tf.sum(tf.mul(logits, tf.oneHot(y, classes)), 1, true);
    const rank = tf.sub(tf.sum(tf.cast(tf.greaterEqual(logits, own), 'float32'), 1), 1);
    return tf.sum(tf.cast(tf.less(rank, k), 'float32')) as TfCore.Scalar;
  });
}

export async function evaluateSplit(
  tf: Tf,
  model: tfl.LayersModel,
  batches: Iterable<{ x: TfCore.Tensor4D; y: TfCore.Tensor1D }>,
  classes: number,
): Promise<{ loss: number; top1: number; top5: number; count: number }> {
  const k5 = Math.min(5, classes);
  let loss = 0;
  let top1 = 0;
  let top5 = 0;
  let count = 0;
  for (const { x, y } of batches) {
    const sums = tf.tidy(() => {
      const logits = model.apply(x, { training: false }) as TfCore.Tensor2D;
      const l = tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits, undefined, undefined, tf.Reduction.SUM);
      return tf.stack([l, hits(tf, logits, y, classes, 1), hits(tf, logits, y, classes, k5)]);
    });
    const [l, c1, c5] = await sums.data();
    count += x.shape[0];
    tf.dispose([x, y, sums]);
    loss += l!;
    top1 += c1!;
    top5 += c5!;
  }
  return { loss: loss / count, top1: top1 / count, top5: top5 / count, count };
}
