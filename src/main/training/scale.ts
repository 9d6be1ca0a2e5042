// The training scale S: the side images are rescaled to before a crop of the input size is cut.
import type { TrainParams } from '../../shared/domain';

/** --scale S, else the paper's ratio (S = 256 for 224 crops) for real images, and no crop for synthetic data. */
export function trainingScale(params: TrainParams): number {
  if (params.scale) {
    const [lo, hi] = params.scale.split(':').map(Number) as [number, number | undefined];
    if (hi !== undefined) throw new Error(`--scale ${params.scale}: scale jittering (SMIN:SMAX) needs the streaming data pipeline, which this version does not have yet; use a fixed S`);
    if (lo < params.inputSize) throw new Error(`--scale ${lo}: S must be at least the input size (${params.inputSize})`);
    return lo;
  }
  return params.dataset.startsWith('synthetic') ? params.inputSize : Math.round((params.inputSize * 256) / 224);
}
