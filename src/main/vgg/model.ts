// The one model factory: any configuration, input size, width, class count.
import * as tfl from '@tensorflow/tfjs-layers';
import { describeLayers, type ModelShape } from './configs';
import { LocalResponseNorm } from './lrn';
import { SeededDropout } from './dropout';

export type InitName = 'glorot' | 'paper' | 'paper-0.1';

export interface BuildOptions extends ModelShape {
  dropout?: number;
  init?: InitName;
  seed?: number;
  /** Standard tf.layers dropout instead of the per-step seeded one, for models saved to run elsewhere. */
  portable?: boolean;
}

function kernelInit(init: InitName, seed: number | undefined) {
  if (init === 'glorot') return tfl.initializers.glorotUniform({ seed });
  // The paper says "variance 10⁻²"; `paper` reads it as std 0.01, `paper-0.1` as std 0.1.
  return tfl.initializers.randomNormal({ mean: 0, stddev: init === 'paper' ? 0.01 : 0.1, seed });
}

/** The network of `describeLayers`, layer for layer, with its names. */
export function buildVgg(opts: BuildOptions): tfl.LayersModel {
  const init = opts.init ?? 'glorot';
  let seed = opts.seed;
  // Each layer gets its own seed so that layers do not share identical weights.
  const nextSeed = () => (seed === undefined ? undefined : seed++);
  const dropout = opts.dropout ?? 0.5;
  const model = tfl.sequential({ name: `vgg_${opts.config.toLowerCase().replace('-', '_')}` });
  describeLayers(opts).layers.forEach((l, i) => {
    const name = l.name;
    switch (l.kind) {
      case 'conv':
        model.add(
          tfl.layers.conv2d({
            name,
            filters: l.outChannels,
            kernelSize: l.kernel,
            padding: 'same',
            activation: 'relu',
            kernelInitializer: kernelInit(init, nextSeed()),
            biasInitializer: 'zeros',
            ...(i === 0 ? { inputShape: [opts.inputSize, opts.inputSize, 3] } : {}),
          }),
        );
        return;
      case 'pool':
        model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name }));
        return;
      case 'lrn':
        model.add(new LocalResponseNorm({ name }));
        return;
      case 'flatten':
        model.add(tfl.layers.flatten({ name }));
        return;
      case 'fc':
        // The last layer gives logits: softmax is applied in the loss and at evaluation, which is numerically safer.
        model.add(tfl.layers.dense({ name, units: l.outChannels, ...(name === 'predictions' ? {} : { activation: 'relu' }), kernelInitializer: kernelInit(init, nextSeed()), biasInitializer: 'zeros' }));
        return;
      case 'dropout':
        model.add(opts.portable ? tfl.layers.dropout({ name, rate: dropout }) : new SeededDropout({ name, rate: dropout, seed: nextSeed() }));
        return;
    }
  });
  return model;
}

/** Seeds every dropout mask of the coming step from the step number (reproducible, never repeated). */
export function setDropoutStep(model: tfl.LayersModel, step: number): void {
  for (const layer of model.layers) if (layer instanceof SeededDropout) layer.step = step;
}
