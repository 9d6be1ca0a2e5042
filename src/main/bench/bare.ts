// The bare loop: the same model and SGD step as the engine, on random data, with nothing
// else (no worker, no data pipeline, no recording). The engine's figure is compared to this.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo, Precision } from '../../shared/domain';
import { activateBackend } from '../training/backends';
import { torchEngine } from '../training/backends/torch';
import { createTorchSgd } from '../training/backends/torch/sgd';
import { useStepArithmetic, type StepArithmetic } from '../training/arithmetic';
import { createSgd, type Sgd } from '../training/sgd';
import { buildVgg } from '../vgg/model';
import { modelStats } from '../vgg/configs';
import type { Workload } from './workloads';

let activeName: string | null = null;

/** Measuring windows per figure (bare loop, engine epochs and PyTorch reference); the best is reported. */
export const WINDOWS = 3;

export interface BareLoop {
  /** Steps for `seconds` (at least one); images per second. */
  window(seconds: number): Promise<number>;
  close(): void;
}

/** The loop's model built and warmed up for `warmSeconds` (V8's JIT and heap sizing take a while to settle). */
export async function openBareLoop(w: Workload, backend: BackendInfo, warmSeconds: number, arith: StepArithmetic = { precision: 'fp32', convAlgorithm: 'auto' }): Promise<BareLoop> {
  if (activeName !== backend.name) {
    await activateBackend(tf, backend);
    activeName = backend.name;
  }
  const model = buildVgg({ config: w.config, inputSize: w.inputSize, width: w.width, classes: w.classes, seed: 1 });
  // On torch, the step its engine runs (the bare loop then measures the engine's pipe as well as PyTorch).
  const engine = torchEngine();
  useStepArithmetic(tf, arith, engine !== null);
  const sgd: Sgd = engine ? createTorchSgd(tf, model, w.classes, { momentum: 0.9, weightDecay: 5e-4, precision: arith.precision }, engine) : createSgd(tf, model, w.classes, { momentum: 0.9, weightDecay: 5e-4 });
  const x = tf.randomNormal([w.batch, w.inputSize, w.inputSize, 3], 0, 60, 'float32', 1) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: w.batch }, (_, i) => i % w.classes), 'int32');
  const step = async () => {
    const out = sgd.step(x, y, 0.001);
    if ('later' in out) return void (await out.later);
    await out.loss.data();
    tf.dispose([out.loss, out.correct]);
  };
  const w0 = performance.now();
  for (let i = 0; i < 2 || performance.now() - w0 < warmSeconds * 1000; i++) await step();
  return {
    async window(seconds) {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000 || n < 1) {
        await step();
        n += 1;
      }
      return (n * w.batch) / ((performance.now() - t0) / 1000);
    },
    close() {
      tf.dispose([x, y]);
      sgd.dispose();
      model.dispose();
    },
  };
}

/** GFLOP/s of a training step at `imagesPerSec`: about 3× the forward FLOPs (forward, input gradient, weight gradient). */
export function trainingGflops(w: Workload, imagesPerSec: number): number {
  const flops = modelStats({ config: w.config, inputSize: w.inputSize, width: w.width, classes: w.classes }).flops;
  return (3 * flops * imagesPerSec) / 1e9;
}
