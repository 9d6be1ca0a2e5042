// Applies numbered migrations, each in its own transaction, and refuses a database whose applied
// list does not match the code (renamed, missing, newer or edited migrations: a content hash is
// recorded with each).
import type Database from 'better-sqlite3';
import crypto from 'node:crypto';
import { MIGRATIONS, type Migration } from './migrations';

export class MigrationMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationMismatchError';
  }
}

/** The content hash of a migration: sha256 of its SQL. */
export function migrationChecksum(m: Migration): string {
  return crypto.createHash('sha256').update(typeof m.up === 'string' ? m.up : JSON.stringify(m.up)).digest('hex');
}

function run(db: Database.Database, m: Migration): string | undefined {
  if (typeof m.up === 'string') {
    db.exec(m.up);
    return undefined;
  }
  const counts: Record<string, number> = {};
  for (const step of m.up) {
    if (typeof step === 'string') db.exec(step);
    else counts[step.counts] = (counts[step.counts] ?? 0) + db.prepare(step.sql).run().changes;
  }
  return m.report?.(counts);
}

/**
 * Applies what is missing; returns the versions applied. `report` hears what a migration repaired.
 * Each applied migration's hash is recorded; one recorded before hashes existed gets today's.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, report: (message: string) => void = () => {}): number[] {
  // Made whole at once (several processes may open a new folder together); a table from before
  // checksums gets its column, once, under the write lock.
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, checksum TEXT) STRICT`);
  const hasChecksum = () => (db.prepare('PRAGMA table_info(schema_migrations)').all() as { name: string }[]).some((c) => c.name === 'checksum');
  if (!hasChecksum()) db.transaction(() => hasChecksum() || db.exec('ALTER TABLE schema_migrations ADD COLUMN checksum TEXT')).immediate();
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    checksum: string | null;
  }[];
  applied.forEach((row, i) => {
    const known = migrations[i];
    if (!known)
      throw new MigrationMismatchError(
        `database has migration ${row.version} (${row.name}) that this version of VGG Lab does not know: it was written by a newer version. Use that version, or point --data-dir at another folder.`,
      );
    if (known.version !== row.version || known.name !== row.name)
      throw new MigrationMismatchError(
        `database migration ${i + 1} is ${row.version} (${row.name}) but this version expects ${known.version} (${known.name}); refusing to touch it.`,
      );
    if (row.checksum !== null && row.checksum !== migrationChecksum(known))
      throw new MigrationMismatchError(
        `database migration ${row.version} (${row.name}) was applied with other content than this version's (checksum ${row.checksum.slice(0, 12)}…, here ${migrationChecksum(known).slice(0, 12)}…): a shipped migration was edited; refusing to touch the database. Use the version that wrote it, or point --data-dir at another folder.`,
      );
  });
  const unhashed = applied.filter((r) => r.checksum === null);
  if (unhashed.length) {
    const fill = db.prepare('UPDATE schema_migrations SET checksum = ? WHERE version = ?');
    db.transaction(() => unhashed.forEach((r) => fill.run(migrationChecksum(migrations.find((m) => m.version === r.version)!), r.version)))();
  }
  const done: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  for (const m of migrations.slice(applied.length)) {
    // Another process opening the same folder may be migrating too: each migration takes the write
    // lock first (IMMEDIATE) and looks again, so it is applied by exactly one of them.
    const ran = db.transaction(() => {
      if (isApplied.get(m.version)) return false;
      const said = run(db, m);
      if (said) report(`migration ${m.version} (${m.name}): ${said}`);
      record.run(m.version, m.name, new Date().toISOString(), migrationChecksum(m));
      return true;
    }).immediate();
    if (ran) done.push(m.version);
  }
  return done;
}
