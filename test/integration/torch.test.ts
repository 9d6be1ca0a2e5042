// The torch backend through real `vgglab` processes: it learns, resumes exactly, and its checkpoints
// resume on native and back; its engine killed, hung or missing is a run's state with a message,
// never a hang.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/main/app';
import { listBackends } from '../../src/main/training/backends';
import { vgglab, vgglabSync, waitInDb } from '../cli-process';
import { skipNote, tempDir } from '../helpers';
import { need } from '../require';
import { until } from '../wait';
import { redisMissing, RedisServer } from '../redis';
import { PREFIX } from '../../src/main/cluster/shared/protocol';
import { Redis } from 'ioredis';

const all = await listBackends();
const torch = all.find((b) => b.name === 'torch')!;
const native = all.find((b) => b.name === 'native')!;
const reason = need('torch', torch.available ? null : torch.reason);

const db = (dataDir: string) => new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });

/** The notes in a run's log, in order. */
function notes(dataDir: string, runId: number): string[] {
  const d = db(dataDir);
  try {
    return (d.prepare("SELECT payload_json FROM events WHERE run_id = ? AND kind = 'note' ORDER BY id").pluck().all(runId) as string[]).map((p) => (JSON.parse(p) as { message: string }).message);
  } finally {
    d.close();
  }
}

function losses(dataDir: string, runId: number): number[] {
  const d = db(dataDir);
  try {
    return d.prepare("SELECT value FROM metrics WHERE run_id = ? AND name = 'loss' AND split = 'train' ORDER BY step").pluck().all(runId) as number[];
  } finally {
    d.close();
  }
}
const scalar = (dataDir: string, sql: string, ...args: unknown[]) => {
  const d = db(dataDir);
  try {
    return d.prepare(sql).pluck().get(...args);
  } finally {
    d.close();
  }
};

/** A data folder with its database made, so that a test can watch it from the first step. */
async function dataFolder(): Promise<string> {
  const dataDir = tempDir();
  await createApp({ dataDir }).close();
  return dataDir;
}

/** The pid of the torch engine a `vgglab` process started (a descendant running torch_engine.py), or null. */
function enginePid(root: number): number | null {
  const parent = new Map<number, number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  for (const [pid] of parent) {
    let p: number | undefined = pid;
    while (p && p !== root) p = parent.get(p);
    if (p !== root) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('torch_engine.py')) return pid;
    } catch {
      // Gone meanwhile.
    }
  }
  return null;
}

/**
 * `vgglab resume ID ARGS` of an endless run: it trains on from its checkpoint (an epoch past what it
 * had) on `backend`, and is then stopped with Ctrl-C.
 */
async function goesOn(dataDir: string, id: number, args: string[], backend: string): Promise<void> {
  const had = losses(dataDir, id).length;
  const { proc, done } = vgglab(dataDir, ['resume', String(id), ...args, '--json'], ENV);
  await waitInDb(dataDir, `run ${id} to train on`, (d) => (d.prepare("SELECT count(*) FROM metrics WHERE run_id = ? AND name = 'loss'").pluck().get(id) as number) >= had + 16, { watch: { resumed: proc } });
  proc.kill('SIGINT');
  const r = await done;
  expect(r.json, r.stderr).toMatchObject({ runId: id, status: 'stopped' });
  expect(scalar(dataDir, 'SELECT backend FROM runs WHERE id = ?', id)).toBe(backend);
  expect(losses(dataDir, id).every(Number.isFinite)).toBe(true);
}

