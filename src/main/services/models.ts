// Model facts for the UI and `vgglab models`: layers, parameters, FLOPs.
import { CONFIG_NAMES, type ConfigName, type ModelInfo } from '../../shared/domain';
import os from 'node:os';
import { modelStats, trainingBytesForParams, trainingBytesPerImage, type ModelShape } from '../vgg/configs';

export function listModels(opts: { inputSize: number; width: number; classes: number; fcWidth?: number }): ModelInfo[] {
  return CONFIG_NAMES.map((config) => ({ config, ...modelStats({ config, ...opts }) }));
}

/** Memory a training step needs, and the largest power-of-two batch (≤ 256, the paper's) that fits in half the free memory. */
export function memoryEstimate(shape: ModelShape) {
  const paramBytes = trainingBytesForParams(shape);
  const bytesPerImage = trainingBytesPerImage(shape);
  const budgetBytes = Math.floor(os.freemem() / 2);
  let suggestedBatch = 256;
  while (suggestedBatch > 1 && paramBytes + suggestedBatch * bytesPerImage > budgetBytes) suggestedBatch /= 2;
  return { paramBytes, bytesPerImage, budgetBytes, suggestedBatch };
}

/**
 * Training speed per backend in GFLOP/s (3 × forward FLOPs per image × images/s), from the most recent
 * finished runs on each; used to estimate the time per epoch of a configuration before launch.
 */
export function measuredRates(runs: { backend: string | null; params: { config: ConfigName; inputSize: number; width: number; fcWidth?: number }; summary: { imagesPerSec: number | null; data: { classes: number } } | null }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of runs) {
    if (!r.backend || out[r.backend] !== undefined || !r.summary?.imagesPerSec) continue;
    const flops = modelStats({ config: r.params.config, inputSize: r.params.inputSize, width: r.params.width, classes: r.summary.data.classes, fcWidth: r.params.fcWidth }).flops;
    out[r.backend] = (3 * flops * r.summary.imagesPerSec) / 1e9;
  }
  return out;
}
