// The bare loop: the same model and SGD step as the engine, on random data, with nothing
// else (no worker, no data pipeline, no recording). The engine's figure is compared to this.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from '../../shared/domain';
import { activateBackend } from '../training/backends';
import { createSgd } from '../training/sgd';
import { buildVgg } from '../vgg/model';
import { modelStats } from '../vgg/configs';
import type { Workload } from './workloads';

let activeName: string | null = null;

/** Measuring windows per figure (bare loop and PyTorch reference); the best is reported. */
export const WINDOWS = 3;

export async function bareLoop(w: Workload, backend: BackendInfo, seconds: number): Promise<{ imagesPerSec: number; steps: number; gflops: number }> {
  if (activeName !== backend.name) {
    await activateBackend(tf, backend);
    activeName = backend.name;
  }
  const model = buildVgg({ config: w.config, inputSize: w.inputSize, width: w.width, classes: w.classes, seed: 1 });
  const sgd = createSgd(tf, model, w.classes, { momentum: 0.9, weightDecay: 5e-4 });
  const x = tf.randomNormal([w.batch, w.inputSize, w.inputSize, 3], 0, 60, 'float32', 1) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: w.batch }, (_, i) => i % w.classes), 'int32');
  const step = async () => {
    const { loss, correct } = sgd.step(x, y, 0.001);
    await loss.data();
    tf.dispose([loss, correct]);
  };
  // Warm up as long as half the measuring time: V8's JIT and heap sizing take a while to settle.
  const w0 = performance.now();
  for (let i = 0; i < 2 || performance.now() - w0 < (seconds * 1000) / 2; i++) await step();
  // The measuring time in WINDOWS windows (each at least one step); the best one is reported. A
  // shared machine only ever slows a window down, so the best is the nearest to the loop's own
  // speed, and the engine's and PyTorch's figures are taken the same way.
  const windows: number[] = [];
  let steps = 0;
  for (let k = 0; k < WINDOWS; k++) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < (seconds * 1000) / WINDOWS || n < 1) {
      await step();
      n += 1;
    }
    windows.push((n * w.batch) / ((performance.now() - t0) / 1000));
    steps += n;
  }
  tf.dispose([x, y]);
  sgd.dispose();
  model.dispose();
  const imagesPerSec = Math.max(...windows);
  // A training step is about 3× the forward FLOPs (forward, input gradient, weight gradient).
  const flops = modelStats({ config: w.config, inputSize: w.inputSize, width: w.width, classes: w.classes }).flops;
  return { imagesPerSec, steps, gflops: (3 * flops * imagesPerSec) / 1e9 };
}
