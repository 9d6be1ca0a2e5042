// How parameters drive a metric across runs: the dimensions a run is seen along (its parameters and
// its results), where a run sits on each (0 to 1, for the parallel coordinates and the scatter),
// brushes that keep the runs inside a range on an axis, and a ranking of the parameters by how far
// the metric moves between their values. Pure: the pages draw what this computes.
import { CONFIG_NAMES, type RunSummary } from '../../../shared/domain';

export interface Dimension {
  key: string;
  label: string;
  value: (r: RunSummary) => number | string | null;
  /** How values are laid out on an axis: linear, logarithmic, or evenly spaced categories. */
  kind: 'linear' | 'log' | 'category';
  /** A metric (results) rather than a parameter. */
  metric?: boolean;
  /** Lower is better (errors, loss, time). */
  lowerBetter?: boolean;
  format?: (v: number) => string;
}

const seconds = (r: RunSummary) => (r.startedAt && r.endedAt ? (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000 : null);
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

export const PARAMETERS: readonly Dimension[] = [
  { key: 'config', label: 'Config', value: (r) => r.config, kind: 'category' },
  { key: 'lr', label: 'LR', value: (r) => r.lr, kind: 'log', format: (v) => v.toExponential(0) },
  { key: 'batch', label: 'Batch', value: (r) => r.batch, kind: 'linear' },
  { key: 'width', label: 'Width', value: (r) => r.width, kind: 'linear' },
  { key: 'input', label: 'Input', value: (r) => r.inputSize, kind: 'linear' },
  { key: 'scale', label: 'S', value: (r) => r.scale ?? 'default', kind: 'category' },
  { key: 'epochs', label: 'Epochs', value: (r) => r.epochs, kind: 'linear' },
  { key: 'seed', label: 'Seed', value: (r) => r.seed, kind: 'linear' },
  { key: 'dataset', label: 'Dataset', value: (r) => r.dataset, kind: 'category' },
  { key: 'backend', label: 'Backend', value: (r) => r.backend ?? '(not run)', kind: 'category' },
  { key: 'experiment', label: 'Experiment', value: (r) => r.experiment ?? '(none)', kind: 'category' },
];

export const METRICS: readonly Dimension[] = [
  { key: 'evalTop1', label: 'Test top-1 error', value: (r) => r.evaluation?.top1Error ?? null, kind: 'linear', metric: true, lowerBetter: true, format: pct },
  { key: 'evalTop5', label: 'Test top-5 error', value: (r) => r.evaluation?.top5Error ?? null, kind: 'linear', metric: true, lowerBetter: true, format: pct },
  { key: 'best', label: 'Best val top-1', value: (r) => r.bestValTop1, kind: 'linear', metric: true, format: pct },
  { key: 'val', label: 'Val top-1', value: (r) => r.valTop1, kind: 'linear', metric: true, format: pct },
  { key: 'duration', label: 'Duration (s)', value: seconds, kind: 'log', metric: true, lowerBetter: true, format: (v) => v.toFixed(0) },
];

export const DIMENSIONS: readonly Dimension[] = [...PARAMETERS, ...METRICS];
export const dimension = (key: string): Dimension => DIMENSIONS.find((d) => d.key === key) ?? METRICS[0]!;

const CONFIG_ORDER = new Map<string, number>(CONFIG_NAMES.map((c, i) => [c, i]));

/** An axis: where each value of a dimension sits between 0 (bottom) and 1 (top), over the given runs. */
export interface Axis {
  dim: Dimension;
  /** The position of a run, or null where it has no value. */
  at: (r: RunSummary) => number | null;
  /** Tick labels with their positions. */
  ticks: { at: number; label: string }[];
}

export function axisOf(dim: Dimension, runs: readonly RunSummary[]): Axis {
  const values = runs.map(dim.value).filter((v): v is number | string => v !== null);
  if (dim.kind === 'category' || values.some((v) => typeof v === 'string')) {
    const cats = [...new Set(values.map(String))].sort((a, b) => (CONFIG_ORDER.get(a) ?? 99) - (CONFIG_ORDER.get(b) ?? 99) || a.localeCompare(b, undefined, { numeric: true }));
    const pos = (i: number) => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
    const index = new Map(cats.map((c, i) => [c, pos(i)]));
    return { dim, at: (r) => index.get(String(dim.value(r))) ?? null, ticks: cats.map((c, i) => ({ at: pos(i), label: c.length > 14 ? `${c.slice(0, 13)}…` : c })) };
  }
  const log = dim.kind === 'log';
  const t = (v: number) => (log ? Math.log10(Math.max(v, 1e-12)) : v);
  const nums = (values as number[]).map(t);
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  const span = hi - lo;
  const place = (v: number) => (span === 0 ? 0.5 : (t(v) - lo) / span);
  const fmt = dim.format ?? ((v: number) => String(+v.toPrecision(4)));
  const ticks = !nums.length ? [] : span === 0 ? [{ at: 0.5, label: fmt(values[0] as number) }] : [0, 0.5, 1].map((f) => ({ at: f, label: fmt(log ? 10 ** (lo + f * span) : lo + f * span) }));
  return {
    dim,
    at: (r) => {
      const v = dim.value(r);
      return typeof v === 'number' && Number.isFinite(v) ? place(v) : null;
    },
    ticks,
  };
}

/** Keeps the runs whose position on an axis lies within [lo, hi] (0 to 1). */
export interface Brush {
  key: string;
  lo: number;
  hi: number;
}

export function passes(r: RunSummary, brushes: readonly Brush[], axes: readonly Axis[]): boolean {
  return brushes.every((b) => {
    const axis = axes.find((a) => a.dim.key === b.key);
    if (!axis) return true;
    const p = axis.at(r);
    return p !== null && p >= b.lo - 1e-9 && p <= b.hi + 1e-9;
  });
}

/** The parameters that take more than one value among these runs (the ones worth an axis). */
export function varying(runs: readonly RunSummary[]): Dimension[] {
  return PARAMETERS.filter((d) => new Set(runs.map((r) => String(d.value(r)))).size > 1);
}

export interface Influence {
  dim: Dimension;
  /** The metric's mean at each value of the parameter (runs with a metric only), best first. */
  levels: { value: string; mean: number; n: number }[];
  /** Best level's mean minus worst's, in the metric's units: how far this parameter moved it. */
  spread: number;
}

/**
 * For each parameter that varies, the metric's mean at each of its values, and the spread between the
 * best and worst of those means; sorted by spread, largest first. A spread says how far the metric
 * moved between the parameter's values in these runs, not why: parameters changed together share it.
 */
export function influence(runs: readonly RunSummary[], metric: Dimension): Influence[] {
  const scored = runs.filter((r) => typeof metric.value(r) === 'number');
  const out: Influence[] = [];
  for (const dim of varying(scored)) {
    const groups = new Map<string, number[]>();
    for (const r of scored) {
      const k = String(dim.value(r));
      const g = groups.get(k);
      if (g) g.push(metric.value(r) as number);
      else groups.set(k, [metric.value(r) as number]);
    }
    if (groups.size < 2) continue;
    const levels = [...groups].map(([value, xs]) => ({ value, mean: xs.reduce((a, b) => a + b, 0) / xs.length, n: xs.length }));
    levels.sort((a, b) => (metric.lowerBetter ? a.mean - b.mean : b.mean - a.mean));
    out.push({ dim, levels, spread: Math.abs(levels[0]!.mean - levels.at(-1)!.mean) });
  }
  return out.sort((a, b) => b.spread - a.spread);
}
