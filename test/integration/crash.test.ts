// Kill -9 a training process at random moments after its first checkpoint (inside metric writes,
// checkpoint writes, epoch boundaries), 20 times over one data folder, and resume each run: every
// trial must end with an intact database, the run shown as interrupted, the newest checkpoint
// loadable, and a resumed run with every step exactly once. The trainers are real `vgglab train`
// processes; the look afterwards and the resume are made in this process (another process on the
// folder, as the desktop would be): `vgglab resume` and `vgglab runs` as separate processes are
// tested in resume.test.ts and shared-folder.test.ts.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/main/data/rng';
import { createApp } from '../../src/main/app';
import { readCheckpoint } from '../../src/main/training/checkpoint';
import { killed, vgglab, waitInDb } from '../cli-process';
import { tempDir } from '../helpers';

const TRIALS = 20;
const EPOCHS = 8;
const STEPS_PER_EPOCH = 16; // 256 images, batch 16
const VALID = new Set(['completed', 'stopped', 'failed', 'diverged', 'interrupted']);

describe('crash safety', () => {
  it(`survives ${TRIALS} SIGKILLs after the first checkpoint and resumes every run`, async () => {
    const dataDir = tempDir();
    // The database exists (migrated) before any watcher opens it, so a read error is a real failure.
    await createApp({ dataDir }).close();
    const rng = mulberry32(7);
    let resumed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const runId = trial + 1;
      // Kill once 0–39 training steps have followed the first checkpoint (at most 2.5 of the 7 epochs
      // left), then after a further 0–19 ms: kills land in metric writes, checkpoints and validation.
      // At least 4 epochs (64 steps, 4 validations, 4 fsynced checkpoints) remain after the kill is
      // triggered, so the run cannot finish first.
      const after = Math.floor(rng() * 40);
      const jitterMs = Math.floor(rng() * 20);
      const { proc, done } = vgglab(dataDir, [
        'train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '256', '--val-samples', '32',
        '--epochs', String(EPOCHS), '--schedule', 'none', '--seed', String(runId), '--json',
      ]);
      await waitInDb(
        dataDir,
        `trial ${trial}: ${after} steps after run ${runId}'s first checkpoint`,
        (db) => {
          const first = db.prepare('SELECT min(step) FROM checkpoints WHERE run_id = ?').pluck().get(runId) as number | null;
          if (first === null) return false;
          const since = db.prepare("SELECT count(*) FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' AND step > ?").pluck().get(runId, first) as number;
          return since >= after;
        },
        { watch: { trainer: proc } },
      );
      await new Promise((r) => setTimeout(r, jitterMs));
      await killed(proc);
      const result = await done;
      expect(result.code, `trial ${trial}: the trainer ended on its own before the kill`).toBeNull();

      // Another process opening the folder sees the run as interrupted (its owner is gone), resumes
      // it from the newest checkpoint, and it completes with every step once.
      const app = createApp({ dataDir });
      try {
        const runs = app.runs.list();
        for (const r of runs) expect(VALID.has(r.status), `run ${r.id} is ${r.status}`).toBe(true);
        expect(runs.find((r) => r.id === runId)?.status).toBe('interrupted');
        expect(app.db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
        const ck = app.db.prepare('SELECT path, sha256, step FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT 1').get(runId) as { path: string; sha256: string; step: number };
        // The newest checkpoint is whole and matches its recorded hash.
        expect(readCheckpoint(ck.path, ck.sha256).state.step).toBe(ck.step);
        expect((await app.runs.resume(runId)).fromStep).toBe(ck.step);
        expect(await app.runs.waitFor(runId)).toBe('completed');
        const steps = app.db.prepare("SELECT step FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' ORDER BY step").pluck().all(runId);
        expect(steps).toEqual(Array.from({ length: EPOCHS * STEPS_PER_EPOCH }, (_, i) => i + 1));
        const epochs = app.db.prepare("SELECT epoch FROM metrics WHERE run_id = ? AND name = 'top1' AND split = 'val' ORDER BY step").pluck().all(runId);
        expect(epochs).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
      } finally {
        await app.close();
      }
      resumed += 1;
    }
    console.log(`crash trials: ${TRIALS} run, ${TRIALS} killed after their first checkpoint, ${resumed} resumed to completion`);
    expect(resumed).toBe(TRIALS);
    // About a minute alone on a 2-core machine; a slower or busier machine gets room, since what is
    // checked is correctness, not speed.
  }, 1_200_000);
});
