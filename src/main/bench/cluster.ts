// `vgglab bench --on cluster`: what the queue costs. The same W2 run trains here and through a local
// `vgglab worker` and Redis; the figures are the trainer's images/s on each side, the wall time from
// start to the run's end in this store, and how long metric points take from Redis to this database.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { BackendName } from '../../shared/domain';
import { listBackends, chooseBackend } from '../training/backends';
import { WORKER_KEYS } from '../cluster/shared/protocol';
import { engineRun } from './run';
import { WORKLOADS } from './workloads';
import { freePort } from '../free-port';
import { projectFile } from '../root';

export interface ClusterBenchRow {
  workload: string;
  backend: string;
  localImagesPerSec: number | null;
  clusterImagesPerSec: number | null;
  /** cluster ÷ local, trainer images/s. */
  ratio: number | null;
  localWallSeconds: number;
  clusterWallSeconds: number;
  /** local ÷ cluster wall time (start to the run's end in this store, queueing and ingest included). */
  wallRatio: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  /** Metric-point batches measured. */
  batches: number;
  queue: string;
}

const CLI = projectFile('bin/vgglab.mjs');

/** A throwaway Redis on a free loopback port (none given with --queue). */
async function scratchRedis(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is not installed: give --queue URL, or install it (scripts/install-system-deps.sh)');
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const r = new Redis(url, { lazyConnect: true, retryStrategy: () => 100 });
  r.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    try {
      await r.connect();
      break;
    } catch {
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  r.disconnect();
  return { url, proc };
}

const pct = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : null);

export async function runClusterBench(opts: { backend?: BackendName; seconds: number; queue?: string; log: (s: string) => void }): Promise<ClusterBenchRow> {
  const w = WORKLOADS.find((x) => x.name === 'W2')!;
  const backend = chooseBackend(opts.backend ?? 'auto', await listBackends(opts.backend ? [opts.backend] : undefined));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-bench-cluster-'));
  let redis: { url: string; proc: ChildProcess } | null = null;
  let worker: ChildProcess | null = null;
  try {
    const queue = opts.queue ?? (redis = await scratchRedis(scratch)).url;
    // A first short run measures the rate, so that each epoch of the measured runs lasts about `seconds`.
    opts.log(`W2 on ${backend.name}: calibrating…`);
    const probe = await engineRun(path.join(scratch, 'calibrate'), w, backend.name, 30);
    const steps = Math.max(10, Math.round(((probe.imagesPerSec ?? 1000) * opts.seconds) / w.batch));
    opts.log(`W2 on ${backend.name}: here (${steps} steps per epoch)…`);
    const local = await engineRun(path.join(scratch, 'local'), w, backend.name, steps);
    const artifacts = path.join(scratch, 'artifacts');
    worker = spawn(process.execPath, [CLI, 'worker', '--queue', queue, '--artifacts', artifacts, '--name', `bench-${process.pid}`, '--backend', backend.name], { stdio: 'ignore' });
    const r = new Redis(queue);
    for (let i = 0; i < 600 && !(await r.keys(WORKER_KEYS.replace('*', `bench-${process.pid}`))).length; i++) await new Promise((res) => setTimeout(res, 100));
    r.disconnect();
    opts.log(`W2 on ${backend.name}: through a local worker and Redis…`);
    const latencies: number[] = [];
    const remote = await engineRun(path.join(scratch, 'desktop'), w, backend.name, steps, { cluster: { queue, artifacts, onApp: (app) => (app.cluster.onCommitted = (ms) => latencies.push(...ms)) } });
    return {
      workload: w.name,
      backend: backend.name,
      localImagesPerSec: local.imagesPerSec,
      clusterImagesPerSec: remote.imagesPerSec,
      ratio: local.imagesPerSec && remote.imagesPerSec ? remote.imagesPerSec / local.imagesPerSec : null,
      localWallSeconds: local.wallSeconds,
      clusterWallSeconds: remote.wallSeconds,
      wallRatio: local.wallSeconds / remote.wallSeconds,
      latencyP50Ms: pct(latencies, 0.5),
      latencyP95Ms: pct(latencies, 0.95),
      batches: latencies.length,
      queue: redis ? 'a scratch redis-server on this machine' : 'the given --queue',
    };
  } finally {
    worker?.kill('SIGTERM');
    if (worker && worker.exitCode === null) await new Promise((res) => worker!.once('exit', res));
    redis?.proc.kill('SIGTERM');
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
