// The paper study as one thing a user starts, follows, cancels and resumes: Table 3's runs over N
// seeds (shared/study.ts plans them), recorded as a study so that its progress, its ETA and its
// resume after a crash or a quit are about the whole, not twelve separate runs.
import { ContractError } from '../../shared/contract';
import { ACTIVE_STATUSES, RESUMABLE_STATUSES, type TrainParams } from '../../shared/domain';
import { rowKey, studyPlan, studyTable, type StudyFigure, type StudyInfo, type StudyRunInfo, type StudyScale } from '../../shared/study';
import { listEvaluations } from '../store/evaluations';
import type { Db } from '../store/db';
import { addStudyRun, getStudy, insertStudy, listStudies, setStudyCancelled, studyRuns, type StudyRunRow, type StudySpec } from '../store/studies';
import { modelStats } from '../vgg/configs';
import type { EvaluationService } from './evaluations';
import type { RunService } from './runs';

/** The scale of each of the paper's rows at this input size (every scale in proportion to the crop). */
export function studyScale(scale: StudyScale, input: number): string {
  const px = (s: number) => Math.round((s * input) / 224);
  return scale === '256' ? String(px(256)) : scale === '384' ? String(px(384)) : `${px(256)}:${px(512)}`;
}

/** Validation top-1 no better than guessing (with a tenth of the guess as margin) once three epochs are done. */
const atChance = (r: StudyRunRow) => r.epoch >= 3 && r.valTop1 !== null && r.valTop1 <= (1 / (r.params.classes ?? 10)) * 1.1;

export class StudyService {
  constructor(
    private readonly db: Db,
    private readonly runs: RunService,
  ) {}

