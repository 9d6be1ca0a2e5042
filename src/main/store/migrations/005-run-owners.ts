// One data folder, many processes. A running run records its owner (process, host, start identity)
// and a heartbeat; another process may ask it to stop or pause through `requested`. And the schema
// itself refuses a second copy of a fact: one metric point per (run, split, name, step), one
// checkpoint row per file, one checkpoint event per file, one LR drop per step. Duplicates written
// before (two trainers on one run) are removed first, keeping the first write, and counted.
import type Database from 'better-sqlite3';
import type { Migration } from './types';

function removeLaterCopies(db: Database.Database, table: string, rowid: string, sameFact: string): number {
  return db.prepare(`DELETE FROM ${table} AS t WHERE EXISTS (SELECT 1 FROM ${table} AS f WHERE ${sameFact} AND f.${rowid} < t.${rowid})`).run().changes;
}

export const migration: Migration = {
  version: 5,
  name: 'run-owners',
  up: (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
      ALTER TABLE runs ADD COLUMN owner_host TEXT;
      ALTER TABLE runs ADD COLUMN owner_since TEXT;
      ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
      ALTER TABLE runs ADD COLUMN requested TEXT CHECK (requested IN ('stop', 'pause', 'continue'));
    `);
    const points = removeLaterCopies(db, 'metrics', 'rowid', 'f.run_id = t.run_id AND f.split = t.split AND f.name = t.name AND f.step = t.step');
    const checkpoints = removeLaterCopies(db, 'checkpoints', 'id', 'f.run_id = t.run_id AND f.path = t.path');
    const events =
      removeLaterCopies(db, 'events', 'id', "t.kind = 'checkpoint' AND f.kind = 'checkpoint' AND f.run_id = t.run_id AND json_extract(f.payload_json, '$.file') = json_extract(t.payload_json, '$.file')") +
      removeLaterCopies(db, 'events', 'id', "t.kind = 'lr_drop' AND f.kind = 'lr_drop' AND f.run_id = t.run_id AND f.step = t.step");
    db.exec(`
      CREATE UNIQUE INDEX metrics_point ON metrics(run_id, split, name, step);
      CREATE UNIQUE INDEX checkpoints_file ON checkpoints(run_id, path);
      CREATE UNIQUE INDEX events_checkpoint_file ON events(run_id, json_extract(payload_json, '$.file')) WHERE kind = 'checkpoint';
      CREATE UNIQUE INDEX events_lr_drop_step ON events(run_id, step) WHERE kind = 'lr_drop';
    `);
    if (points + checkpoints + events)
      return `removed duplicates written by two processes on one run, keeping the first of each: ${points} metric point(s), ${events} event(s), ${checkpoints} checkpoint row(s)`;
    return undefined;
  },
};
