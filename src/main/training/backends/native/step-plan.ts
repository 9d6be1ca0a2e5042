// The plan of a whole native training step (kernel VggTrainStep, addon/src/vgg-step.inc): the
// model's layers as the addon knows them. A model with any layer outside VGG's vocabulary, or with
// settings the addon does not implement, gets no plan and trains op by op through TF.js instead.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { SeededDropout } from '../../../vgg/dropout';
import { LocalResponseNorm } from '../../../vgg/lrn';
import type { StepLayer } from '../../../addon';
import { NATIVE_BACKEND } from './names';

export interface StepPlan {
  layers: StepLayer[];
  /** The dropout layers, in seed order. */
  dropouts: SeededDropout[];
}

const same = (v: unknown, want: number[]) => Array.isArray(v) && v.length === want.length && v.every((x, i) => x === want[i]);

/** The plan for `model`, or a sentence saying which layer keeps it on the TF.js path. */
export function stepPlan(model: tfl.LayersModel): StepPlan | string {
  const weights = model.trainableWeights;
  const layers: StepLayer[] = [];
  const dropouts: SeededDropout[] = [];
  const weightOf = (layer: tfl.layers.Layer): number | null => {
    const [kernel, bias] = layer.trainableWeights;
    const at = kernel ? weights.indexOf(kernel) : -1;
    return at >= 0 && bias && weights[at + 1] === bias && layer.trainableWeights.length === 2 ? at : null;
  };
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const c = layer.getConfig() as Record<string, unknown>;
    if (kind === 'Conv2D') {
      const k = (c.kernelSize as number[])[0]!;
      const weight = weightOf(layer);
      const fits = same(c.kernelSize, [k, k]) && k % 2 === 1 && same(c.strides, [1, 1]) && same(c.dilationRate, [1, 1]) && c.padding === 'same' && c.dataFormat === 'channelsLast';
      if (!fits || weight === null || (c.activation !== 'relu' && c.activation !== 'linear')) return `layer ${layer.name}: a convolution the whole step does not implement`;
      layers.push({ kind: 0, weight, units: c.filters as number, kernel: k, relu: c.activation === 'relu' });
    } else if (kind === 'MaxPooling2D') {
      const [p] = c.poolSize as number[];
      if (!same(c.poolSize, [p!, p!]) || !same(c.strides, [p!, p!]) || c.padding !== 'valid') return `layer ${layer.name}: a pooling the whole step does not implement`;
      layers.push({ kind: 1, kernel: p, stride: p });
    } else if (layer instanceof LocalResponseNorm) {
      // The same arguments as the layer passes to tf.localResponseNormalization.
      layers.push({ kind: 2, radius: Math.floor(layer.size / 2), bias: layer.bias, alpha: layer.alpha / layer.size, beta: layer.beta });
    } else if (kind === 'Flatten') {
      layers.push({ kind: 3 });
    } else if (kind === 'Dense') {
      const weight = weightOf(layer);
      if (weight === null || (c.activation !== 'relu' && c.activation !== 'linear')) return `layer ${layer.name}: a dense layer the whole step does not implement`;
      layers.push({ kind: 4, weight, units: c.units as number, rows: weights[weight]!.shape[0]!, relu: c.activation === 'relu' });
    } else if (layer instanceof SeededDropout) {
      if (layer.rate > 0) {
        layers.push({ kind: 5, mask: dropouts.length, keep: 1 - layer.rate });
        dropouts.push(layer);
      }
    } else {
      return `layer ${layer.name} (${kind}) is not one the whole step implements`;
    }
  }
  const last = layers.at(-1);
  if (!last || last.kind !== 4 || last.relu) return 'the network does not end in a linear dense layer (the logits)';
  return { layers, dropouts };
}

/** This step's dropout seeds: the strings tf.dropout would hash in each layer (the addon draws the same masks). */
export function dropoutSeeds(plan: StepPlan): string[] {
  return plan.dropouts.map((d) => d.seedText());
}

/** The plan where the backend in use is native, has `kernel`, and `model` fits it; else null (TF.js's route). */
export function nativePlan(tf: typeof TfCore, model: tfl.LayersModel, kernel: string): StepPlan | null {
  if (tf.getBackend() !== NATIVE_BACKEND || !hasNativeKernel(tf, kernel)) return null;
  const plan = stepPlan(model);
  return typeof plan === 'string' ? null : plan;
}

/** Whether the native backend registered `kernel` in this thread (it is absent where the addon did not load). */
export function hasNativeKernel(tf: typeof TfCore, kernel: string): boolean {
  try {
    return Boolean(tf.getKernel(kernel, NATIVE_BACKEND));
  } catch {
    return false;
  }
}
