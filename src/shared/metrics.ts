// The metric series a training run records, the one list of them: the trainer emits points by these
// keys (the compiler refuses any other), the run page draws each charted one in its chart, and Compare
// offers every per-epoch one. Adding a metric: one line here, and the trainer line that computes it.
import type { MetricPoint } from './domain';

export interface ChartSpec {
  title: string;
  /** x axis: the step (per-step series; per-epoch points sit at their epoch's last step) or the epoch. */
  x: 'step' | 'epoch';
  /** A fraction: the axis is 0–1 on the run page. */
  unit?: boolean;
  logY?: boolean;
  /** The best epoch (by validation top-1) marked, read as its epoch or its accuracy. */
  best?: 'epoch' | 'value';
}

/** The run page's charts, in page order. */
export const CHARTS = {
  loss: { title: 'Training loss', x: 'step', best: 'epoch' },
  top1: { title: 'Top-1 accuracy', x: 'epoch', unit: true, best: 'value' },
  top5: { title: 'Top-5 accuracy', x: 'epoch', unit: true, best: 'epoch' },
  lr: { title: 'Learning rate', x: 'epoch', logY: true },
} as const satisfies Record<string, ChartSpec>;
export type ChartId = keyof typeof CHARTS;

export interface MetricSpec {
  split: 'train' | 'val';
  name: string;
  /** As a legend, a table header or a picker shows it. */
  label: string;
  /** The run-page chart that draws it; absent: recorded (export, bench, the progress line), not charted. */
  chart?: ChartId;
  color: string;
  /** How a value reads: a fraction as a percentage, a rate in scientific notation, else a plain number. */
  format: 'fraction' | 'exponent' | 'number';
  /** A point every step (the run page fetches it decimated); else one per epoch. */
  perStep?: boolean;
  /** Drawn as steps (a value holds until the next point). */
  stepped?: boolean;
  /** The run page follows it live although it has no chart (the progress line). */
  live?: boolean;
}

export const METRICS = [
  { split: 'train', name: 'loss', label: 'training loss (per step)', chart: 'loss', color: '#2563eb', format: 'number', perStep: true },
  { split: 'train', name: 'epoch_loss', label: 'training loss (epoch mean)', chart: 'loss', color: '#1e3a8a', format: 'number' },
  { split: 'val', name: 'loss', label: 'validation loss', chart: 'loss', color: '#dc2626', format: 'number' },
  { split: 'train', name: 'top1', label: 'train top-1', chart: 'top1', color: '#16a34a', format: 'fraction' },
  { split: 'val', name: 'top1', label: 'validation top-1', chart: 'top1', color: '#dc2626', format: 'fraction' },
  { split: 'val', name: 'top5', label: 'validation top-5', chart: 'top5', color: '#9333ea', format: 'fraction' },
  { split: 'train', name: 'lr', label: 'learning rate', chart: 'lr', color: '#d97706', format: 'exponent', stepped: true },
  { split: 'train', name: 'images_per_sec', label: 'training images/s', color: '#0891b2', format: 'number' },
  { split: 'train', name: 'data_wait', label: 'share of time waiting for data', color: '#64748b', format: 'fraction', live: true },
  { split: 'train', name: 'pipeline_images_per_sec', label: 'input pipeline images/s', color: '#0e7490', format: 'number' },
  { split: 'train', name: 'num_tensors', label: 'live tensors', color: '#94a3b8', format: 'number' },
  { split: 'train', name: 'rss_mb', label: 'trainer memory (MiB)', color: '#475569', format: 'number' },
  // The training clock (seconds, pauses left out): a point a second at most and one at each epoch's
  // end, at a read-back's last step; the run page's "training time" axis places every point by it.
  { split: 'train', name: 'elapsed', label: 'training time (s)', color: '#64748b', format: 'number', live: true },
] as const satisfies readonly MetricSpec[];

type Listed = (typeof METRICS)[number];
/** 'split/name' of a listed metric. */
export type MetricKey = Listed extends infer M ? (M extends { split: infer S extends string; name: infer N extends string } ? `${S}/${N}` : never) : never;

export const metricKey = (m: { split: string; name: string }): string => `${m.split}/${m.name}`;

/** The listed metric a key names, or undefined (a series this build does not know, from an older or newer trainer). */
export function metricSpec(key: string): MetricSpec | undefined {
  return METRICS.find((m) => metricKey(m) === key);
}

/** A point of a listed metric. */
export function metricPoint(key: MetricKey, step: number, epoch: number, value: number): MetricPoint {
  const [split, name] = key.split('/') as ['train' | 'val', string];
  return { step, epoch, split, name, value };
}

/** The series the run page follows: every charted one and those marked live. */
export const RUN_PAGE_KEYS: MetricKey[] = METRICS.filter((m: MetricSpec) => m.chart || m.live).map((m) => metricKey(m) as MetricKey);

/** The series Compare can overlay per epoch: every per-epoch one. */
export const COMPARE_KEYS: MetricKey[] = METRICS.filter((m: MetricSpec) => !m.perStep).map((m) => metricKey(m) as MetricKey);

/** A value as its metric reads. */
export function formatMetric(spec: Pick<MetricSpec, 'format'>, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (spec.format === 'fraction') return `${(100 * value).toFixed(1)}%`;
  if (spec.format === 'exponent') return value.toExponential(1);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(4);
}
