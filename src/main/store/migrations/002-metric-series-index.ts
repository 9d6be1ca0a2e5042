// Reading one metric of a run (a chart series) must not scan the run's other metrics.
import type { Migration } from './types';

export const migration: Migration = {
  version: 2,
  name: 'metric-series-index',
  up: `CREATE INDEX metrics_series ON metrics(run_id, split, name, step);`,
};
