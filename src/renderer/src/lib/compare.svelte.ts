// State of the Compare page: the selected runs, their per-epoch curves, LR drops and table rows.
import type { CompareRowInfo, MetricPoint, RunDetail, RunEvent, TrainParams } from '../../../shared/domain';
import { metricKey, type MetricKey } from '../../../shared/metrics';
import { api } from './api';

export interface RunCurves {
  run: RunDetail;
  points: MetricPoint[];
  drops: RunEvent[];
}

export class CompareView {
  runs = $state.raw<RunCurves[]>([]);
  rows = $state.raw<CompareRowInfo[]>([]);
  error = $state('');
  constructor(readonly ids: number[]) {}

  async load(): Promise<void> {
    try {
      this.runs = await Promise.all(
        this.ids.map(async (id) => {
          const [run, points, events] = await Promise.all([api.call('runs.get', { id }), api.call('runs.metrics', { id }), api.call('runs.events', { id })]);
          return { run, points, drops: events.filter((e) => e.kind === 'lr_drop') };
        }),
      );
      this.rows = await api.call('compare.rows', { ids: this.ids, paper: true });
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  /** A run's per-epoch series of one metric, every point kept. */
  curve(r: RunCurves, key: MetricKey): { x: number; y: number }[] {
    return r.points.filter((p) => metricKey(p) === key && p.value !== null).map((p) => ({ x: p.epoch, y: p.value }));
  }

  /** Only the parameters that differ between the selected runs. */
  get diff(): { key: string; values: string[] }[] {
    if (this.runs.length < 2) return [];
    const keys = [...new Set(this.runs.flatMap((r) => Object.keys(r.run.params)))].sort() as (keyof TrainParams)[];
    return keys
      .map((key) => ({ key, values: this.runs.map((r) => (r.run.params[key] === undefined ? '–' : String(r.run.params[key]))) }))
      .filter((d) => new Set(d.values).size > 1);
  }
}
