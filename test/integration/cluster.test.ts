// The cluster as a lab uses it: real Redis servers (started here), real `vgglab worker` processes,
// and the desktop's app on a real data folder. What must hold: a killed worker's run is finished by
// another from its newest checkpoint with every step recorded once; points made while the desktop
// was away are all taken in, once; a Redis restart loses and duplicates nothing; bad jobs are refused
// with a message and nothing run; the queue's password appears nowhere.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApp, type App } from '../../src/main/services/app';
import { jobIdOf, PREFIX, QUEUE_NAME, type JobData } from '../../src/main/cluster/protocol';
import { vgglab, vgglabSync } from '../cli-process';
import { skipNote, startRun, tempDir } from '../helpers';
import { makeTlsFiles, redisMissing, RedisServer } from '../redis';
import { makeImageFolder } from '../fixtures/datasets';
import type { TrainParamsInput } from '../../src/shared/domain';

const missing = redisMissing();
const PASSWORD = 'pw-Zq81-secret';

/** A short run; 16 images a step. */
const small = (over: Partial<TrainParamsInput> = {}): TrainParamsInput => ({
  config: 'A',
  width: 0.0625,
  batch: 16,
  trainSamples: 128,
  valSamples: 32,
  epochs: 3,
  schedule: 'none',
  on: 'cluster',
  ...over,
});

function startWorker(redis: RedisServer, artifacts: string, name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const w = vgglab(tempDir(), ['worker', '--queue', redis.url, '--artifacts', artifacts, '--name', name, ...extra], env);
  return w;
}

/** Resolves once the worker has announced itself (it is then taking jobs). */
async function online(redisUrl: string, name: string, env: { ca?: string } = {}): Promise<void> {
  const r = new Redis(redisUrl, env.ca ? { tls: { ca: fs.readFileSync(env.ca) } } : {});
  try {
    for (let i = 0; i < 600; i++) {
      if (await r.exists(`${PREFIX}:worker:${name}`)) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`worker ${name} did not come online`);
  } finally {
    r.disconnect();
  }
}

