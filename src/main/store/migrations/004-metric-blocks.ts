// Per-block extremes of every metric (blocks of 256 steps), kept by triggers as points are written
// and deleted, so a chart of a million-point run reads a few thousand block rows, not every point.
// A deleted point marks its block dirty; readers recompute dirty blocks before using them.
import type { Migration } from './types';

export const migration: Migration = {
  version: 4,
  name: 'metric-blocks',
  up: `
CREATE TABLE metric_blocks (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  split TEXT NOT NULL,
  name TEXT NOT NULL,
  block INTEGER NOT NULL,
  n INTEGER NOT NULL,
  lo_step INTEGER NOT NULL,
  hi_step INTEGER NOT NULL,
  min_step INTEGER NOT NULL,
  min_epoch INTEGER NOT NULL,
  min_value REAL NOT NULL,
  max_step INTEGER NOT NULL,
  max_epoch INTEGER NOT NULL,
  max_value REAL NOT NULL,
  dirty INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, split, name, block)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER metric_blocks_insert AFTER INSERT ON metrics WHEN new.value IS NOT NULL BEGIN
  INSERT INTO metric_blocks (run_id, split, name, block, n, lo_step, hi_step, min_step, min_epoch, min_value, max_step, max_epoch, max_value)
  VALUES (new.run_id, new.split, new.name, new.step / 256, 1, new.step, new.step, new.step, new.epoch, new.value, new.step, new.epoch, new.value)
  ON CONFLICT (run_id, split, name, block) DO UPDATE SET
    n = n + 1,
    lo_step = min(lo_step, excluded.lo_step),
    hi_step = max(hi_step, excluded.hi_step),
    min_step = CASE WHEN excluded.min_value < min_value THEN excluded.min_step ELSE min_step END,
    min_epoch = CASE WHEN excluded.min_value < min_value THEN excluded.min_epoch ELSE min_epoch END,
    min_value = min(min_value, excluded.min_value),
    max_step = CASE WHEN excluded.max_value > max_value THEN excluded.max_step ELSE max_step END,
    max_epoch = CASE WHEN excluded.max_value > max_value THEN excluded.max_epoch ELSE max_epoch END,
    max_value = max(max_value, excluded.max_value);
END;

CREATE TRIGGER metric_blocks_delete AFTER DELETE ON metrics WHEN old.value IS NOT NULL BEGIN
  UPDATE metric_blocks SET dirty = 1 WHERE run_id = old.run_id AND split = old.split AND name = old.name AND block = old.step / 256 AND dirty = 0;
END;

-- Points written before this version: their blocks start dirty and are computed on first read.
INSERT INTO metric_blocks (run_id, split, name, block, n, lo_step, hi_step, min_step, min_epoch, min_value, max_step, max_epoch, max_value, dirty)
  SELECT run_id, split, name, step / 256, count(*), min(step), max(step), 0, 0, 0, 0, 0, 0, 1
  FROM metrics WHERE value IS NOT NULL GROUP BY run_id, split, name, step / 256;
`,
};
