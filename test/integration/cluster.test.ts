// The cluster as a lab uses it: real Redis servers (started here), real `vgglab worker` processes,
// and the desktop's app on a real data folder. What must hold: a killed worker's run is finished by
// another from its newest checkpoint with every step recorded once; points made while the desktop
// was away are all taken in, once; a Redis restart loses and duplicates nothing; bad jobs are refused
// with a message and nothing run; the queue's password appears nowhere.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createApp, type App } from '../../src/main/app';
import { decode, jobIdOf, PREFIX, QUEUE_NAME, type JobData } from '../../src/main/cluster/shared/protocol';
import { killed, vgglab, vgglabSync } from '../cli-process';
import { until } from '../wait';
import { skipNote, startRun, tempDir } from '../helpers';
import { makeTlsFiles, redisMissing, RedisServer } from '../redis';
import { makeImageFolder } from '../fixtures/datasets';
import type { TrainParamsInput } from '../../src/shared/domain';
import { need } from '../require';

const missing = need('redis', redisMissing());
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
async function online(redisUrl: string, name: string, w: { proc: ChildProcess }, env: { ca?: string } = {}): Promise<void> {
  const r = new Redis(redisUrl, env.ca ? { tls: { ca: fs.readFileSync(env.ca) } } : {});
  try {
    // A worker starts in a few seconds; 60 s leaves room for a machine ten times slower.
    await until(`worker ${name} to come online`, async () => (await r.exists(`${PREFIX}:worker:${name}`)) === 1, { everyMs: 100, timeoutMs: 60_000, watch: { [`worker ${name}`]: w.proc } });
  } finally {
    r.disconnect();
  }
}

const trainSteps = (app: App, id: number) => app.db.prepare("SELECT step FROM metrics WHERE run_id = ? AND split = 'train' AND name = 'loss' ORDER BY rowid").pluck().all(id) as number[];
const valEpochs = (app: App, id: number) => app.db.prepare("SELECT epoch FROM metrics WHERE run_id = ? AND split = 'val' AND name = 'top1' ORDER BY rowid").pluck().all(id) as number[];
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
/** Every step from 1 to the last recorded once, and one validation point per finished epoch, in order. */
function expectWhole(app: App, id: number): number {
  const steps = trainSteps(app, id).sort((a, b) => a - b);
  expect(steps.length, `run ${id} recorded no step`).toBeGreaterThan(0);
  expect(steps).toEqual(range(steps.length));
  const epochs = valEpochs(app, id);
  expect(epochs).toEqual(range(epochs.length));
  return steps.length;
}
/** Newest modification time of the run's checkpoint files still on disk (written by the worker). */
const newestCheckpointWrite = (app: App, id: number) =>
  Math.max(0, ...(app.db.prepare('SELECT path FROM checkpoints WHERE run_id = ?').pluck().all(id) as string[]).map((p) => fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0));
/** Runs that cannot end by themselves: a fault always lands mid-run, and the test stops them when it has seen what it needs. */
const ENDLESS = 100_000;

