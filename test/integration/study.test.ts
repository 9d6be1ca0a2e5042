// The paper study as a whole through real `vgglab` processes: killed mid-way it resumes (runs with a
// checkpoint from it, runs that never started from their first step), it can be cancelled from
// another process, and `study show --json` carries each seed's figure and the findings judged.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/main/app';
import { killed, vgglab, vgglabSync, waitInDb } from '../cli-process';
import { tempDir } from '../helpers';

// Tiny nets on the built-in data: the test is about the study's lifecycle, not about learning.
const TINY = ['--width', '0.0625', '--batch', '16', '--train-samples', '128', '--val-samples', '32', '--schedule', 'none', '--warmup', '0'];
const statuses = (dataDir: string) => {
  const out = vgglabSync(dataDir, ['study', 'show', '1', '--json']);
  return (JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { runs: { runId: number; status: string }[] }).runs.map((r) => r.status);
};

describe('the paper study as one thing', () => {
  it('resumes after the process running it is killed mid-way: every run completes, each once, and is evaluated', async () => {
    const dataDir = tempDir();
    await createApp({ dataDir }).close();
    // Per seed: A, D at 256, D at 384 from it, D jittered from that; two seeds, eight runs of 3 epochs.
    const { proc, done } = vgglab(dataDir, ['study', 'start', '--configs', 'A,D', '--seeds', '2', '--epochs', '3', ...TINY, '--json']);
    // Killed once the second run has written a checkpoint: the first has completed, the rest are queued.
    await waitInDb(dataDir, 'run 2 past its first checkpoint', (db) => (db.prepare('SELECT count(*) FROM checkpoints WHERE run_id = 2').pluck().get() as number) > 0, { watch: { study: proc } });
    await killed(proc);
    expect((await done).code, 'the study ended on its own before the kill').toBeNull();

    const before = statuses(dataDir);
    // Mid-way when killed: one run done, the second interrupted with a checkpoint, six never started.
    expect(before[0]).toBe('completed');
    expect(before[1]).toBe('interrupted');
    expect(before.slice(2).every((s) => s === 'interrupted')).toBe(true);

    const res = vgglabSync(dataDir, ['study', 'resume', '1', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as {
      counts: { done: number; total: number };
      runs: { runId: number; status: string }[];
      table: { row: string; figures: { runId: number; seed: number; top1Error: number; q: number; split: string }[]; top1: { n: number; sd: number | null }; evaluated: boolean }[];
      findings: { name: string; verdict: string; n: number }[];
    };
    expect(out.counts).toMatchObject({ done: 8, total: 8 });
    // Table 3 over both seeds, each row from both seeds' runs, evaluated at one test scale.
    expect(out.table.map((r) => [r.row, r.figures.map((f) => f.seed), r.evaluated, r.top1.n])).toEqual([
      ['A@256', [1, 2], true, 2],
      ['D@256', [1, 2], true, 2],
      ['D@384', [1, 2], true, 2],
      ['D@256-512', [1, 2], true, 2],
    ]);
    expect(out.table.find((r) => r.row === 'D@384')!.figures.every((f) => f.q === 37 + 18)).toBe(true);
    expect(out.findings.map((f) => f.name).sort()).toEqual(['depth (A vs D)', 'scale jitter (D)']);
    // The per-seed figures as CSV, one line per run: what error bars are made of.
    const csv = vgglabSync(dataDir, ['study', 'show', '1', '--format', 'csv']).stdout.trim().split('\n');
    expect(csv[0]).toBe('row,config,scale,seed,run,q,split,top1_error_pct,top5_error_pct');
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 5).join(','))).toEqual(out.table.flatMap((r) => r.figures.map((f) => `${r.row},${r.row.split('@')[0]},${r.row.split('@')[1]},${f.seed},${f.runId}`)));
    // An unknown study is a usage error, naming it.
    const unknown = vgglabSync(dataDir, ['study', 'show', '9']);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([2, 'vgglab: study 9 does not exist']);

    const app = createApp({ dataDir });
    try {
      for (const r of out.runs) {
        // Every step once: the resumed run continued from its checkpoint, the others began at step 1.
        const steps = app.db.prepare("SELECT step FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' ORDER BY step").pluck().all(r.runId) as number[];
        expect(steps, `run ${r.runId}`).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
        expect(steps.length, `run ${r.runId}`).toBe(3 * 8);
      }
      const kinds = app.runs.events(2).map((e) => e.kind);
      expect(kinds).toContain('resume');
      // A run that never started began from its first step, and says so.
      expect(app.runs.events(5).find((e) => e.kind === 'resume')?.payload).toMatchObject({ restarted: true, fromStep: 0 });
      // Each deeper net still started from its own seed's net.
      expect(app.runs.get(6).params.init).toBe('from:5');
      expect(app.runs.get(8).params.init).toBe('from:7');
    } finally {
      await app.close();
    }
  });

  it('is cancelled as a whole from another process: the training run stops after a checkpoint, the queued ones never start', async () => {
    const dataDir = tempDir();
    await createApp({ dataDir }).close();
    const { proc, done } = vgglab(dataDir, ['study', 'start', '--configs', 'A,B', '--epochs', '40', ...TINY, '--json']);
    await waitInDb(dataDir, 'run 1 training', (db) => (db.prepare('SELECT count(*) FROM checkpoints WHERE run_id = 1').pluck().get() as number) > 0, { watch: { study: proc } });
    const c = vgglabSync(dataDir, ['study', 'cancel', '1']);
    expect(c.code, c.stderr).toBe(0);
    const r = await done;
    try {
      expect(r.code, r.stderr).toBe(0);
      expect(statuses(dataDir)).toEqual(['stopped', 'stopped']);
      const app = createApp({ dataDir });
      try {
        // Cancelled mid-way: the first run stopped between its first and its last epoch; B never trained.
        expect(app.runs.get(1).epoch).toBeGreaterThan(0);
        expect(app.runs.get(1).epoch).toBeLessThan(40);
        expect(app.runs.get(2).step).toBe(0);
        expect(app.studies.get(1).cancelledAt).not.toBeNull();
      } finally {
        await app.close();
      }
    } finally {
      if (proc.exitCode === null) await killed(proc);
    }
  });
});
