// The paper study (Table 3) as data: its rows, the plan of runs for N seeds, and the statistics that
// say whether a difference between two rows is resolved at that many seeds. Pure, and shared: the
// study service plans and records with it, the CLI and the Compare page summarise with it.
import type { ConfigName, RunStatus } from './names';

/** Table 3's training scales, named as the paper's (each in proportion to the crop). */
export const STUDY_SCALES = ['256', '384', '256-512'] as const;
export type StudyScale = (typeof STUDY_SCALES)[number];

/** The configurations a study may train; B–E need A (their warm start), 384 and jittered rows exist for C, D, E. */
export const STUDY_CONFIGS: readonly ConfigName[] = ['A', 'A-LRN', 'B', 'C', 'D', 'E'];
const MULTI_SCALE: readonly ConfigName[] = ['C', 'D', 'E'];

/** One planned run: its Table 3 row, seed, and where its weights start (an earlier entry of the plan, by index). */
export interface PlannedRun {
  config: ConfigName;
  scale: StudyScale;
  seed: number;
  /** Index of the run in the plan whose weights start this one; none: Glorot from scratch. */
  from?: number;
  /** Fine-tuned rows train at a tenth of the rate (the paper's 10⁻³ against 10⁻²). */
  lrFactor: number;
}

/** A row's key, as stored with each of the study's runs: `D@384`. */
export const rowKey = (config: string, scale: string): string => `${config}@${scale}`;

/**
 * The runs of the study, seed after seed (a finished seed is a whole table): for each seed A and
 * A-LRN from scratch, B–E from that seed's A, C/D/E at 384 from their 256 nets, jittered from 384.
 * `configs` narrows it (B–E bring A, since they start from it).
 */
export function studyPlan(configs: readonly ConfigName[], seeds: number, firstSeed: number): PlannedRun[] {
  const want = new Set(configs);
  if ([...want].some((c) => c !== 'A' && c !== 'A-LRN')) want.add('A');
  const plan: PlannedRun[] = [];
  for (let k = 0; k < seeds; k++) {
    const seed = firstSeed + k;
    const at = new Map<string, number>();
    const add = (r: PlannedRun) => {
      at.set(rowKey(r.config, r.scale), plan.length);
      plan.push(r);
    };
    for (const config of STUDY_CONFIGS.filter((c) => want.has(c))) {
      const fromA = config !== 'A' && config !== 'A-LRN';
      add({ config, scale: '256', seed, lrFactor: 1, ...(fromA ? { from: at.get(rowKey('A', '256'))! } : {}) });
    }
    const multi = MULTI_SCALE.filter((c) => want.has(c));
    for (const config of multi) add({ config, scale: '384', seed, lrFactor: 0.1, from: at.get(rowKey(config, '256'))! });
    for (const config of multi) add({ config, scale: '256-512', seed, lrFactor: 0.1, from: at.get(rowKey(config, '384'))! });
  }
  return plan;
}

/** A study's run as its progress view shows it. */
export interface StudyRunInfo {
  runId: number;
  row: string;
  config: ConfigName;
  scale: StudyScale;
  seed: number;
  status: RunStatus;
  epoch: number;
  epochs: number;
  valTop1: number | null;
  /** Validation top-1 no better than guessing after the third epoch. */
  atChance: boolean;
}

export interface StudyInfo {
  id: number;
  experiment: string;
  seeds: number;
  configs: ConfigName[];
  createdAt: string;
  cancelledAt: string | null;
  runs: StudyRunInfo[];
  counts: { done: number; running: number; queued: number; failed: number; stopped: number; total: number };
  /** Seconds left at the speed measured so far in this study; null before anything was measured or when nothing is left. */
  etaSeconds: number | null;
}

/** Mean and sample standard deviation of one row over its seeds. */
export interface RowStats {
  n: number;
  mean: number;
  sd: number | null;
}

export function rowStats(values: readonly number[]): RowStats | null {
  if (!values.length) return null;
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : null;
  return { n, mean, sd };
}

/**
 * One of the paper's findings, as a comparison of two rows of Table 3: `better` is the row the paper
 * found to have the lower error.
 */
export interface Finding {
  name: string;
  better: string;
  worse: string;
  paper: string;
}

