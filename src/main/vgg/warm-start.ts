// Which layers a warm start (`--init from:RUN`) copies, by the fixed layer names checkpoints use.
import type { ConfigName } from '../../shared/domain';
import { describeLayers, type ModelShape } from './configs';

/** The paper initialised the first four conv layers and the three FC layers of deeper nets from net A. */
export const WARM_START_LAYERS = ['block1_conv1', 'block2_conv1', 'block3_conv1', 'block3_conv2', 'fc1', 'fc2', 'predictions'] as const;

export interface WarmStartPlan {
  /** Layer names whose kernel and bias are copied; the rest start from the run's own initialisation. */
  layers: string[];
  /** 'paper': A's seven layers into a deeper net; 'all': every layer of a run of the same configuration (multi-scale training). */
  kind: 'paper' | 'all';
}

/** The layers to copy from a `from` run into a `to` run, or a sentence saying why none can be. */
export function planWarmStart(from: ConfigName, to: ConfigName): WarmStartPlan | string {
  if (from === to) return { kind: 'all', layers: describeLayers({ config: to, inputSize: 32, width: 1, classes: 2 }).weights.map((w) => w.name) };
  if (from === 'A') return { kind: 'paper', layers: [...WARM_START_LAYERS] };
  return `a warm start takes a trained configuration A (the paper's start for deeper nets) or a finished run of the same configuration (the paper's multi-scale training); this is ${to} from ${from}`;
}

/** Kernel shapes by layer name, to check a warm start fits before anything is recorded. */
export function kernelShapes(shape: ModelShape): Map<string, number[]> {
  return new Map(describeLayers(shape).weights.map((w) => [w.name, w.kind === 'conv' ? [w.kernel, w.kernel, w.inChannels, w.outChannels] : [w.inChannels, w.outChannels]]));
}
