// Runs trained on cluster workers: where a run trains (this machine or the cluster), which worker
// holds it, and how far its event stream from Redis has been taken into this store. The cursor is
// advanced in the same transaction as the rows it covers, so each streamed fact lands exactly once.
import type { Migration } from './types';

export const migration: Migration = {
  version: 6,
  name: 'cluster-placement',
  up: `ALTER TABLE runs ADD COLUMN placement TEXT NOT NULL DEFAULT 'local' CHECK (placement IN ('local', 'cluster'));
    ALTER TABLE runs ADD COLUMN worker TEXT;
    ALTER TABLE runs ADD COLUMN worker_session TEXT;
    ALTER TABLE runs ADD COLUMN stream_cursor TEXT NOT NULL DEFAULT '0-0';
    ALTER TABLE runs ADD COLUMN stream_seq INTEGER NOT NULL DEFAULT 0;`,
};
