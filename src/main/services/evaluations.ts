// Evaluating runs with the paper's test protocols, and fusing several runs; results are stored.
import { Worker } from 'node:worker_threads';
import { ContractError } from '../../shared/contract';
import type { BackendChoice, BackendInfo, CheckpointChoice, EvaluatedCheckpoint, EvaluationInfo, PredictionInfo, ProtocolName, RunDetail } from '../../shared/domain';
import { classNamesOf } from '../data/class-names';
import type { Db } from '../store/db';
import { bestCheckpoint, checkpointAtEpoch, latestCheckpoint, listCheckpoints, type CheckpointRow } from '../store/checkpoints';
import { insertEvaluation, listEvaluations } from '../store/evaluations';
import { getRun } from '../store/runs';
import { chooseBackend } from '../training/backends';
import { scaleRange, testScaleStep } from '../training/scale';
import type { EvalMember, FromEvalWorker, ToEvalWorker } from '../evaluation/messages';
import type { EventBus } from './bus';
import { projectFile } from '../root';

export type EvalWorkerFactory = () => Worker;
export const tsxEvalWorkerFactory: EvalWorkerFactory = () => new Worker(projectFile('src/main/evaluation/eval-thread.boot.mjs'));

/**
 * The paper's test scales (section 4.2) in proportion to the crop: {S−d, S, S+d} for a fixed training
 * scale S, d = 32·input/224 (32 px at 224 px input), dropping any below the crop size; for jittered
 * S ∈ [SMIN, SMAX], {SMIN, (SMIN+SMAX)/2, SMAX}.
 */
export function defaultScales(run: RunDetail): number[] {
  const { min, max } = scaleRange(run.params);
  if (min < max) return [min, Math.round((min + max) / 2), max];
  const d = testScaleStep(run.params.inputSize);
  return [min - d, min, min + d].filter((q) => q >= run.params.inputSize);
}

/** Each test scale Q an integer no smaller than the crop, or the call is refused naming the first that is not. */
function checkScales(qs: number[], minInput: number): void {
  const bad = qs.find((q) => q < minInput || q % 1 !== 0);
  if (bad !== undefined) throw ContractError.field('scales', `${bad} is below the input size ${minInput}; each test scale Q must be an integer ≥ the crop size`);
}

/** The checkpoint an evaluation scores: the final weights by default. */
function chooseCheckpoint(db: Db, run: RunDetail, choice: CheckpointChoice): { row: CheckpointRow; which: EvaluatedCheckpoint } {
  const none = () => new ContractError(`run ${run.id} has no checkpoint to evaluate (it has not finished an epoch)`, 'conflict');
  if (choice === 'last') {
    const row = latestCheckpoint(db, run.id);
    if (!row) throw none();
    return { row, which: { kind: 'last', epoch: row.epoch } };
  }
  if (choice === 'best') {
    const row = bestCheckpoint(db, run.id);
    if (!row) throw none();
    return { row, which: { kind: 'best', epoch: row.epoch } };
  }
  const row = checkpointAtEpoch(db, run.id, choice);
  if (!row) {
    const kept = [...new Set(listCheckpoints(db, run.id).map((c) => c.epoch))].sort((a, b) => a - b);
    throw ContractError.field(
      'checkpoint',
      `run ${run.id} keeps checkpoints of epoch${kept.length === 1 ? '' : 's'} ${kept.join(', ') || 'none'} (the newest three and the best), not ${choice}; accepted: last, best, or one of those epochs`,
    );
  }
  return { row, which: { kind: 'epoch', epoch: row.epoch } };
}

/** Whether evaluation averages over horizontal flips: where the run trained with them (the dataset's default, else on). */
export function testFlips(run: RunDetail): boolean {
  return run.summary?.data.flip ?? run.params.flip ?? true;
}

export class EvaluationService {
  constructor(
    private readonly deps: { db: Db; bus: EventBus; factory: EvalWorkerFactory; backends: (choice?: BackendChoice) => Promise<BackendInfo[]> },
  ) {}

  list(runId?: number): EvaluationInfo[] {
    return listEvaluations(this.deps.db, runId);
  }

  private member(id: number, choice: CheckpointChoice): { run: RunDetail; member: EvalMember; which: EvaluatedCheckpoint } {
    const run = getRun(this.deps.db, id);
    if (!run) throw new ContractError(`run ${id} does not exist`, 'not_found');
    const { row: ck, which } = chooseCheckpoint(this.deps.db, run, choice);
    const data = run.summary?.data;
    if (!data?.meanRgb) throw new ContractError(`run ${id} did not record its training mean RGB; train it again with this version`, 'conflict');
    return { run, which, member: { runId: id, params: run.params, classes: data.classes, meanRgb: data.meanRgb, checkpoint: { file: ck.path, sha256: ck.sha256 }, flip: testFlips(run) } };
  }

