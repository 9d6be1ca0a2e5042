// What the README promises about checkpoints, checked through real `vgglab` processes:
// a killed run resumed with `vgglab resume` continues exactly as if it had never stopped, and a
// run keeps exactly its newest three checkpoints and its best one, each loadable.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/main/app';
import { listBackends } from '../../src/main/training/backends';
import { readCheckpoint } from '../../src/main/training/checkpoint';
import { killed, vgglab, vgglabSync, waitInDb } from '../cli-process';
import { skipNote, tempDir } from '../helpers';
import { need } from '../require';

const native = (await listBackends()).find((b) => b.name === 'native')!;
const nativeMissing = need('native', native.available ? null : `the native backend is unavailable: ${native.reason}`);
const hasNative = !nativeMissing;
// Forced where this CPU has oneDNN's Winograd kernels (AVX-512), else direct (the only way there).
const forced = native.convAlgorithms?.includes('winograd') ? 'winograd' : 'direct';

function losses(dataDir: string, runId: number): number[] {
  const db = new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });
  try {
    return db.prepare("SELECT value FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' ORDER BY step").pluck().all(runId) as number[];
  } finally {
    db.close();
  }
}

/**
 * Trains run 1 without interruption, then the same run again as run 2, killed by SIGKILL once it has
 * `checkpoints` checkpoints and resumed with `vgglab resume 2`; returns both loss sequences.
 */
async function brokenAndUnbroken(args: string[], env: NodeJS.ProcessEnv, epochs: number, checkpoints = 2) {
  const dataDir = tempDir();
  await createApp({ dataDir }).close();
  const train = ['train', '--config', 'A', '--schedule', 'none', '--seed', '5', '--epochs', String(epochs), ...args, '--json'];
  const whole = vgglabSync(dataDir, train, env);
  expect(whole.code, whole.stderr).toBe(0);
  const { proc, done } = vgglab(dataDir, train, env);
  await waitInDb(dataDir, `run 2's checkpoint ${checkpoints}`, (db) => (db.prepare('SELECT count(*) FROM checkpoints WHERE run_id = 2').pluck().get() as number) >= checkpoints, { watch: { trainer: proc } });
  await killed(proc);
  expect((await done).code, 'the run finished before it could be killed').toBeNull();
  const res = vgglabSync(dataDir, ['resume', '2', '--json'], env);
  expect(res.code, res.stderr).toBe(0);
  expect(res.json).toMatchObject({ runId: 2, status: 'completed', epochs });
  const resumeEvent = createApp({ dataDir });
  const fromEpoch = resumeEvent.runs.events(2).find((e) => e.kind === 'resume')?.payload.fromEpoch;
  await resumeEvent.close();
  return { dataDir, train, fromEpoch: fromEpoch as number, whole: losses(dataDir, 1), resumed: losses(dataDir, 2) };
}

