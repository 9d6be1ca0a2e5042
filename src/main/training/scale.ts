// The training scale S: the side images are rescaled to before a crop of the input size is cut.
import { ContractError } from '../../shared/contract';
import type { TrainParams } from '../../shared/domain';
import { sourceOf } from '../data/spec';

/** --scale S or SMIN:SMAX; else the paper's ratio (S = 256 for 224 crops) for real images, and no crop for synthetic data. */
export function scaleRange(params: TrainParams): { min: number; max: number } {
  if (params.scale) {
    const [lo, hi = lo] = params.scale.split(':').map(Number) as [number, number | undefined];
    if (lo < params.inputSize) throw ContractError.field('scale', `S (${lo}) must be at least the input size (${params.inputSize})`);
    if (hi < lo) throw ContractError.field('scale', `SMAX (${hi}) must not be below SMIN (${lo})`);
    return { min: lo, max: hi };
  }
  const s = sourceOf(params.dataset)?.drawnAtInputSize ? params.inputSize : Math.round((params.inputSize * 256) / 224);
  return { min: s, max: s };
}

/**
 * The step between the paper's test scales, {S − 32, S, S + 32} at 224 px input, scaled with the crop
 * as S itself is (S = 256·input/224): 5 px at input 32, so Q = {32, 37, 42} around S = 37.
 */
export const testScaleStep = (inputSize: number): number => Math.max(1, Math.round((32 * inputSize) / 224));

/** Images are stored once at the largest scale; jittered scales are cut from them. */
export function trainingScale(params: TrainParams): number {
  return scaleRange(params).max;
}