  /**
   * Scores the runs' chosen checkpoints (default: their final weights) with a test protocol and
   * records the result with which checkpoint and which split it used: the data's own test split
   * where it has one (then validation, which chose the schedule, was carved from train), else validation.
   */
  async evaluate(runIds: number[], protocol: ProtocolName, scales?: number[], checkpoint: CheckpointChoice = 'last'): Promise<EvaluationInfo> {
    const members = runIds.map((id) => this.member(id, checkpoint));
    const first = members[0]!.run;
    for (const { run, member } of members.slice(1)) {
      if (member.classes !== members[0]!.member.classes || run.dataset !== first.dataset)
        throw new ContractError(`fusion needs runs on the same data and classes: run ${run.id} has ${run.dataset} with ${member.classes} classes, run ${first.id} has ${first.dataset} with ${members[0]!.member.classes}`);
    }
    const qs = scales?.length ? scales : defaultScales(first);
    checkScales(qs, Math.max(...members.map((m) => m.run.params.inputSize)));
    const backend = chooseBackend(first.params.backend, await this.deps.backends(first.params.backend));
    const msg: ToEvalWorker = { type: 'evaluate', members: members.map((m) => m.member), protocol, scales: qs, backend };
    const result = (await this.inWorker(msg, (m) => this.deps.bus.emit('eval.progress', { runIds, done: m.done, total: m.total }))) as Extract<FromEvalWorker, { type: 'done' }>;
    const { metrics, backend: b, device, seconds, protocolSeconds, route, split } = result;
    const info = insertEvaluation(this.deps.db, {
      runId: runIds.length === 1 ? runIds[0]! : null,
      members: runIds,
      protocol,
      scales: qs,
      top1Error: metrics.top1Error,
      top5Error: metrics.top5Error,
      details: {
        count: metrics.count, perClassAccuracy: metrics.perClassAccuracy, confusion: metrics.confusion, confidentMistakes: metrics.confidentMistakes,
        backend: b, device, seconds, protocolSeconds, route, checkpoint: members[0]!.which, split,
      },
    });
    this.deps.bus.emit('eval.done', info);
    return info;
  }

  /**
   * Classifies image files with a run's chosen checkpoint (default: its final weights) under a test
   * protocol, each file prepared as evaluation prepares a folder's images; nothing is recorded.
   */
  async predict(runId: number, files: string[], protocol: ProtocolName = 'center', scales?: number[], checkpoint: CheckpointChoice = 'last'): Promise<PredictionInfo> {
    const { run, member, which } = this.member(runId, checkpoint);
    const qs = scales?.length ? scales : defaultScales(run);
    checkScales(qs, run.params.inputSize);
    const backend = chooseBackend(run.params.backend, await this.deps.backends(run.params.backend));
    const result = (await this.inWorker({ type: 'predict', member, files, protocol, scales: qs, backend })) as Extract<FromEvalWorker, { type: 'predicted' }>;
    const names = classNamesOf(run.params.dataset, member.classes)!;
    return {
      runId,
      protocol,
      scales: qs,
      checkpoint: which,
      backend: result.backend,
      seconds: result.seconds,
      protocolSeconds: result.protocolSeconds,
      results: result.results.map((r, i) => ({ file: files[i]!, ...('top' in r ? { top: r.top.map((t) => ({ ...t, name: names[t.label] ?? String(t.label) })) } : { error: r.error }) })),
    };
  }

  /** One job in a fresh evaluation worker: its answer, or its failure as an error. */
  private inWorker(msg: ToEvalWorker, onProgress: (m: { done: number; total: number }) => void = () => {}): Promise<Exclude<FromEvalWorker, { type: 'progress' | 'failed' }>> {
    return new Promise((resolve, reject) => {
      const worker = this.deps.factory();
      worker.on('message', (m: FromEvalWorker) => {
        if (m.type === 'progress') onProgress(m);
        else {
          void worker.terminate();
          if (m.type === 'failed') reject(new Error(`${msg.type === 'predict' ? 'prediction' : 'evaluation'} failed: ${m.error}`));
          else resolve(m);
        }
      });
      worker.on('error', (err) => reject(new Error(`evaluation worker crashed: ${err.message}`)));
      worker.postMessage(msg);
    });
  }
}
