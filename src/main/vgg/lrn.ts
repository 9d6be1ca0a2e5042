// tf.layers has no LRN layer; A-LRN needs AlexNet's (k = 2, n = 5, α = 1e-4, β = 0.75, Caffe's
// convention), serialisable with the model.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { LRN_SETTINGS } from './configs';

interface LrnArgs {
  name?: string;
  size?: number;
  alpha?: number;
  beta?: number;
  bias?: number;
}

export class LocalResponseNorm extends tfl.layers.Layer {
  static className = 'LocalResponseNorm';
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly bias: number;

  constructor(args: LrnArgs = {}) {
    super({ name: args.name });
    this.size = args.size ?? LRN_SETTINGS.size;
    this.alpha = args.alpha ?? LRN_SETTINGS.alpha;
    this.beta = args.beta ?? LRN_SETTINGS.beta;
    this.bias = args.bias ?? LRN_SETTINGS.bias;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    // The convention of Caffe, on which the paper's implementation was built:
    // b = a / (k + (α/n) Σ a²)^β over n = `size` neighbouring channels (the AlexNet paper writes α
    // for what Caffe calls α/n). TF.js's kernel takes the per-element factor, so α/n is passed.
    return tf.localResponseNormalization(x as tf.Tensor4D, Math.floor(this.size / 2), this.bias, this.alpha / this.size, this.beta);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, alpha: this.alpha, beta: this.beta, bias: this.bias };
  }
}
tf.serialization.registerClass(LocalResponseNorm);
