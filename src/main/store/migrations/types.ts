import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  /** SQL text, or a function for data-changing steps. Runs inside a transaction. */
  up: string | ((db: Database.Database) => void);
}
