// Evaluation's forward pass on the torch engine: the trained weights sent once, then logits of crops
// and score maps of whole images (the FC layers as convolutions) computed by PyTorch.
import type * as TfCore from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { stepPlan } from '../training/backends/native/step-plan';
import { floats, type TorchEngine } from '../training/backends/torch/engine';

type Tf = typeof TfCore;

/** forward.ts's Forward, answered later (kept structural here, so the two files do not import each other). */
export interface EngineForward {
  crops(x: TfCore.Tensor4D): Promise<TfCore.Tensor2D>;
  dense(x: TfCore.Tensor4D): Promise<TfCore.Tensor4D>;
  route: string;
}

export function torchForward(tf: Tf, model: tfl.LayersModel, engine: TorchEngine): EngineForward {
  const plan = stepPlan(model);
  if (typeof plan === 'string') throw new Error(`the torch backend evaluates VGG's layers only: ${plan}`);
  const weights = model.trainableWeights.map((w) => ({ name: w.originalName ?? w.name, shape: w.shape.map(Number), decay: false, data: w.read().dataSync() as Float32Array }));
  const classes = weights.at(-1)!.shape[0]!;
  // Answered in order: every forward below waits behind the network it runs.
  const sent = engine.call('init', { layers: plan.layers, weights: weights.map(({ data: _d, ...spec }) => spec), classes, momentum: 0, weightDecay: 0 }, weights.map((w) => w.data));
  sent.catch(() => {});
  const run = async (x: TfCore.Tensor4D, dense: boolean) => {
    const [n, h, w] = x.shape;
    const pending = engine.call('forward', { n, h, w, dense }, [x.dataSync() as Float32Array]);
    await sent;
    const got = await pending;
    return tf.tensor(floats(got.blobs[0]!), got.header.shape as number[]);
  };
  return { crops: async (x) => (await run(x, false)) as TfCore.Tensor2D, dense: async (x) => (await run(x, true)) as TfCore.Tensor4D, route: 'torch engine' };
}
