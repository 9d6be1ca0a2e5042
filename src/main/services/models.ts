// Model facts for the UI and `vgglab models`: layers, parameters, FLOPs.
import { CONFIG_NAMES, type ModelInfo } from '../../shared/domain';
import { modelStats } from '../vgg/configs';

export function listModels(opts: { inputSize: number; width: number; classes: number; fcWidth?: number }): ModelInfo[] {
  return CONFIG_NAMES.map((config) => ({ config, ...modelStats({ config, ...opts }) }));
}
