// tf.layers has no LRN layer; A-LRN needs AlexNet's, serialisable with the model.
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
    // AlexNet: b = a / (k + α Σ a²)^β over `size` neighbouring channels.
    return tf.localResponseNormalization(x as tf.Tensor4D, Math.floor(this.size / 2), this.bias, this.alpha, this.beta);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, alpha: this.alpha, beta: this.beta, bias: this.bias };
  }
}
tf.serialization.registerClass(LocalResponseNorm);
