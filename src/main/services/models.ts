// Model facts for the UI and `vgglab models`: layers, parameters, FLOPs.
import { CONFIG_NAMES, type ModelInfo } from '../../shared/domain';
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
