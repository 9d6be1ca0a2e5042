import { metricSeries } from '../../src/main/store/metrics';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, migrationChecksum, MigrationMismatchError } from '../../src/main/store/migrate';
import { MIGRATIONS } from '../../src/main/store/migrations';
import { openDatabase } from '../../src/main/store/db';
import { tempDir } from '../helpers';

const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe('migrations', () => {
  it('apply to an empty database and lay down the whole schema', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(tables(db)).toEqual(['checkpoints', 'datasets', 'evaluations', 'events', 'experiments', 'metric_blocks', 'metrics', 'runs', 'schema_migrations', 'studies', 'study_runs']);
    expect(migrate(db)).toEqual([]);
  });

  it('are refused when the database has a migration the code does not know', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from-the-future', '2030-01-01')").run();
    expect(() => migrate(db)).toThrow(MigrationMismatchError);
    expect(() => migrate(db)).toThrow(/newer version/);
  });

  it('are refused when an applied migration differs from the file', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare("UPDATE schema_migrations SET name = 'renamed' WHERE version = 1").run();
    expect(() => migrate(db)).toThrow(/expects 1 \(initial\)/);
  });

  it('are refused when an applied migration was edited since (its content hash differs)', () => {
    const db = new Database(':memory:');
    migrate(db);
    const hashes = db.prepare('SELECT checksum FROM schema_migrations ORDER BY version').pluck().all() as string[];
    expect(hashes).toEqual(MIGRATIONS.map(migrationChecksum));
    const edited = MIGRATIONS.map((m) => (m.version === 2 ? { ...m, up: `${m.up as string} -- tidied` } : m));
    expect(() => migrate(db, edited)).toThrow(MigrationMismatchError);
    expect(() => migrate(db, edited)).toThrow(/migration 2 \(metric-series-index\) was applied with other content/);
    // The stored list is unchanged and the real migrations still open it.
    expect(migrate(db)).toEqual([]);
  });

  it('record the hashes of migrations applied before hashes existed, then check them', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.exec('UPDATE schema_migrations SET checksum = NULL');
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM schema_migrations WHERE checksum IS NULL').pluck().get()).toBe(0);
    db.prepare("UPDATE schema_migrations SET checksum = 'f00' WHERE version = 4").run();
    expect(() => migrate(db)).toThrow(/migration 4 \(metric-blocks\) was applied with other content/);
  });

  it('roll back a failing migration as a whole', () => {
    const db = new Database(':memory:');
    migrate(db);
    const broken = [...MIGRATIONS, { version: 99, name: 'broken', up: 'CREATE TABLE half (x INTEGER) STRICT; SELECT * FROM no_such_table;' }];
    expect(() => migrate(db, broken)).toThrow(/no_such_table/);
    expect(tables(db)).not.toContain('half');
    expect(db.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
  });

  it('006 places every run recorded before it on this machine, with no stream taken in', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 5));
    db.prepare("INSERT INTO runs (config, dataset, params_json, status, seed, epochs, app_version, created_at) VALUES ('A', 'synthetic', '{}', 'completed', 1, 1, 'x', 'now')").run();
    expect(migrate(db, MIGRATIONS.slice(0, 6))).toEqual([6]);
    expect(db.prepare('SELECT placement, worker, worker_session, stream_cursor, stream_seq FROM runs').get()).toEqual({ placement: 'local', worker: null, worker_session: null, stream_cursor: '0-0', stream_seq: 0 });
    expect(() => db.prepare("UPDATE runs SET placement = 'moon'").run()).toThrow(/CHECK constraint failed/);
  });

  it('007 adds studies beside the runs recorded before it; a deleted run leaves its study, a study needs its runs to exist', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.slice(0, 6));
    const run = db.prepare("INSERT INTO runs (config, dataset, params_json, status, seed, epochs, app_version, created_at) VALUES ('A', 'synthetic', '{}', 'completed', 1, 1, 'x', 'now')");
    run.run();
    run.run();
    expect(migrate(db)).toEqual([7]);
    expect(db.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(2);
    db.prepare("INSERT INTO experiments (name, created_at) VALUES ('study', 'now')").run();
    db.prepare("INSERT INTO studies (experiment_id, spec_json, created_at) VALUES (1, '{}', 'now')").run();
    db.prepare("INSERT INTO study_runs (study_id, position, run_id, row, seed) VALUES (1, 0, 1, 'A@256', 1), (1, 1, 2, 'A@256', 2)").run();
    expect(() => db.prepare("INSERT INTO study_runs (study_id, position, run_id, row, seed) VALUES (1, 2, 99, 'A@256', 3)").run()).toThrow(/FOREIGN KEY/);
    db.prepare('DELETE FROM runs WHERE id = 1').run();
    expect(db.prepare('SELECT run_id FROM study_runs').pluck().all()).toEqual([2]);
  });

  it('002 and 003 add the (covering) series index to a database that already holds metrics, keeping every row', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 1));
    db.prepare("INSERT INTO runs (config, dataset, params_json, status, seed, epochs, app_version, created_at) VALUES ('A', 'synthetic', '{}', 'completed', 1, 1, 'x', 'now')").run();
    const ins = db.prepare("INSERT INTO metrics VALUES (1, ?, 1, 'train', 'loss', ?)");
    for (let i = 1; i <= 100; i++) ins.run(i, i / 10);
    expect(migrate(db)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect(db.prepare("SELECT count(*) AS n, sum(value) AS s FROM metrics").get()).toEqual({ n: 100, s: 505 });
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT step, epoch, value FROM metrics WHERE run_id = 1 AND split = 'train' AND name = 'loss' ORDER BY step").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('COVERING INDEX metrics_series_covering');
    // 004's blocks for points written before it are computed on first read: the extremes survive.
    const s = metricSeries(db as never, 1, 'train', 'loss', 10);
    expect(s.length).toBeLessThanOrEqual(20);
    expect(s.find((p) => p.value === 10)?.step).toBe(100);
    expect(s.find((p) => p.value === 0.1)?.step).toBe(1);
  });

  it('open a file database in WAL mode with foreign keys on', () => {
    const db = openDatabase(tempDir());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });
});
