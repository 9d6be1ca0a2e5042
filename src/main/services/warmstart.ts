// The paper's warm start (`--init from:RUN`): checks a finished configuration-A run can seed
// this one, layer by layer, before any training starts.
import { ContractError } from '../../shared/contract';
import type { TrainParams } from '../../shared/domain';
import type { Db } from '../store/db';
import { bestCheckpoint } from '../store/checkpoints';
import { getRun } from '../store/runs';
import { WARM_START_LAYERS } from '../training/trainer';
import { describeLayers, type ModelShape } from '../vgg/configs';

const classesOf = (p: TrainParams) => p.classes ?? 10;

function kernelShapes(shape: ModelShape): Map<string, number[]> {
  return new Map(describeLayers(shape).weights.map((w) => [w.name, w.kind === 'conv' ? [w.kernel, w.kernel, w.inChannels, w.outChannels] : [w.inChannels, w.outChannels]]));
}

/** Checks before anything is recorded: the source exists, is an A, is finished or on its way, and every copied layer fits. */
export function checkWarmStart(db: Db, params: TrainParams): void {
  const m = /^from:(\d+)$/.exec(params.init);
  if (!m) return;
  const srcId = Number(m[1]);
  const src = getRun(db, srcId);
  if (!src) throw new ContractError(`--init from:${srcId}: run ${srcId} does not exist`, 'not_found');
  if (src.config !== 'A') throw new ContractError(`--init from:${srcId}: run ${srcId} is configuration ${src.config}; the paper's warm start takes a trained configuration A`);
  const pending = ['queued', 'running'].includes(src.status);
  if (!pending && (!['completed', 'stopped'].includes(src.status) || !bestCheckpoint(db, srcId)))
    throw new ContractError(`--init from:${srcId}: run ${srcId} is ${src.status}${bestCheckpoint(db, srcId) ? '' : ' and has no checkpoint'}; warm start needs a finished run`);
  const mine = kernelShapes({ config: params.config, inputSize: params.inputSize, width: params.width, classes: classesOf(params), fcWidth: params.fcWidth });
  const theirs = kernelShapes({ config: 'A', inputSize: src.params.inputSize, width: src.params.width, classes: classesOf(src.params), fcWidth: src.params.fcWidth });
  for (const layer of WARM_START_LAYERS) {
    const a = theirs.get(layer)!;
    const b = mine.get(layer)!;
    if (a.join('x') !== b.join('x'))
      throw new ContractError(`--init from:${srcId}: layer ${layer} has shape [${a.join(', ')}] in run ${srcId} but [${b.join(', ')}] here; use the same input size, width and classes`);
  }
}

/** The checkpoint to copy from, once the source run has finished. */
export function resolveWarmStart(db: Db, params: TrainParams): { runId: number; file: string; sha256: string } | undefined {
  const m = /^from:(\d+)$/.exec(params.init);
  if (!m) return undefined;
  checkWarmStart(db, params);
  const srcId = Number(m[1]);
  const src = getRun(db, srcId)!;
  const ck = bestCheckpoint(db, srcId);
  if (!ck || !['completed', 'stopped'].includes(src.status)) throw new ContractError(`warm-start source run ${srcId} ended as ${src.status} without a usable checkpoint`);
  return { runId: srcId, file: ck.path, sha256: ck.sha256 };
}