  /** Records the study and queues its runs in plan order, each after the run its weights start from. */
  async start(spec: StudySpec): Promise<{ id: number; experiment: string; ids: number[] }> {
    if (spec.base.on === 'cluster')
      throw new ContractError('the paper study cannot run on the cluster yet (each net waits for the weights of one still training); run it on this machine', 'bad_request', [
        { field: 'on', message: 'the study runs on this machine only' },
      ]);
    const taken = new Set(listStudies(this.db).map((s) => s.experiment));
    if (spec.base.experiment && taken.has(spec.base.experiment)) throw ContractError.field('experiment', `a study named "${spec.base.experiment}" exists already; pick another name`);
    const stamp = `paper study ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    let experiment = spec.base.experiment ?? stamp;
    for (let n = 2; taken.has(experiment); n++) experiment = `${stamp} (${n})`;
    const plan = studyPlan(spec.configs, spec.seeds, spec.base.seed);
    const id = insertStudy(this.db, experiment, spec);
    const input = spec.base.inputSize;
    const ids: number[] = [];
    for (const [i, p] of plan.entries()) {
      const params: TrainParams = {
        ...spec.base,
        experiment,
        config: p.config,
        seed: p.seed,
        scale: studyScale(p.scale, input),
        lr: spec.base.lr * p.lrFactor,
        init: p.from === undefined ? 'glorot' : `from:${ids[p.from]}`,
      };
      const { id: runId } = await this.runs.start(params);
      addStudyRun(this.db, id, i, runId, rowKey(p.config, p.scale), p.seed);
      ids.push(runId);
    }
    return { id, experiment, ids };
  }

  list(): StudyInfo[] {
    return listStudies(this.db).map((s) => this.get(s.id));
  }

  get(id: number): StudyInfo {
    const s = getStudy(this.db, id);
    if (!s) throw new ContractError(`study ${id} does not exist`, 'not_found');
    const rows = studyRuns(this.db, id);
    const runs: StudyRunInfo[] = rows.map((r) => ({
      runId: r.runId,
      row: r.row,
      config: r.config,
      scale: r.row.split('@')[1] as StudyScale,
      seed: r.seed,
      status: r.status,
      epoch: r.epoch,
      epochs: r.epochs,
      valTop1: r.valTop1,
      atChance: atChance(r),
    }));
    const count = (...st: string[]) => runs.filter((r) => st.includes(r.status)).length;
    return {
      id,
      experiment: s.experiment,
      seeds: s.spec.seeds,
      configs: s.spec.configs,
      createdAt: s.createdAt,
      cancelledAt: s.cancelledAt,
      runs,
      counts: { done: count('completed'), running: count('running'), queued: count('queued'), failed: count('failed', 'diverged'), stopped: count('stopped', 'interrupted'), total: runs.length },
      etaSeconds: eta(rows),
    };
  }

  /** Stops every run of the study this process or another holds: queued ones at once (last first, so none starts meanwhile), the training one after a checkpoint. */
  async cancel(id: number): Promise<StudyInfo> {
    this.get(id);
    setStudyCancelled(this.db, id, true);
    for (const r of studyRuns(this.db, id).reverse()) {
      if (!ACTIVE_STATUSES.includes(r.status)) continue;
      try {
        await this.runs.stop(r.runId);
      } catch (err) {
        // Ended between the read and the stop: nothing left to cancel for this run.
        if (!(err instanceof ContractError && err.code === 'conflict')) throw err;
      }
    }
    return this.get(id);
  }

  /**
   * Goes on with every run that has not completed, in plan order: from its newest checkpoint, or
   * from its first step where it never wrote one (queued when the process ended, or failed because
   * the run it starts from had not finished). Runs another live process holds are left to it.
   */
  async resume(id: number): Promise<{ id: number; resumed: number[] }> {
    this.get(id);
    this.runs.sweep();
    setStudyCancelled(this.db, id, false);
    const resumed: number[] = [];
    for (const r of studyRuns(this.db, id)) {
      if (!RESUMABLE_STATUSES.includes(r.status)) continue;
      await this.runs.resume(r.runId, undefined, { orRestart: true });
      resumed.push(r.runId);
    }
    if (!resumed.length && !studyRuns(this.db, id).some((r) => ACTIVE_STATUSES.includes(r.status)))
      throw new ContractError(`study ${id} has nothing to resume: every run completed or diverged`, 'conflict');
    return { id, resumed };
  }

  /** Table 3 over the study's seeds: each run's latest dense evaluation at one test scale (in percent), else its training validation. */
  table(id: number) {
    this.get(id);
    const figures = studyRuns(this.db, id).map((r): StudyFigure & { row: string } => {
      const e = listEvaluations(this.db, r.runId).filter((x) => x.runId === r.runId && x.protocol === 'dense' && x.scales.length === 1).at(-1);
      const pc = (x: number | null | undefined) => (x === null || x === undefined ? null : 100 * x);
      if (e) return { row: r.row, runId: r.runId, seed: r.seed, top1Error: pc(e.top1Error), top5Error: pc(e.top5Error), q: e.scales[0]!, split: e.details.split ?? 'val' };
      return { row: r.row, runId: r.runId, seed: r.seed, top1Error: r.valTop1 === null ? null : 100 * (1 - r.valTop1), top5Error: null, q: null, split: null };
    });
    return studyTable(figures);
  }

  /** Evaluates each completed run that has no Table 3 figure yet as Table 3 did: dense, Q = S (the middle of a jittered S), final weights. */
  async evaluate(id: number, evaluations: EvaluationService, progress?: (runId: number, i: number, n: number) => void): Promise<number[]> {
    const todo = studyRuns(this.db, id).filter((r) => r.status === 'completed' && !listEvaluations(this.db, r.runId).some((x) => x.runId === r.runId && x.protocol === 'dense' && x.scales.length === 1));
    for (const [i, r] of todo.entries()) {
      progress?.(r.runId, i, todo.length);
      const [lo, hi = lo] = r.params.scale!.split(':').map(Number) as [number, number?];
      await evaluations.evaluate([r.runId], 'dense', [Math.round((lo + hi!) / 2)], 'last');
    }
    return todo.map((r) => r.runId);
  }

  /** Resolves when none of the study's runs is queued or training in this process. */
  async waitFor(id: number): Promise<StudyInfo> {
    for (const r of studyRuns(this.db, id)) await this.runs.waitFor(r.runId);
    return this.get(id);
  }
}

/**
 * Seconds left, from this study's measured speed: each run costs its forward FLOPs per image times
 * its epochs (images per epoch are the same for every run of a study); the seconds per unit of cost
 * come from the runs that finished or are training (their wall time and share of epochs done).
 */
function eta(rows: StudyRunRow[]): number | null {
  const cost = (r: StudyRunRow) => modelStats({ config: r.config, inputSize: r.params.inputSize, width: r.params.width, classes: r.params.classes ?? 10, fcWidth: r.params.fcWidth }).flops * r.epochs;
  let spent = 0;
  let measured = 0;
  let left = 0;
  const now = Date.now();
  for (const r of rows) {
    const c = cost(r);
    const done = r.status === 'completed' ? 1 : Math.min(1, r.epoch / Math.max(1, r.epochs));
    if (r.startedAt && done > 0) {
      spent += ((r.endedAt ? Date.parse(r.endedAt) : now) - Date.parse(r.startedAt)) / 1000;
      measured += c * done;
    }
    if (ACTIVE_STATUSES.includes(r.status)) left += c * (1 - done);
  }
  if (!left || !measured) return null;
  return (spent / measured) * left;
}
