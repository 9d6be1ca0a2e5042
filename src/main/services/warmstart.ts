// Warm starts (`--init from:RUN`): the paper's start of a deeper net from a trained A, and its
// multi-scale training, where a net is initialised from a finished run of the same configuration.
// Both are checked layer by layer before anything is recorded.
import { ContractError } from '../../shared/contract';
import type { TrainParams } from '../../shared/domain';
import type { Db } from '../store/db';
import { latestCheckpoint } from '../store/checkpoints';
import { getRun } from '../store/runs';
import { kernelShapes, planWarmStart, type WarmStartPlan } from '../vgg/warm-start';

const classesOf = (p: TrainParams) => p.classes ?? 10;
const FINISHED = ['completed', 'stopped'];

/** Checks before anything is recorded: the source exists, fits the plan, is finished or on its way, and every copied layer fits. */
export function checkWarmStart(db: Db, params: TrainParams): WarmStartPlan | undefined {
  const m = /^from:(\d+)$/.exec(params.init);
  if (!m) return undefined;
  const srcId = Number(m[1]);
  const src = getRun(db, srcId);
  if (!src) throw ContractError.field('init', `from:${srcId}: run ${srcId} does not exist`, 'not_found');
  const plan = planWarmStart(src.config, params.config);
  if (typeof plan === 'string') throw ContractError.field('init', `from:${srcId}: ${plan}`);
  const pending = ['queued', 'running'].includes(src.status);
  if (!pending && (!FINISHED.includes(src.status) || !latestCheckpoint(db, srcId)))
    throw ContractError.field('init', `from:${srcId}: run ${srcId} is ${src.status}${latestCheckpoint(db, srcId) ? '' : ' and has no checkpoint'}; warm start needs a finished run`);
  const mine = kernelShapes({ config: params.config, inputSize: params.inputSize, width: params.width, classes: classesOf(params), fcWidth: params.fcWidth });
  const theirs = kernelShapes({ config: src.config, inputSize: src.params.inputSize, width: src.params.width, classes: classesOf(src.params), fcWidth: src.params.fcWidth });
  for (const layer of plan.layers) {
    const a = theirs.get(layer)!;
    const b = mine.get(layer)!;
    if (a.join('x') !== b.join('x'))
      throw ContractError.field('init', `from:${srcId}: layer ${layer} has shape [${a.join(', ')}] in run ${srcId} but [${b.join(', ')}] here; use the same input size, width and classes`);
  }
  return plan;
}

/** The source's final weights and the layers to copy, once the source run has finished. */
export function resolveWarmStart(db: Db, params: TrainParams): { runId: number; file: string; sha256: string; layers: string[] } | undefined {
  const plan = checkWarmStart(db, params);
  if (!plan) return undefined;
  const srcId = Number(params.init.slice('from:'.length));
  const src = getRun(db, srcId)!;
  const ck = latestCheckpoint(db, srcId);
  if (!ck || !FINISHED.includes(src.status)) throw new ContractError(`warm-start source run ${srcId} ended as ${src.status} without a usable checkpoint`);
  return { runId: srcId, file: ck.path, sha256: ck.sha256, layers: plan.layers };
}
