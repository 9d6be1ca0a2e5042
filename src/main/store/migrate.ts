// Applies numbered migrations, each in its own transaction, and refuses a database
// whose applied list does not match the code (renamed, missing or newer migrations).
import type Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations';

export class MigrationMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationMismatchError';
  }
}

/** Applies what is missing; returns the versions applied. `report` hears what a migration repaired. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, report: (message: string) => void = () => {}): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
  const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
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
  });
  const done: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations.slice(applied.length)) {
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else {
        const said = m.up(db);
        if (said) report(`migration ${m.version} (${m.name}): ${said}`);
      }
      record.run(m.version, m.name, new Date().toISOString());
    })();
    done.push(m.version);
  }
  return done;
}