// One thread count in every process: PyTorch's and the native addon's summation order then stay put.
const ENV = { OMP_NUM_THREADS: '2' };
const SMALL = ['--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '256', '--val-samples', '32', '--schedule', 'none', '--seed', '5'];

describe.skipIf(!!reason)(`the torch backend${skipNote(reason)}`, () => {
  it('learns the synthetic dataset well above chance with dropout on, says what it ran on, and evaluates on the engine', async () => {
    // The learning test's task (train.test.ts): four synthetic classes, lr 1e-3. On torch, six seeds
    // reached a best validation top-1 of 0.98–1.00 by epoch 12; the bar of 0.6 against chance at 0.25
    // leaves a margin of more than 0.35 that no summation order or dropout draw crosses.
    const dataDir = tempDir();
    const r = vgglabSync(dataDir, ['train', '--config', 'A', '--backend', 'torch', '--input-size', '32', '--width', '0.125', '--classes', '4', '--epochs', '12', '--batch', '32', '--lr', '0.001', '--schedule', 'none', '--train-samples', '512', '--val-samples', '256', '--seed', '1', '--json'], ENV);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ status: 'completed', backend: 'torch' });
    const best = scalar(dataDir, "SELECT max(value) FROM metrics WHERE run_id = 1 AND split = 'val' AND name = 'top1'") as number;
    expect(best).toBeGreaterThan(0.6);
    expect(scalar(dataDir, 'SELECT device FROM runs WHERE id = 1')).toMatch(/^torch \d+\.\d+.*, (CPU, \d+ threads|CUDA|ROCm|Apple MPS)/);
    // The test protocols run on the engine too; a centre crop at Q = S scores the validation images as
    // the last epoch's validation did (the same images, the same crops, the same weights).
    for (const protocol of ['dense', 'multicrop', 'center']) {
      const e = vgglabSync(dataDir, ['eval', '1', '--protocol', protocol, ...(protocol === 'center' ? ['--scales', '32'] : []), '--json'], ENV);
      expect(e.code, e.stderr).toBe(0);
    }
    const app = createApp({ dataDir });
    try {
      const evals = app.evaluations.list(1);
      expect(evals.map((e) => e.details.route)).toEqual(['torch engine', 'torch engine', 'torch engine']);
      const center = evals.find((e) => e.protocol === 'center')!;
      const lastVal = app.runs.get(1).summary!.val.top1!;
      expect(Math.abs(1 - center.top1Error! / 100 - lastVal)).toBeLessThanOrEqual(1 / 256 + 1e-9);
    } finally {
      await app.close();
    }
  });

  it('a run SIGKILLed after its second checkpoint resumes on torch with the unbroken run’s loss at every step (within 1e-6)', async () => {
    const dataDir = await dataFolder();
    const train = ['train', ...SMALL, '--backend', 'torch', '--epochs', '5', '--json'];
    const whole = vgglabSync(dataDir, train, ENV);
    expect(whole.code, whole.stderr).toBe(0);
    // The engine timed both memory layouts at the first step and kept the faster; the two round
    // differently, so run 2 is given run 1's, and its resume must keep it from the checkpoint alone.
    const measured = notes(dataDir, 1).find((m) => m.startsWith('torch memory layout'));
    expect(measured).toMatch(/^torch memory layout: (NCHW|channels_last) \(measured on the first batch/);
    const layout = measured!.includes('channels_last (') ? '1' : '0';
    const { proc, done } = vgglab(dataDir, train, { ...ENV, VGGLAB_TORCH_CHANNELS_LAST: layout });
    await waitInDb(dataDir, "run 2's second checkpoint", (d) => (d.prepare('SELECT count(*) FROM checkpoints WHERE run_id = 2').pluck().get() as number) >= 2, { watch: { trainer: proc } });
    proc.kill('SIGKILL');
    expect((await done).code, 'the run finished before it could be killed').toBeNull();
    const res = vgglabSync(dataDir, ['resume', '2', '--json'], ENV);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json).toMatchObject({ runId: 2, status: 'completed', epochs: 5 });
    expect(notes(dataDir, 2).filter((m) => m.startsWith('torch memory layout'))).toEqual([
      `torch memory layout: ${measured!.split(' ')[3]} (set by VGGLAB_TORCH_CHANNELS_LAST)`,
      `torch memory layout: ${measured!.split(' ')[3]} (kept from the checkpoint)`,
    ]);
    const a = losses(dataDir, 1);
    const b = losses(dataDir, 2);
    expect(a).toHaveLength(5 * 16);
    expect(b).toHaveLength(a.length);
    a.forEach((v, i) => expect(Math.abs(b[i]! - v), `step ${i + 1}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(v))));
  });

  it.skipIf(!native.available)('a checkpoint written on torch resumes on native, and one written on native resumes on torch', async () => {
    const dataDir = await dataFolder();
    for (const [id, from, to] of [[1, 'torch', 'native'], [2, 'native', 'torch']] as const) {
      const first = vgglab(dataDir, ['train', ...SMALL, '--backend', from, '--epochs', '100000', '--json'], ENV);
      await waitInDb(dataDir, `run ${id}'s first checkpoint`, (d) => (d.prepare('SELECT count(*) FROM checkpoints WHERE run_id = ?').pluck().get(id) as number) >= 1, { watch: { trainer: first.proc } });
      first.proc.kill('SIGINT');
      expect((await first.done).json).toMatchObject({ runId: id, status: 'stopped' });
      await goesOn(dataDir, id, ['--backend', to], to);
    }
  });

  it('its engine SIGKILLed mid-epoch: the run fails saying so, keeps its checkpoint, and resumes', async () => {
    const dataDir = await dataFolder();
    const { proc, done } = vgglab(dataDir, ['train', ...SMALL, '--backend', 'torch', '--epochs', '100000', '--json'], ENV);
    await waitInDb(dataDir, 'the first checkpoint and steps after it', (d) => (d.prepare("SELECT count(*) FROM metrics WHERE run_id = 1 AND name = 'loss'").pluck().get() as number) >= 24, { watch: { trainer: proc } });
    const pid = enginePid(proc.pid!);
    expect(pid, 'the engine process').not.toBeNull();
    process.kill(pid!, 'SIGKILL');
    const r = await done;
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ runId: 1, status: 'failed' });
    const error = scalar(dataDir, 'SELECT error FROM runs WHERE id = 1') as string;
    expect(error).toMatch(/the torch engine exited \(SIGKILL\)/);
    // Mid-run when the fault hit: past the first epoch's 16 steps of an endless run.
    expect(losses(dataDir, 1).length).toBeGreaterThan(16);
    expect(scalar(dataDir, 'SELECT count(*) FROM checkpoints WHERE run_id = 1')).toBeGreaterThanOrEqual(1);
    await goesOn(dataDir, 1, [], 'torch');
  });

  it('its engine stops answering: killed after the timeout, and the run fails saying so', async () => {
    const dataDir = await dataFolder();
    const { proc, done } = vgglab(dataDir, ['train', ...SMALL, '--backend', 'torch', '--epochs', '100000', '--json'], { ...ENV, VGGLAB_TORCH_TIMEOUT_S: '3' });
    await waitInDb(dataDir, 'steps recorded', (d) => (d.prepare("SELECT count(*) FROM metrics WHERE run_id = 1 AND name = 'loss'").pluck().get() as number) >= 8, { watch: { trainer: proc } });
    const pid = enginePid(proc.pid!)!;
    // A stopped process answers nothing, as a hung one: the watchdog kills it (SIGKILL reaches a stopped process).
    process.kill(pid, 'SIGSTOP');
    const r = await done;
    expect(r.code).toBe(1);
    expect(scalar(dataDir, 'SELECT error FROM runs WHERE id = 1')).toMatch(/the torch engine stopped answering: no reply to '\w+' in [34] s, and it used no CPU time, so it was killed/);
    await until('the stopped engine to be gone', () => !fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '), { timeoutMs: 10_000 });
  });

  it.skipIf(!!redisMissing())('a cluster worker started with --backend torch trains a run that leaves the backend to auto', async () => {
    const redis = await RedisServer.start({});
    try {
      const dataDir = tempDir();
      const artifacts = tempDir('vgglab-artifacts-');
      const w = vgglab(tempDir(), ['worker', '--queue', redis.url, '--artifacts', artifacts, '--name', 'torch-1', '--backend', 'torch'], ENV);
      const r = new Redis(redis.url);
      try {
        await until('worker torch-1 to come online', async () => (await r.exists(`${PREFIX}:worker:torch-1`)) === 1, { everyMs: 100, timeoutMs: 60_000, watch: { worker: w.proc } });
      } finally {
        r.disconnect();
      }
      const res = vgglabSync(dataDir, ['train', ...SMALL, '--epochs', '2', '--on', 'cluster', '--queue', redis.url, '--artifacts', artifacts, '--json'], ENV);
      expect(res.code, res.stderr).toBe(0);
      expect(res.json).toMatchObject({ status: 'completed', placement: 'cluster', worker: 'torch-1', backend: 'torch', epochs: 2 });
      expect(res.json.device).toMatch(/^torch /);
    } finally {
      await redis.dispose();
    }
  });

  it('missing Python or a device it does not have: the backend says why, and a run asking for it is refused with that', () => {
    const dataDir = tempDir();
    const noPython = vgglabSync(dataDir, ['train', '--config', 'A', '--backend', 'torch', '--epochs', '1', '--json'], { VGGLAB_PYTHON: '/nonexistent/python3' });
    expect(noPython.code).not.toBe(0);
    expect(noPython.stdout + noPython.stderr).toMatch(/backend 'torch' is not available: \/nonexistent\/python3 was not found/);
    const noDevice = vgglabSync(dataDir, ['train', '--config', 'A', '--backend', 'torch', '--epochs', '1', '--json'], { VGGLAB_TORCH_DEVICE: 'cuda:7' });
    expect(noDevice.code).not.toBe(0);
    expect(noDevice.stdout + noDevice.stderr).toMatch(/device cuda:7: (this PyTorch has no CUDA device|there are \d+ CUDA device)/);
  });
});
