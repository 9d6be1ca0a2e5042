// How evaluation runs a trained network. On the native backend, a model that fits the whole-network
// plan (step-plan.ts) runs in one kernel per batch (addon/src/vgg-forward.inc), crops and whole
// images alike; anything else runs through TF.js layers, with dense.ts's fully convolutional copy
// for whole images.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { FORWARD } from '../training/backends/native/names';
import { nativePlan } from '../training/backends/native/step-plan';
import { torchEngine } from '../training/backends/torch';
import { torchForward } from './torch-forward';
import { toFullyConvolutional } from './dense';

type Tf = typeof TfCore;

/** The input stays the caller's to dispose; the output is new (later, where an engine process computes it). */
export interface Forward {
  /** Logits of crops at the training input size: [n, classes]. */
  crops(x: TfCore.Tensor4D): TfCore.Tensor2D | Promise<TfCore.Tensor2D>;
  /** Score maps of whole images of any size ≥ the input size: [n, h′, w′, classes]. */
  dense(x: TfCore.Tensor4D): TfCore.Tensor4D | Promise<TfCore.Tensor4D>;
  /** Which route runs, for the record: "whole-network native kernel", "torch engine" or "TF.js layers". */
  route: string;
  /** How far apart the score map's cells look, in input pixels: the product of the poolings' strides (VGG: 32). */
  stride: number;
}

/** The product of the model's max-pooling strides (1 for a model without pooling). */
export function totalStride(model: tfl.LayersModel): number {
  let stride = 1;
  for (const layer of model.layers ?? []) if (layer.getClassName() === 'MaxPooling2D') stride *= ((layer.getConfig() as { strides: number[] }).strides[0] ?? 1);
  return stride;
}

/** The TF.js route: `model` for crops, and for whole images the fully convolutional copy that `dense` builds (once, when first needed). */
export function layersForward(model: tfl.LayersModel, dense: (() => tfl.LayersModel) | null): Forward {
  let built: tfl.LayersModel | null = null;
  return {
    crops: (x) => model.predict(x) as TfCore.Tensor2D,
    dense: (x) => {
      if (!dense) throw new Error('dense evaluation needs the fully convolutional model');
      return (built ??= dense()).predict(x) as TfCore.Tensor4D;
    },
    route: 'TF.js layers',
    stride: totalStride(model),
  };
}

/** The fastest route this backend offers for `model`: the torch engine where it is active in this thread, else the native kernel, else TF.js layers. */
export function evaluationForward(tf: Tf, model: tfl.LayersModel): Forward {
  const engine = torchEngine();
  if (engine) return { ...torchForward(tf, model, engine), stride: totalStride(model) };
  const plan = nativePlan(tf, model, FORWARD);
  if (plan) {
    const weights = model.trainableWeights.map((w) => w.read());
    const run = (x: TfCore.Tensor4D, dense: boolean) => {
      const inputs: Record<string, TfCore.Tensor> = { x };
      weights.forEach((w, i) => (inputs[`w${i}`] = w));
      const attrs = { layers: plan.layers, weights: weights.length, dense };
      return tf.engine().runKernel(FORWARD, inputs, attrs as unknown as TfCore.NamedAttrMap) as TfCore.Tensor;
    };
    return { crops: (x) => run(x, false) as TfCore.Tensor2D, dense: (x) => run(x, true) as TfCore.Tensor4D, route: 'whole-network native kernel', stride: totalStride(model) };
  }
  return layersForward(model, () => toFullyConvolutional(tf, model));
}
