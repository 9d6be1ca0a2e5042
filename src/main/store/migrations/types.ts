// A migration is data: SQL text, hashed when applied so that a shipped migration edited later is
// noticed on the next open (store/migrate.ts).

/** One statement, or a DELETE whose removed rows are counted under a name for the report. */
export type Step = string | { sql: string; counts: string };

export interface Migration {
  version: number;
  name: string;
  /** SQL text, or steps run in order; all inside one transaction. This is what the hash covers. */
  up: string | readonly Step[];
  /** A sentence for the user from the counted steps (what it repaired), or nothing. */
  report?: (counts: Record<string, number>) => string | undefined;
}
