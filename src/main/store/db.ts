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

export function openDatabase(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'vgglab.db');
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  } catch (err) {
    db.close();
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
