// Studies: the paper's Table 3 as one experiment of many runs over several seeds. The study keeps
// what it was asked (configurations, seeds, the shared parameters) so it can be followed, cancelled
// and resumed as a whole; each of its runs keeps its row and seed. A deleted run leaves its study.
import type { Migration } from './types';

export const migration: Migration = {
  version: 7,
  name: 'studies',
  up: `CREATE TABLE studies (
      id INTEGER PRIMARY KEY,
      experiment_id INTEGER NOT NULL UNIQUE REFERENCES experiments(id),
      spec_json TEXT NOT NULL,
      created_at TEXT NOT NULL,
      cancelled_at TEXT
    ) STRICT;
    CREATE TABLE study_runs (
      study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      run_id INTEGER NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE,
      row TEXT NOT NULL,
      seed INTEGER NOT NULL,
      PRIMARY KEY (study_id, position)
    ) STRICT;`,
};
