// The schema the whole product grows in: experiments, runs, metrics, events,
// evaluations, checkpoints and datasets.
import type { Migration } from './types';

export const migration: Migration = {
  version: 1,
  name: 'initial',
  up: `
    CREATE TABLE experiments (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      notes TEXT NOT NULL DEFAULT '',
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE runs (
      id INTEGER PRIMARY KEY,
      experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
      config TEXT NOT NULL,
      dataset TEXT NOT NULL,
      params_json TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('queued','running','completed','diverged','failed','stopped','interrupted')),
      backend TEXT,
      device TEXT,
      seed INTEGER NOT NULL,
      epoch INTEGER NOT NULL DEFAULT 0,
      epochs INTEGER NOT NULL,
      step INTEGER NOT NULL DEFAULT 0,
      summary_json TEXT,
      error TEXT,
      tags TEXT NOT NULL DEFAULT '',
      notes TEXT NOT NULL DEFAULT '',
      app_version TEXT NOT NULL,
      created_at TEXT NOT NULL,
      started_at TEXT,
      ended_at TEXT
    ) STRICT;
    CREATE INDEX runs_status ON runs(status);

    CREATE TABLE metrics (
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      step INTEGER NOT NULL,
      epoch INTEGER NOT NULL,
      split TEXT NOT NULL CHECK (split IN ('train','val','test')),
      name TEXT NOT NULL,
      value REAL
    ) STRICT;
    CREATE INDEX metrics_run_step ON metrics(run_id, step);

    CREATE TABLE events (
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      step INTEGER NOT NULL,
      epoch INTEGER NOT NULL,
      kind TEXT NOT NULL,
      payload_json TEXT NOT NULL DEFAULT '{}',
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_run ON events(run_id, step);

    CREATE TABLE checkpoints (
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      step INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('last','best','stop')),
      path TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      val_top1 REAL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX checkpoints_run ON checkpoints(run_id, epoch);

    CREATE TABLE datasets (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL,
      path TEXT NOT NULL,
      classes_json TEXT NOT NULL,
      counts_json TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      mean_rgb_json TEXT,
      eigen_json TEXT,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE evaluations (
      id INTEGER PRIMARY KEY,
      run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
      members_json TEXT NOT NULL DEFAULT '[]',
      protocol TEXT NOT NULL,
      scales_json TEXT NOT NULL DEFAULT '[]',
      top1_error REAL,
      top5_error REAL,
      details_json TEXT NOT NULL DEFAULT '{}',
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX evaluations_run ON evaluations(run_id);
  `,
};