describe('exact resume through the CLI', () => {
  it('on cpu, a run killed after epoch 1, and one stopped with Ctrl-C in the middle of epoch 2, resumed give the unbroken run’s loss at every step, bit for bit', async () => {
    // 12 steps an epoch of 2 images on pure JavaScript: a whole epoch remains after the kill.
    const r = await brokenAndUnbroken(['--backend', 'cpu', '--width', '0.0625', '--batch', '2', '--train-samples', '24', '--val-samples', '16'], {}, 2, 1);
    expect(r.fromEpoch).toBe(1);
    expect(r.whole).toHaveLength(24);
    expect(r.resumed).toEqual(r.whole);
    // Run 3: Ctrl-C once epoch 1's checkpoint is recorded. The trainer reads its losses back, and
    // looks for a stop, every 8 steps of an epoch and at its end, just after the epoch's checkpoint:
    // by the time that checkpoint is in the database the end-of-epoch look has passed, so it stops
    // 8 steps later (~2 s here), at step 20, mid-epoch, and checkpoints there. (Waiting only for
    // epoch 1's 12 loss points let Ctrl-C land before that look, once in CI: a stop at step 12.)
    // Where it stopped is asserted, not assumed.
    const { proc, done } = vgglab(r.dataDir, r.train);
    await waitInDb(r.dataDir, "run 3's first checkpoint", (db) => (db.prepare('SELECT count(*) FROM checkpoints WHERE run_id = 3').pluck().get() as number) >= 1, { watch: { trainer: proc } });
    proc.kill('SIGINT');
    const stopped = await done;
    // Interrupted by Ctrl-C after a clean checkpoint: exit 130, the shell's code for SIGINT.
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.json).toMatchObject({ runId: 3, status: 'stopped' });
    const db = new Database(path.join(r.dataDir, 'vgglab.db'), { readonly: true });
    const at = db.prepare('SELECT max(step) FROM checkpoints WHERE run_id = 3').pluck().get() as number;
    db.close();
    expect(at).toBeGreaterThan(12);
    expect(at).toBeLessThan(24);
    const res = vgglabSync(r.dataDir, ['resume', '3', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json).toMatchObject({ runId: 3, status: 'completed', epochs: 2 });
    expect(losses(r.dataDir, 3)).toEqual(r.whole);
  });

  it.skipIf(!hasNative)(`on native with a fixed thread count, the resumed losses match within 1e-6${skipNote(nativeMissing)}`, async () => {
    // One OpenMP thread count for both processes: the GEMM's summation order then does not change.
    // Winograd forced (direct on a CPU without its kernels): with auto, runs 1 and 2 would each time
    // their shapes, and could choose differently where the two ways are near a tie (a resumed run
    // pins its own run's choices, but run 1 is another run); forced, both compute every 3×3 layer
    // the same way.
    const r = await brokenAndUnbroken(['--backend', 'native', '--conv-algorithm', forced, '--width', '0.125', '--batch', '16', '--train-samples', '256', '--val-samples', '32'], { OMP_NUM_THREADS: '2' }, 8);
    expect(r.fromEpoch).toBeGreaterThanOrEqual(2);
    expect(r.whole).toHaveLength(8 * 16);
    expect(r.resumed).toHaveLength(r.whole.length);
    r.whole.forEach((v, i) => expect(Math.abs(r.resumed[i]! - v), `step ${i + 1}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
    // The choices travel in the checkpoint, and the resumed run took them from there (recorded once, by its first session).
    const db = new Database(path.join(r.dataDir, 'vgglab.db'), { readonly: true });
    const ck = db.prepare('SELECT path, sha256 FROM checkpoints WHERE run_id = 2 ORDER BY step DESC LIMIT 1').get() as { path: string; sha256: string };
    const recorded = db.prepare("SELECT count(*) FROM events WHERE run_id = 2 AND kind = 'conv_algorithms'").pluck().get();
    db.close();
    expect(recorded).toBe(1);
    const choices = readCheckpoint(ck.path, ck.sha256).state.convChoices!;
    expect(Object.keys(choices).length).toBeGreaterThan(0);
    expect(new Set(Object.values(choices))).toEqual(new Set([forced]));
  });
});

describe('checkpoint retention', () => {
  it('after 8 epochs exactly the newest three and the best remain, on disk and in the database, and each loads', () => {
    const dataDir = tempDir();
    // A rate so small that no weight changes in float32 (1e-12 × a gradient is far below a weight's
    // last bit): validation accuracy is the same every epoch, so epoch 1 stays the best and is not
    // among the newest three.
    const r = vgglabSync(dataDir, ['train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '64', '--val-samples', '32', '--epochs', '8', '--schedule', 'none', '--lr', '1e-12', '--momentum', '0', '--weight-decay', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const db = new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });
    const rows = db.prepare('SELECT epoch, kind, path, sha256 FROM checkpoints WHERE run_id = 1 ORDER BY epoch').all() as { epoch: number; kind: string; path: string; sha256: string }[];
    // Every checkpoint ever written, from the run's log: the newest three and the newest best must remain.
    const written = (db.prepare("SELECT payload_json FROM events WHERE run_id = 1 AND kind = 'checkpoint' ORDER BY step").pluck().all() as string[]).map((p) => JSON.parse(p) as { kind: string; file: string });
    db.close();
    expect(written).toHaveLength(8);
    const best = written.filter((c) => c.kind === 'best').at(-1)!;
    expect(best.file).toMatch(/step-0+4-best\.ckpt$/);
    const expected = new Set([...written.slice(-3).map((c) => c.file), best.file]);
    expect(expected.size).toBe(4);
    expect(new Set(rows.map((c) => c.path))).toEqual(expected);
    expect(rows.map((c) => c.epoch)).toEqual([1, 6, 7, 8]);
    const onDisk = fs.readdirSync(path.dirname(best.file)).map((f) => path.join(path.dirname(best.file), f));
    expect(new Set(onDisk)).toEqual(expected);
    for (const c of rows) expect(readCheckpoint(c.path, c.sha256).state.epoch).toBe(c.epoch + 1);
  });
});
