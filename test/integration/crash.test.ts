// Kill -9 the training process at random moments (metrics writes, checkpoint writes, epoch
// boundaries), 20 times over one data folder; after each kill the database is intact, every run is
// in a valid state, the newest checkpoint loads, and resuming gives continuous curves.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/main/data/rng';
import { createApp } from '../../src/main/services/app';
import { latestCheckpoint } from '../../src/main/store/checkpoints';
import { readCheckpoint } from '../../src/main/training/checkpoint';
import { repoRoot, tempDir } from '../helpers';

const TRIALS = 20;
const VALID = new Set(['completed', 'stopped', 'failed', 'diverged', 'interrupted']);

/** Starts a run in a child process and kills it once `killAtPoints` metric rows exist (or it ends). */
async function trainAndKill(dataDir: string, killAtPoints: number, jitterMs: number): Promise<void> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin', 'vgglab.mjs'), '--data-dir', dataDir, 'train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '96', '--val-samples', '32', '--epochs', '5', '--schedule', 'none', '--json'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let done = false;
  void exited.then(() => (done = true));
  const dbFile = path.join(dataDir, 'vgglab.db');
  let watch: Database.Database | null = null;
  let lastRun = 0;
  if (fs.existsSync(dbFile)) {
    const db = new Database(dbFile, { readonly: true });
    lastRun = (db.prepare('SELECT coalesce(max(id), 0) FROM runs').pluck().get() as number) ?? 0;
    db.close();
  }
  while (!done) {
    await new Promise((r) => setTimeout(r, 5));
    if (!watch && fs.existsSync(dbFile)) watch = new Database(dbFile, { readonly: true, fileMustExist: true });
    if (!watch) continue;
    try {
      const n = watch.prepare('SELECT count(*) FROM metrics WHERE run_id > ?').pluck().get(lastRun) as number;
      if (n >= killAtPoints) {
        // A little later, so that some kills land inside a write or a checkpoint.
        await new Promise((r) => setTimeout(r, jitterMs));
        child.kill('SIGKILL');
        break;
      }
    } catch {
      /* the database is being created */
    }
  }
  await exited;
  watch?.close();
}

describe('crash safety', () => {
  it(`survives ${TRIALS} SIGKILLs at random points and resumes every interrupted run without gaps`, async () => {
    const dataDir = tempDir();
    const rng = mulberry32(7);
    let killed = 0;
    let resumed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      await trainAndKill(dataDir, 1 + Math.floor(rng() * 60), Math.floor(rng() * 40));
      const app = createApp({ dataDir });
      try {
        expect(app.db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
        const runs = app.runs.list();
        for (const r of runs) expect(VALID.has(r.status), `run ${r.id} is ${r.status}`).toBe(true);
        const last = runs[0];
        if (!last || last.status !== 'interrupted') continue;
        killed += 1;
        const ck = latestCheckpoint(app.db, last.id);
        if (!ck) continue;
        // The newest checkpoint is whole and matches its recorded hash.
        expect(readCheckpoint(ck.path, ck.sha256).state.step).toBe(ck.step);
        await app.runs.resume(last.id);
        expect(await app.runs.waitFor(last.id)).toBe('completed');
        resumed += 1;
        const steps = app.db.prepare("SELECT step FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' ORDER BY step").pluck().all(last.id) as number[];
        expect(steps).toEqual(Array.from({ length: 5 * 6 }, (_, i) => i + 1));
        const epochs = app.db.prepare("SELECT epoch FROM metrics WHERE run_id = ? AND name = 'top1' AND split = 'val' ORDER BY step").pluck().all(last.id) as number[];
        expect(epochs).toEqual([1, 2, 3, 4, 5]);
      } finally {
        await app.close();
      }
    }
    console.log(`crash trials: ${TRIALS} run, ${killed} killed mid-run, ${resumed} resumed to completion, 0 failures`);
    expect(killed).toBeGreaterThanOrEqual(TRIALS * 0.75);
    expect(resumed).toBeGreaterThan(0);
  });
});
