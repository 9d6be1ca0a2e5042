// Chart series of long runs read every point of one metric: an index holding value and epoch too
// answers them from the index alone, without a table lookup per point.
import type { Migration } from './types';

export const migration: Migration = {
  version: 3,
  name: 'covering-series-index',
  up: `DROP INDEX metrics_series;
CREATE INDEX metrics_series_covering ON metrics(run_id, split, name, step, value, epoch);`,
};