describe.skipIf(!!missing)(`cluster: BullMQ on Redis${skipNote(missing)}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start({ password: PASSWORD });
  });
  afterAll(async () => {
    await redis?.dispose();
  });
  // The tests share this Redis: whatever one leaves queued (an endless run, when it failed before
  // stopping it) is removed, so that the next test's workers take only the next test's runs.
  afterEach(async () => {
    if (!redis) return;
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: PREFIX });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('trains a run on a worker through the CLI; the run is ordinary in the store; the password appears nowhere', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'gpu-a');
    try {
      await online(redis.url, 'gpu-a', w);
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
      // A warm start on the cluster: B from that A, its weights read by the worker from the shared folder.
      const warm = vgglabSync(dataDir, ['train', '--config', 'B', '--init', `from:${res.json.runId}`, '--width', '0.0625', '--batch', '16', '--train-samples', '128', '--val-samples', '32', '--epochs', '1', '--schedule', 'none', '--on', 'cluster', '--queue', redis.url, '--artifacts', artifacts, '--json']);
      expect(warm.code, warm.stderr).toBe(0);
      expect(warm.json).toMatchObject({ status: 'completed', placement: 'cluster', worker: 'gpu-a', config: 'B' });
      {
        const app = createApp({ dataDir });
        try {
          const started = app.runs.events(warm.json.runId).find((e) => e.kind === 'warm_start');
          expect(started?.payload.fromRun).toBe(res.json.runId);
          // The paper's layers: A's first four convolutions and the three FC layers.
          expect(started?.payload.layers).toEqual(['block1_conv1', 'block2_conv1', 'block3_conv1', 'block3_conv2', 'fc1', 'fc2', 'predictions'].flatMap((l) => [`${l}/kernel`, `${l}/bias`]));
        } finally {
          await app.close();
        }
      }

      w.proc.kill('SIGTERM');
      const out = await w.done;
      const everything = [listed.stdout, listed.stderr, res.stdout, res.stderr, shown.stdout, ev.stdout, ev.stderr, warm.stdout, warm.stderr, out.stdout, out.stderr, fs.readFileSync(path.join(dataDir, 'vgglab.db')).toString('latin1')];
      for (const text of everything) expect(text).not.toContain(PASSWORD);
    } finally {
      w.proc.kill('SIGKILL');
    }
  });

  it('a worker SIGKILLed mid-epoch: its run is taken up by the other worker from the newest checkpoint, every step and epoch recorded once; queued runs stop at once', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    // One OpenMP thread each: two workers training at once on two cores (see shared-folder.test.ts).
    const one = { OMP_NUM_THREADS: '1' };
    const workers = { w1: startWorker(redis, artifacts, 'w1', [], one), w2: startWorker(redis, artifacts, 'w2', [], one) };
    const bothAlive = { watch: { w1: workers.w1.proc, w2: workers.w2.proc } };
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: PREFIX });
    try {
      await Promise.all([online(redis.url, 'w1', workers.w1), online(redis.url, 'w2', workers.w2)]);
      // 256 images / 16 = 16 steps an epoch. The runs never end by themselves, so each worker holds
      // one for the whole test and the other two wait in the queue: every state below holds by
      // construction, not by the machine's speed.
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) ids.push((await startRun(app, small({ trainSamples: 256, epochs: ENDLESS, seed: i + 1 }))).id);
      const held = () => ids.filter((id) => app.runs.get(id).worker !== null);
      await until('both workers holding a run', () => held().length === 2, bothAlive);
      const waiting = ids.filter((id) => !held().includes(id));
      // A queued cluster run stops at once: it leaves the queue, and no worker ever starts it.
      const store = fs.readFileSync(path.join(dataDir, 'store-id'), 'utf8').trim();
      for (const id of waiting) {
        expect(app.runs.get(id).status).toBe('queued');
        expect(await app.runs.stop(id)).toEqual({ id, status: 'stopped' });
        expect(await queue.getJob(jobIdOf(store, id))).toBeFalsy();
        expect(app.runs.events(id).find((e) => e.kind === 'stop')?.payload.reason).toBe('stopped before a worker took it');
      }
      // The victim: a run past its first checkpoint and a few steps into the next epoch.
      let victim: { id: number; worker: 'w1' | 'w2' } | null = null;
      await until(
        'a run mid-epoch after a checkpoint',
        () => {
          for (const id of held()) {
            const r = app.db.prepare('SELECT worker, status FROM runs WHERE id = ?').get(id) as { worker: 'w1' | 'w2'; status: string };
            const ck = app.db.prepare('SELECT max(step) FROM checkpoints WHERE run_id = ?').pluck().get(id) as number | null;
            const last = Math.max(0, ...trainSteps(app, id));
            if (r.status === 'running' && ck && last >= ck + 3 && last % 16 !== 0) {
              victim = { id, worker: r.worker };
              return true;
            }
          }
          return false;
        },
        bothAlive,
      );
      const { id: victimId, worker: victimWorker } = victim!;
      const survivor = victimWorker === 'w1' ? 'w2' : 'w1';
      const other = held().find((id) => id !== victimId)!;
      await killed(workers[victimWorker].proc);
      expect(app.runs.get(victimId).status).toBe('running');
      // The survivor ends its own run, then takes up the victim's once the queue sees it stalled.
      expect(await app.runs.stop(other)).toEqual({ id: other, status: 'stopping' });
      expect(await app.runs.waitFor(other)).toBe('stopped');
      await until(`run ${victimId} resumed on ${survivor} and two epochs on`, () => {
        const resume = app.runs.events(victimId).find((e) => e.kind === 'resume');
        return !!resume && Math.max(0, ...trainSteps(app, victimId)) >= resume.step + 32;
      }, { watch: { [survivor]: workers[survivor].proc } });
      await app.runs.stop(victimId);
      expect(await app.runs.waitFor(victimId)).toBe('stopped');
      for (const id of [victimId, other]) expectWhole(app, id);
      expect(app.runs.get(victimId).worker).toBe(survivor);
      const resumed = app.runs.events(victimId).filter((e) => e.kind === 'resume');
      expect(resumed).toHaveLength(1);
      expect(resumed[0]!.step % 16).toBe(0);
      for (const id of waiting) {
        const run = app.runs.get(id);
        expect(run).toMatchObject({ status: 'stopped', backend: null, startedAt: null, worker: null });
        expect(trainSteps(app, id)).toEqual([]);
      }
    } finally {
      await queue.close();
      connection.disconnect();
      await app.close();
    }
  });

  it('the desktop away: points made meanwhile wait in Redis and are all taken in, in order, once, when it comes back', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'w3');
    const r = new Redis(redis.url);
    try {
      await online(redis.url, 'w3', w);
      // A run that never ends by itself: it is surely training while the desktop is away.
      const desk = vgglab(dataDir, ['train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '256', '--val-samples', '32', '--epochs', String(ENDLESS), '--schedule', 'none', '--on', 'cluster', '--queue', redis.url, '--artifacts', artifacts, '--json']);
      let id = 0;
      await until(
        'the first points in the store',
        () => {
          if (!fs.existsSync(path.join(dataDir, 'vgglab.db'))) return false;
          const app = createApp({ dataDir });
          try {
            id = app.runs.list()[0]?.id ?? 0;
            return id > 0 && trainSteps(app, id).length > 0;
          } finally {
            void app.close();
          }
        },
        { watch: { desktop: desk.proc, worker: w.proc } },
      );
      await killed(desk.proc);
      const awayFrom = Date.now();
      // Points the worker makes while the desktop is away wait in the stream: wait for a training
      // point whose stream entry is younger than the kill (Redis stamps each entry with its time).
      const key = `${PREFIX}:stream:${fs.readFileSync(path.join(dataDir, 'store-id'), 'utf8').trim()}:${id}`;
      let madeAway = 0;
      await until(
        'a point made after the desktop went away',
        async () => {
          for (const [entry, fields] of (await r.xrevrange(key, '+', '-', 'COUNT', 50)) as [string, string[]][]) {
            const msg = decode(fields)?.msg;
            if (Number(entry.split('-')[0]) > awayFrom && msg?.type === 'metrics') madeAway = Math.max(madeAway, ...msg.points.map((p) => p.step));
          }
          return madeAway > 0;
        },
        { everyMs: 100, watch: { worker: w.proc } },
      );
      // Back: the app takes in what waited, once and in order, stops the run, and the stream is gone.
      const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
      try {
        await app.runs.stop(id);
        expect(await app.runs.waitFor(id)).toBe('stopped');
        expect(expectWhole(app, id)).toBeGreaterThanOrEqual(madeAway);
        await until('the stream removed once taken in', async () => (await r.exists(key)) === 0, { timeoutMs: 30_000 });
      } finally {
        await app.close();
      }
    } finally {
      r.disconnect();
    }
  });

  it('Redis restarts mid-run (append-only file on): worker and desktop reconnect, the run goes on, nothing lost or doubled', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'w4');
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    try {
      await online(redis.url, 'w4', w);
      // A run that never ends by itself: it is mid-run when Redis stops, by construction.
      const { id } = await startRun(app, small({ trainSamples: 256, epochs: ENDLESS }));
      await until('points before the restart', () => trainSteps(app, id).length >= 4, { watch: { worker: w.proc } });
      await redis.stop();
      expect(app.runs.get(id).status).toBe('running');
      await new Promise((res) => setTimeout(res, 1500));
      await redis.start();
      const back = Date.now();
      // The worker went on after the restart: a checkpoint it wrote later than that, taken in by the desktop.
      await until('a checkpoint written after the restart', () => newestCheckpointWrite(app, id) > back, { watch: { worker: w.proc } });
      await app.runs.stop(id);
      expect(await app.runs.waitFor(id)).toBe('stopped');
      expectWhole(app, id);
    } finally {
      await app.close();
    }
  });

  it('stop, pause and continue reach the worker; a stopped cluster run resumes on the cluster from its checkpoint', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const w = startWorker(redis, artifacts, 'w6');
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    const watch = { watch: { worker: w.proc } };
    try {
      await online(redis.url, 'w6', w);
      // A run that never ends by itself: each request (pause, continue, stop) reaches it while it
      // trains, however fast the machine.
      const { id } = await startRun(app, small({ trainSamples: 256, epochs: ENDLESS }));
      await until('running past the first checkpoint', () => app.db.prepare('SELECT count(*) FROM checkpoints WHERE run_id = ?').pluck().get(id) !== 0 && trainSteps(app, id).length > 18, watch);
      expect(await app.runs.pause(id, true)).toEqual({ id, paused: true });
      // Paused: the count of points stops growing (checked over 2 s after it settles: the request
      // reaches the worker within ~0.5 s and the store takes points in every 0.2 s).
      await new Promise((res) => setTimeout(res, 2000));
      const held = trainSteps(app, id).length;
      await new Promise((res) => setTimeout(res, 2000));
      expect(trainSteps(app, id).length).toBe(held);
      expect(app.runs.get(id).status).toBe('running');
      await app.runs.pause(id, false);
      await until('training again', () => trainSteps(app, id).length > held, watch);
      expect(await app.runs.stop(id)).toEqual({ id, status: 'stopping' });
      expect(await app.runs.waitFor(id)).toBe('stopped');
      const at = Math.max(...trainSteps(app, id));
      const resumed = await app.runs.resume(id);
      // The stop's own checkpoint, after the last step it trained.
      expect(resumed.fromStep).toBe(at);
      await until('two epochs after the resume', () => Math.max(...trainSteps(app, id)) >= at + 32, watch);
      await app.runs.stop(id);
      expect(await app.runs.waitFor(id)).toBe('stopped');
      expectWhole(app, id);
      expect(app.runs.events(id).filter((e) => e.kind === 'resume')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('SIGTERM to a worker hands its run back after a checkpoint; a worker started later takes it up, every step once; the first tells it all as JSON lines', async () => {
    const dataDir = tempDir();
    const artifacts = tempDir('vgglab-artifacts-');
    const first = startWorker(redis, artifacts, 'w7', ['--json']);
    const app = createApp({ dataDir, cluster: { queue: redis.url, artifacts }, connectCluster: true });
    try {
      await online(redis.url, 'w7', first);
      // A run that never ends by itself, so that it is surely training when the signal lands. Where
      // in an epoch it lands is not in the test's hands: the worker runs ahead of what the store has
      // taken in (every 200 ms), and a tiny model's epoch can pass between two looks.
      const { id } = await startRun(app, small({ trainSamples: 256, epochs: ENDLESS }));
      let seen = 0;
      await until(
        'training past the first epoch',
        () => {
          seen = Math.max(0, ...trainSteps(app, id));
          return seen > 20;
        },
        { watch: { worker: first.proc } },
      );
      first.proc.kill('SIGTERM');
      const out = await first.done;
      expect(out.code).toBe(0);
      // --json: every stdout line is one event object with its time; the run's story in order.
      const events = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; time: string; runId?: number; [k: string]: unknown });
      expect(events.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true);
      const kinds = events.map((e) => e.event);
      expect(kinds.filter((k) => k !== 'epoch')).toEqual(['started', 'run-started', 'stopping', 'handback', 'stopped']);
      // Epochs between the start and the hand-back (one may end in the step the signal waited for).
      expect(kinds.indexOf('epoch')).toBeGreaterThan(kinds.indexOf('run-started'));
      expect(kinds.lastIndexOf('epoch')).toBeLessThan(kinds.indexOf('handback'));
      expect(events[0]).toMatchObject({ worker: 'w7', backend: expect.any(String) });
      expect(events[1]).toMatchObject({ runId: id, fromStep: 0 });
      const epochs = events.filter((e) => e.event === 'epoch');
      expect(epochs.map((e) => e.epoch)).toEqual(range(epochs.length));
      for (const e of epochs) expect(e).toMatchObject({ runId: id, step: expect.any(Number), lr: expect.any(Number), trainLoss: expect.any(Number), valTop1: expect.any(Number) });
      expect(events.find((e) => e.event === 'stopping')).toMatchObject({ signal: 'SIGTERM' });
      await until('the run back in the queue', () => app.runs.get(id).status === 'queued');
      expect(app.runs.events(id).some((e) => e.kind === 'note' && /worker w7 gave the run back to the queue/.test(String((e.payload as { message?: string }).message)))).toBe(true);
      const second = startWorker(redis, artifacts, 'w8');
      await until('the run taken up by w8, two epochs on', () => {
        const resume = app.runs.events(id).find((e) => e.kind === 'resume');
        return !!resume && Math.max(...trainSteps(app, id)) >= resume.step + 32;
      }, { watch: { worker: second.proc } });
      await app.runs.stop(id);
      expect(await app.runs.waitFor(id)).toBe('stopped');
      expectWhole(app, id);
      expect(app.runs.get(id).worker).toBe('w8');
      // Without --json, the same events as lines of text on stderr.
      second.proc.kill('SIGTERM');
      const text = (await second.done).stderr;
      expect(text).toMatch(new RegExp(`worker w8: run ${id} \\(.+\\) resumed from step \\d+`));
      expect(text).toMatch(new RegExp(`worker w8: run ${id} stopped`));
      // It went on from where w7 stopped (its stop checkpoint, or the end of the epoch it was in), not from an earlier checkpoint.
      const resumed = app.runs.events(id).filter((e) => e.kind === 'resume');
      expect(resumed).toHaveLength(1);
      expect(resumed[0]!.step).toBeGreaterThanOrEqual(seen);
    } finally {
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
      await online(redis.url, 'w9', w);
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

  it('bad jobs are refused by the worker with a message on the run, and nothing is run: a payload off the schema, a path outside --dataset-folders, a dataset that differs', async () => {
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
      w = startWorker(redis, artifacts, 'w5', ['--dataset-folders', root]);
      const statuses = await Promise.all([offSchema, elsewhere, differs].map((id) => app.runs.waitFor(id)));
      expect(statuses).toEqual(['failed', 'failed', 'failed']);
      expect(app.runs.get(offSchema).error).toMatch(/refused by worker w5: its parameters do not fit this worker's schema \(config: .*batch: /);
      expect(app.runs.get(elsewhere).error).toMatch(/refused by worker w5: .*outside the folders/);
      expect(app.runs.get(elsewhere).error).toContain('--dataset-folders');
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
      await online(redis.url, 'tls-1', w, { ca: tls.ca });
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
