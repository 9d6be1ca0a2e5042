// One data folder, many processes. A running run records its owner (process, host, start identity)
// and a heartbeat; another process may ask it to stop or pause through `requested`. And the schema
// itself refuses a second copy of a fact: one metric point per (run, split, name, step), one
// checkpoint row per file, one checkpoint event per file, one LR drop per step. Duplicates written
// before (two trainers on one run) are removed first, keeping the first write, and counted.
import type { Migration, Step } from './types';

/** Deletes every row of `table` that repeats the fact of an earlier one (same `sameFact`), counted as `counts`. */
const removeLaterCopies = (table: string, rowid: string, sameFact: string, counts: string): Step => ({
  sql: `DELETE FROM ${table} AS t WHERE EXISTS (SELECT 1 FROM ${table} AS f WHERE ${sameFact} AND f.${rowid} < t.${rowid})`,
  counts,
});

export const migration: Migration = {
  version: 5,
  name: 'run-owners',
  up: [
    `ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
      ALTER TABLE runs ADD COLUMN owner_host TEXT;
      ALTER TABLE runs ADD COLUMN owner_since TEXT;
      ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
      ALTER TABLE runs ADD COLUMN requested TEXT CHECK (requested IN ('stop', 'pause', 'continue'));`,
    removeLaterCopies('metrics', 'rowid', 'f.run_id = t.run_id AND f.split = t.split AND f.name = t.name AND f.step = t.step', 'points'),
    removeLaterCopies('checkpoints', 'id', 'f.run_id = t.run_id AND f.path = t.path', 'checkpoints'),
    removeLaterCopies('events', 'id', "t.kind = 'checkpoint' AND f.kind = 'checkpoint' AND f.run_id = t.run_id AND json_extract(f.payload_json, '$.file') = json_extract(t.payload_json, '$.file')", 'events'),
    removeLaterCopies('events', 'id', "t.kind = 'lr_drop' AND f.kind = 'lr_drop' AND f.run_id = t.run_id AND f.step = t.step", 'events'),
    `CREATE UNIQUE INDEX metrics_point ON metrics(run_id, split, name, step);
      CREATE UNIQUE INDEX checkpoints_file ON checkpoints(run_id, path);
      CREATE UNIQUE INDEX events_checkpoint_file ON events(run_id, json_extract(payload_json, '$.file')) WHERE kind = 'checkpoint';
      CREATE UNIQUE INDEX events_lr_drop_step ON events(run_id, step) WHERE kind = 'lr_drop';`,
  ],
  report: ({ points = 0, checkpoints = 0, events = 0 }) =>
    points + checkpoints + events ? `removed duplicates written by two processes on one run, keeping the first of each: ${points} metric point(s), ${events} event(s), ${checkpoints} checkpoint row(s)` : undefined,
};