export const FINDINGS: readonly Finding[] = [
  { name: 'LRN (A vs A-LRN)', better: rowKey('A', '256'), worse: rowKey('A-LRN', '256'), paper: 'LRN does not help (A 29.6 vs A-LRN 29.7)' },
  { name: 'depth (A vs D)', better: rowKey('D', '256'), worse: rowKey('A', '256'), paper: 'error falls with depth (D 27.0 vs A 29.6)' },
  { name: 'depth (D vs E)', better: rowKey('D', '256'), worse: rowKey('E', '256'), paper: 'saturates at 19 layers (D 27.0 vs E 27.3 at S 256)' },
  { name: '1×1 vs 3×3 (C vs D)', better: rowKey('D', '256'), worse: rowKey('C', '256'), paper: '3×3 context beats 1×1 (D 27.0 vs C 28.1)' },
  { name: 'non-linearity (B vs C)', better: rowKey('C', '256'), worse: rowKey('B', '256'), paper: 'added 1×1 non-linearity helps (C 28.1 vs B 28.7)' },
  ...MULTI_SCALE.map((c) => ({ name: `scale jitter (${c})`, better: rowKey(c, '256-512'), worse: rowKey(c, '256'), paper: `jittered S beats fixed S (${c})` })),
];

export interface FindingResult extends Finding {
  /** worse − better, in the error's units: positive where the data agree with the paper. */
  diff: number;
  /** √(sd₁²/n₁ + sd₂²/n₂); null with a single seed on either side. */
  se: number | null;
  n: number;
  /** Resolved: the difference is at least twice its standard error (a sign either way). */
  verdict: 'agrees' | 'disagrees' | 'not resolved';
}

/** Each finding whose two rows both have numbers, judged at the seeds there are. */
export function judgeFindings(stats: ReadonlyMap<string, RowStats>): FindingResult[] {
  const out: FindingResult[] = [];
  for (const f of FINDINGS) {
    const b = stats.get(f.better);
    const w = stats.get(f.worse);
    if (!b || !w) continue;
    const diff = w.mean - b.mean;
    const se = b.sd === null || w.sd === null ? null : Math.sqrt(b.sd ** 2 / b.n + w.sd ** 2 / w.n);
    const resolved = se !== null && Math.abs(diff) >= 2 * se && diff !== 0;
    out.push({ ...f, diff, se, n: Math.min(b.n, w.n), verdict: !resolved ? 'not resolved' : diff > 0 ? 'agrees' : 'disagrees' });
  }
  return out;
}

/** One run's figure in the study table: its Table 3 evaluation (dense, one test scale), else its training validation. */
export interface StudyFigure {
  runId: number;
  seed: number;
  top1Error: number | null;
  top5Error: number | null;
  /** The test scale and split of the evaluation; null where the figure is the training validation. */
  q: number | null;
  split: 'val' | 'test' | null;
}

export interface StudyTableRow {
  row: string;
  config: ConfigName;
  scale: StudyScale;
  figures: StudyFigure[];
  top1: RowStats | null;
  top5: RowStats | null;
  /** Every figure of the row comes from a Table 3 evaluation. */
  evaluated: boolean;
}

/** Table 3's rows in the paper's order, each over its seeds; findings judged on evaluated rows only. */
export function studyTable(figures: ReadonlyArray<StudyFigure & { row: string }>): { rows: StudyTableRow[]; findings: FindingResult[] } {
  const rows: StudyTableRow[] = [];
  for (const config of STUDY_CONFIGS)
    for (const scale of STUDY_SCALES) {
      const row = rowKey(config, scale);
      // Runs with no figure yet (queued, or stopped before their first epoch) are not in the row.
      const mine = figures.filter((f) => f.row === row && f.top1Error !== null).map(({ row: _r, ...f }) => f);
      if (!mine.length) continue;
      const stats = (k: 'top1Error' | 'top5Error') => rowStats(mine.map((f) => f[k]).filter((v): v is number => v !== null));
      rows.push({ row, config, scale, figures: mine, top1: stats('top1Error'), top5: stats('top5Error'), evaluated: mine.every((f) => f.q !== null) });
    }
  const findings = judgeFindings(new Map(rows.filter((r) => r.evaluated && r.top1).map((r) => [r.row, r.top1!])));
  return { rows, findings };
}
