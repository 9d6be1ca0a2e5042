// Opens the SQLite file: WAL, foreign keys, busy timeout, migrations.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { migrate } from './migrate';

/** Set by the Electron entry: a better-sqlite3 build for Electron's ABI lives beside the Node one. */
let nativeBinding: string | undefined;
export function useNativeBinding(file: string | undefined): void {
  nativeBinding = file;
}

export type Db = Database.Database;

export class DatabaseDamagedError extends Error {
  override name = 'DatabaseDamagedError';
}

/** Keeps a copy of a database that cannot be opened, next to it, and says how to recover. */
function setAside(file: string, cause: Error): never {
  const copy = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    fs.copyFileSync(file, copy);
  } catch {
    /* reported below without the copy */
  }
  throw new DatabaseDamagedError(
    `the database ${file} is damaged (${cause.message}); a copy was kept as ${copy}. Nothing was changed: restore a backup over ${file}, or move it away to start with an empty database, or point --data-dir at another folder.`,
  );
}

/**
 * Puts the file in WAL mode (kept in the file: a no-op once done). SQLite answers "database is
 * locked" at once, without waiting, when another connection is opening the file at that moment, so
 * this tries again for a while.
 */
function setWal(db: Database.Database): void {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > until) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

export function openDatabase(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'vgglab.db');
  let db: Database.Database;
  try {
    db = new Database(file, nativeBinding ? { nativeBinding } : {});
    // Reading the schema fails at once on a file that is not a SQLite database.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    if (/not a database|malformed|file is (encrypted|not a database)|SQLITE_(NOTADB|CORRUPT)/i.test((err as Error).message)) setAside(file, err as Error);
    throw err;
  }
  try {
    // The wait for a busy database first: switching a new file to WAL needs a moment alone with it,
    // and another process may be opening the same folder.
    db.pragma('busy_timeout = 10000');
    setWal(db);
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    migrate(db, undefined, (message) => process.stderr.write(`vgglab: ${message}\n`));
  } catch (err) {
    db.close();
    if (err instanceof Error && /not a database|malformed|SQLITE_(NOTADB|CORRUPT)/i.test(err.message) && !(err instanceof DatabaseDamagedError)) setAside(file, err);
    throw err;
  }
  return db;
}

export function openMemoryDatabase(): Db {
  const db = new Database(':memory:', nativeBinding ? { nativeBinding } : {});
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}
