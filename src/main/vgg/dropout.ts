// Dropout whose mask is seeded per training step: reproducible runs (same seed, same
// losses) without tf.layers.dropout's fixed seed, which would reuse one mask every step.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

interface Args {
  name?: string;
  rate: number;
  seed?: number;
}

export class SeededDropout extends tfl.layers.Layer {
  static className = 'SeededDropout';
  readonly rate: number;
  readonly baseSeed: number | undefined;
  /** Set by the trainer before each step; undefined leaves the mask unseeded. */
  step: number | undefined;

  constructor(args: Args) {
    super({ name: args.name });
    this.rate = args.rate;
    this.baseSeed = args.seed;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs.training || this.rate <= 0) return tf.clone(x);
    return tf.dropout(x, this.rate, undefined, this.seed());
  }

  /** This step's seed as the text tf.randomUniform hashes (a fresh random one when unseeded, as TF.js does). */
  seedText(): string {
    return String(this.seed() ?? Math.random());
  }

  private seed(): number | undefined {
    return this.baseSeed === undefined || this.step === undefined ? undefined : this.baseSeed * 7919 + this.step * 104729;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.baseSeed ?? null };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ name: config.name, rate: config.rate, seed: config.seed ?? undefined } as never);
  }
}
tf.serialization.registerClass(SeededDropout);