const trainSteps = (app: App, id: number) => app.db.prepare("SELECT step FROM metrics WHERE run_id = ? AND split = 'train' AND name = 'loss' ORDER BY rowid").pluck().all(id) as number[];
const valEpochs = (app: App, id: number) => app.db.prepare("SELECT epoch FROM metrics WHERE run_id = ? AND split = 'val' AND name = 'top1' ORDER BY rowid").pluck().all(id) as number[];
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function until(what: string, ready: () => boolean, timeoutMs = 240_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!!missing)(`cluster: BullMQ on Redis${skipNote(missing)}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start({ password: PASSWORD });
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('trains a run on a worker through the CLI; the run is ordinary in the store; the password appears nowhere', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'gpu-a');
    try {
      await online(redis.url, 'gpu-a');
      const listed = vgglabSync(dataDir, ['workers', '--queue', redis.url, '--json']);
      expect(listed.code).toBe(0);
      expect(listed.json.workers.map((x: { name: string }) => x.name)).toEqual(['gpu-a']);
      expect(listed.json.queue).toBe(`redis://:***@127.0.0.1:${redis.port}`);

      const res = vgglabSync(dataDir, ['train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '128', '--val-samples', '32', '--epochs', '3', '--schedule', 'none', '--on', 'cluster', '--queue', redis.url, '--artifacts', artifacts, '--json']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.json).toMatchObject({ status: 'completed', placement: 'cluster', worker: 'gpu-a', epochs: 3 });
      const shown = vgglabSync(dataDir, ['show', String(res.json.runId), '--json']);
      expect(shown.json).toMatchObject({ placement: 'cluster', worker: 'gpu-a', status: 'completed' });

      const app = createApp({ dataDir });
      try {
        const id = res.json.runId as number;
        // 128 images / 16 = 8 steps an epoch: every step once, in order; one validation point per epoch.
        expect(trainSteps(app, id)).toEqual(range(24));
        expect(valEpochs(app, id)).toEqual([1, 2, 3]);
        const cks = app.db.prepare('SELECT path FROM checkpoints WHERE run_id = ?').pluck().all(id) as string[];
        expect(cks.length).toBeGreaterThan(0);
        for (const p of cks) expect(p.startsWith(artifacts + path.sep) && fs.existsSync(p)).toBe(true);
      } finally {
        await app.close();
      }
      // Evaluation reads the checkpoint from the shared folder, as for a local run.
      const ev = vgglabSync(dataDir, ['eval', String(res.json.runId), '--protocol', 'center', '--json']);
      expect(ev.code, ev.stderr).toBe(0);
      expect(ev.json.top1Error).toBeTypeOf('number');

      w.proc.kill('SIGTERM');
      const out = await w.done;
      const everything = [listed.stdout, listed.stderr, res.stdout, res.stderr, shown.stdout, ev.stdout, ev.stderr, out.stdout, out.stderr, fs.readFileSync(path.join(dataDir, 'vgglab.db')).toString('latin1')];
      for (const text of everything) expect(text).not.toContain(PASSWORD);
    } finally {
      w.proc.kill('SIGKILL');
    }
  });

  it('a worker SIGKILLed mid-epoch: its run is finished by the other worker from the newest checkpoint, every step and epoch recorded once', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const workers = { w1: startWorker(redis, artifacts, 'w1'), w2: startWorker(redis, artifacts, 'w2') };
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    try {
      await Promise.all([online(redis.url, 'w1'), online(redis.url, 'w2')]);
      // 256 images / 16 = 16 steps an epoch, 4 epochs.
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push((await startRun(app, small({ trainSamples: 256, epochs: 4, seed: i + 1 }))).id);
      // The victim: a run some worker holds, past its first checkpoint and a few steps into the next epoch.
      let victim: { id: number; worker: 'w1' | 'w2' } | null = null;
      await until('a run mid-epoch after a checkpoint', () => {
        for (const id of ids) {
          const r = app.db.prepare("SELECT worker, status, step FROM runs WHERE id = ?").get(id) as { worker: 'w1' | 'w2' | null; status: string; step: number };
          const ck = app.db.prepare('SELECT max(step) FROM checkpoints WHERE run_id = ?').pluck().get(id) as number | null;
          const last = Math.max(0, ...trainSteps(app, id));
          if (r.status === 'running' && r.worker && ck && last >= ck + 3 && last % 16 !== 0) {
            victim = { id, worker: r.worker };
            return true;
          }
        }
        return false;
      });
      const { id: victimId, worker: victimWorker } = victim!;
      workers[victimWorker].proc.kill('SIGKILL');
      const statuses = await Promise.all(ids.map((id) => app.runs.waitFor(id)));
      expect(statuses).toEqual(['completed', 'completed', 'completed', 'completed']);
      for (const id of ids) {
        expect(trainSteps(app, id).sort((a, b) => a - b)).toEqual(range(64));
        expect(valEpochs(app, id)).toEqual([1, 2, 3, 4]);
      }
      const survivor = victimWorker === 'w1' ? 'w2' : 'w1';
      expect(app.runs.get(victimId).worker).toBe(survivor);
      const resumed = app.runs.events(victimId).filter((e) => e.kind === 'resume');
      expect(resumed).toHaveLength(1);
      expect(resumed[0]!.step % 16).toBe(0);
    } finally {
      for (const w of Object.values(workers)) w.proc.kill('SIGKILL');
      await app.close();
    }
  });

  it('the desktop away: points made meanwhile wait in Redis and are all taken in, in order, once, when it comes back', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'w3');
    const r = new Redis(redis.url);
    try {
      await online(redis.url, 'w3');
      // 256 steps: far more than the worker makes between the desktop's first stored point and its
      // kill (tens of milliseconds), however fast the machine, so that most of the run is made while
      // the desktop is away.
      const desk = vgglab(dataDir, ['train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '1024', '--val-samples', '32', '--epochs', '4', '--schedule', 'none', '--on', 'cluster', '--queue', redis.url, '--artifacts', artifacts, '--json']);
      let id = 0;
      let seen = 0;
      await until('the first points in the store', () => {
        if (!fs.existsSync(path.join(dataDir, 'vgglab.db'))) return false;
        const app = createApp({ dataDir });
        try {
          id = app.runs.list()[0]?.id ?? 0;
          seen = id > 0 ? trainSteps(app, id).length : 0;
          return seen > 0;
        } finally {
          void app.close();
        }
      });
      desk.proc.kill('SIGKILL');
      expect(seen).toBeLessThan(256);
      await desk.done;
      // The worker goes on alone: wait until its stream holds the run's end.
      const key = `${PREFIX}:stream:${fs.readFileSync(path.join(dataDir, 'store-id'), 'utf8').trim()}:${id}`;
      let done = false;
      while (!done) {
        const last = (await r.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
        done = !!last[0] && last[0][1].join(' ').includes('"type":"done"');
        if (!done) await new Promise((res) => setTimeout(res, 100));
      }
      // What the worker made meanwhile waits in the stream (the desktop trims what it has taken in).
      expect(await r.xlen(key)).toBeGreaterThan(0);
      // Back: the app takes in what waited, once and in order, and the stream is gone.
      const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts } });
      try {
        expect(await app.runs.waitFor(id)).toBe('completed');
        expect(trainSteps(app, id)).toEqual(range(256));
        expect(valEpochs(app, id)).toEqual([1, 2, 3, 4]);
        expect(await r.exists(key)).toBe(0);
      } finally {
        await app.close();
      }
    } finally {
      r.disconnect();
      w.proc.kill('SIGKILL');
    }
  });

  it('Redis restarts mid-run (append-only file on): worker and desktop reconnect, the run completes, nothing lost or doubled', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'w4');
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    try {
      await online(redis.url, 'w4');
      const { id } = await startRun(app, small({ trainSamples: 256, epochs: 4 }));
      await until('points before the restart', () => trainSteps(app, id).length >= 4);
      await redis.stop();
      await new Promise((res) => setTimeout(res, 1500));
      await redis.start();
      expect(await app.runs.waitFor(id)).toBe('completed');
      expect(trainSteps(app, id)).toEqual(range(64));
      expect(valEpochs(app, id)).toEqual([1, 2, 3, 4]);
    } finally {
      w.proc.kill('SIGKILL');
      await app.close();
    }
  });

  it('stop, pause and continue reach the worker; a stopped cluster run resumes on the cluster from its checkpoint', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'w6');
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    try {
      await online(redis.url, 'w6');
      // 24 epochs of 16 steps: after each request (pause, continue, stop) the run must still be
      // training when the worker gets it through Redis (~0.1–0.3 s). With 6 epochs the run sometimes
      // finished between continue and stop; ~360 steps and 23 epoch ends left take seconds here, and
      // the whole step is the fastest this backend has.
      const { id } = await startRun(app, small({ trainSamples: 256, epochs: 24 }));
      await until('running past the first checkpoint', () => app.db.prepare('SELECT count(*) FROM checkpoints WHERE run_id = ?').pluck().get(id) !== 0 && trainSteps(app, id).length > 18);
      expect(await app.runs.pause(id, true)).toEqual({ id, paused: true });
      // Paused: the count of points stops growing (checked over 2 s after it settles).
      await new Promise((res) => setTimeout(res, 2000));
      const held = trainSteps(app, id).length;
      await new Promise((res) => setTimeout(res, 2000));
      expect(trainSteps(app, id).length).toBe(held);
      await app.runs.pause(id, false);
      await until('training again', () => trainSteps(app, id).length > held);
      expect(await app.runs.stop(id)).toEqual({ id, status: 'stopping' });
      expect(await app.runs.waitFor(id)).toBe('stopped');
      const at = Math.max(...trainSteps(app, id));
      const resumed = await app.runs.resume(id);
      // The stop's own checkpoint, after the last step it trained.
      expect(resumed.fromStep).toBe(at);
      expect(await app.runs.waitFor(id)).toBe('completed');
      expect(trainSteps(app, id).sort((a, b) => a - b)).toEqual(range(384));
      expect(valEpochs(app, id)).toEqual(range(24));
      expect(app.runs.events(id).filter((e) => e.kind === 'resume')).toHaveLength(1);
    } finally {
      w.proc.kill('SIGKILL');
      await app.close();
    }
  });

  it('SIGTERM to a worker hands its run back after a checkpoint; a worker started later finishes it, every step once', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const first = startWorker(redis, artifacts, 'w7');
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    let second: ReturnType<typeof startWorker> | null = null;
    try {
      await online(redis.url, 'w7');
      // 24 epochs, so that it is surely still training when the signal lands. Where in an epoch it
      // lands is not in the test's hands: the worker runs ahead of what the store has taken in
      // (every 200 ms), and a tiny model's epoch can pass between two looks.
      const { id } = await startRun(app, small({ trainSamples: 256, epochs: 24 }));
      let seen = 0;
      await until('training past the first epoch', () => {
        seen = Math.max(0, ...trainSteps(app, id));
        return seen > 20;
      });
      first.proc.kill('SIGTERM');
      const out = await first.done;
      expect(out.code).toBe(0);
      await until('the run back in the queue', () => app.runs.get(id).status === 'queued');
      expect(app.runs.events(id).some((e) => e.kind === 'note' && /worker w7 gave the run back to the queue/.test(String((e.payload as { message?: string }).message)))).toBe(true);
      second = startWorker(redis, artifacts, 'w8');
      expect(await app.runs.waitFor(id)).toBe('completed');
      expect(trainSteps(app, id).sort((a, b) => a - b)).toEqual(range(384));
      expect(valEpochs(app, id)).toEqual(range(24));
      expect(app.runs.get(id).worker).toBe('w8');
      // It went on from where w7 stopped (its stop checkpoint, or the end of the epoch it was in), not from an earlier checkpoint.
      const resumed = app.runs.events(id).filter((e) => e.kind === 'resume');
      expect(resumed).toHaveLength(1);
      expect(resumed[0]!.step).toBeGreaterThanOrEqual(seen);
    } finally {
      first.proc.kill('SIGKILL');
      second?.proc.kill('SIGKILL');
      await app.close();
    }
  });

  it('two desktop processes on one data folder take one stream in together: each fact lands once', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'w9');
    const a = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    const b = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    try {
      await online(redis.url, 'w9');
      const { id } = await startRun(a, small({ trainSamples: 256, epochs: 3 }));
      expect(await Promise.all([a.runs.waitFor(id), b.runs.waitFor(id)])).toEqual(['completed', 'completed']);
      expect(trainSteps(a, id)).toEqual(range(48));
      const events = a.runs.events(id).map((e) => `${e.kind} ${e.step} ${JSON.stringify(e.payload)}`);
      expect(new Set(events).size).toBe(events.length);
      expect(events.filter((e) => e.startsWith('checkpoint ')).length).toBeGreaterThan(0);
    } finally {
      w.proc.kill('SIGKILL');
      await a.close();
      await b.close();
    }
  });

  it('bad jobs are refused by the worker with a message on the run, and nothing is run: a payload off the schema, a path outside --data-root, a dataset that differs', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const root = tempDir('vgglab-data-root-');
    const inside = path.join(root, 'shapes');
    const outside = path.join(tempDir('vgglab-elsewhere-'), 'shapes');
    await makeImageFolder(inside, { perClass: 8 });
    await makeImageFolder(outside, { perClass: 8 });
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    let w: ReturnType<typeof startWorker> | null = null;
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: PREFIX });
    try {
      // Queued while no worker listens, then spoiled before one does.
      const offSchema = (await startRun(app, small())).id;
      const elsewhere = (await startRun(app, small({ dataset: `folder:${outside}` }))).id;
      const differs = (await startRun(app, small({ dataset: `folder:${inside}` }))).id;
      const store = fs.readFileSync(path.join(dataDir, 'store-id'), 'utf8').trim();
      const job = await queue.getJob(jobIdOf(store, offSchema));
      const data = job!.data as JobData;
      await job!.updateData({ ...data, params: { ...(data.params as object), batch: -3, config: 'Z' } });
      fs.writeFileSync(path.join(inside, fs.readdirSync(inside)[0]!, 'added-later.txt'), 'a file the desktop never saw');
      w = startWorker(redis, artifacts, 'w5', ['--data-root', root]);
      const statuses = await Promise.all([offSchema, elsewhere, differs].map((id) => app.runs.waitFor(id)));
      expect(statuses).toEqual(['failed', 'failed', 'failed']);
      expect(app.runs.get(offSchema).error).toMatch(/refused by worker w5: its parameters do not fit this worker's schema \(config: .*batch: /);
      expect(app.runs.get(elsewhere).error).toMatch(/refused by worker w5: .*outside the folders/);
      expect(app.runs.get(elsewhere).error).toContain('--data-root');
      expect(app.runs.get(differs).error).toMatch(/refused by worker w5: dataset folder:.* differs on host .* from the desktop's copy/);
      for (const id of [offSchema, elsewhere, differs]) {
        const run = app.runs.get(id);
        expect(run.backend).toBeNull();
        expect(run.startedAt).toBeNull();
        expect(trainSteps(app, id)).toEqual([]);
        expect(fs.existsSync(path.join(artifacts, store, 'runs', String(id), 'checkpoints'))).toBe(false);
      }
    } finally {
      w?.proc.kill('SIGKILL');
      await queue.close();
      connection.disconnect();
      await app.close();
    }
  });
});

describe.skipIf(!!missing)(`cluster over TLS${skipNote(missing)}`, () => {
  it('a rediss:// queue with a password and the lab\'s own CA trains a run', async () => {
    const tls = makeTlsFiles(tempDir('vgglab-tls-'));
    const redis = await RedisServer.start({ password: PASSWORD, tls });
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'tls-1', [], { VGGLAB_QUEUE_CA: tls.ca });
    const before = process.env.VGGLAB_QUEUE_CA;
    process.env.VGGLAB_QUEUE_CA = tls.ca;
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    try {
      expect(redis.url.startsWith('rediss://')).toBe(true);
      await online(redis.url, 'tls-1', { ca: tls.ca });
      const { id } = await startRun(app, small({ epochs: 2 }));
      expect(await app.runs.waitFor(id)).toBe('completed');
      expect(trainSteps(app, id)).toEqual(range(16));
      expect(app.runs.get(id).worker).toBe('tls-1');
    } finally {
      w.proc.kill('SIGKILL');
      await app.close();
      if (before === undefined) delete process.env.VGGLAB_QUEUE_CA;
      else process.env.VGGLAB_QUEUE_CA = before;
      await redis.dispose();
    }
  });
});
