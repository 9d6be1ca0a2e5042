import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  /**
   * SQL text, or a function for data-changing steps. Runs inside a transaction. A function may
   * return a sentence for the user (what it repaired), which the opener reports.
   */
  up: string | ((db: Database.Database) => string | undefined | void);
}
