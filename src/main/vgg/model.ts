// The one model factory: any configuration, input size, width, class count.
import * as tfl from '@tensorflow/tfjs-layers';
import { VGG_CONFIGS, PAPER_FC_WIDTH, scaled, type ModelShape } from './configs';
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

export function buildVgg(opts: BuildOptions): tfl.LayersModel {
  const { config, inputSize, width, classes } = opts;
  const init = opts.init ?? 'glorot';
  let seed = opts.seed;
  // Each layer gets its own seed so that layers do not share identical weights.
  const nextInit = () => kernelInit(init, seed === undefined ? undefined : seed++);
  const model = tfl.sequential({ name: `vgg_${config.toLowerCase().replace('-', '_')}` });
  let block = 1;
  let convInBlock = 0;
  let first = true;
  for (const entry of VGG_CONFIGS[config]) {
    if (entry === 'M') {
      model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${block}_pool` }));
      block += 1;
      convInBlock = 0;
      continue;
    }
    if (entry === 'LRN') {
      model.add(new LocalResponseNorm({ name: `block${block}_lrn` }));
      continue;
    }
    convInBlock += 1;
    const kernelSize = typeof entry === 'number' ? 3 : 1;
    const filters = scaled(typeof entry === 'number' ? entry : Number(entry.slice(4)), width);
    model.add(
      tfl.layers.conv2d({
        name: `block${block}_conv${convInBlock}`,
        filters,
        kernelSize,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: nextInit(),
        biasInitializer: 'zeros',
        ...(first ? { inputShape: [inputSize, inputSize, 3] } : {}),
      }),
    );
    first = false;
  }
  const fc = opts.fcWidth ?? scaled(PAPER_FC_WIDTH, width);
  const dropout = opts.dropout ?? 0.5;
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(tfl.layers.dense({ name: 'fc1', units: fc, activation: 'relu', kernelInitializer: nextInit(), biasInitializer: 'zeros' }));
  const dropoutLayer = (name: string) =>
    opts.portable ? tfl.layers.dropout({ name, rate: dropout }) : new SeededDropout({ name, rate: dropout, seed: seed === undefined ? undefined : seed++ });
  model.add(dropoutLayer('fc1_dropout'));
  model.add(tfl.layers.dense({ name: 'fc2', units: fc, activation: 'relu', kernelInitializer: nextInit(), biasInitializer: 'zeros' }));
  model.add(dropoutLayer('fc2_dropout'));
  // Logits: softmax is applied in the loss and at evaluation, which is numerically safer.
  model.add(tfl.layers.dense({ name: 'predictions', units: classes, kernelInitializer: nextInit(), biasInitializer: 'zeros' }));
  return model;
}

/** Seeds every dropout mask of the coming step from the step number (reproducible, never repeated). */
export function setDropoutStep(model: tfl.LayersModel, step: number): void {
  for (const layer of model.layers) if (layer instanceof SeededDropout) layer.step = step;
}
