// The cluster from the command line: `vgglab worker` (take training jobs from the queue on this
// host) and `vgglab workers` (who is online).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BackendChoice } from '../../../shared/domain';
import { eventPrinter } from '../../cluster/remote/events';
import { ClusterWorker } from '../../cluster/remote/queue-worker';
import { checkQueueUrl, redact } from '../../cluster/shared/settings';
import { clusterStatus } from '../../cluster/desktop/status';
import { table } from '../format';
import { UsageError } from '../options';
import { openApp, printJson, type Globals } from './common';

export async function workerCommand(opts: { json?: boolean; queue?: string; artifacts?: string; backend: BackendChoice; name?: string; datasetFolders?: string[]; device?: number }): Promise<number> {
  const queue = opts.queue ?? process.env.VGGLAB_QUEUE;
  if (!queue) throw new UsageError('--queue URL is required (or VGGLAB_QUEUE): the Redis the desktop queues runs on, e.g. redis://:PASSWORD@HOST:6379');
  try {
    checkQueueUrl(queue);
  } catch (err) {
    throw new UsageError(`--queue: ${(err as Error).message}`);
  }
  const artifacts = opts.artifacts ?? process.env.VGGLAB_ARTIFACTS;
  if (!artifacts) throw new UsageError('--artifacts DIR is required (or VGGLAB_ARTIFACTS): the shared folder checkpoints go to, mounted on every worker and the desktop');
  fs.mkdirSync(artifacts, { recursive: true });
  for (const r of opts.datasetFolders ?? []) if (!fs.existsSync(r)) throw new UsageError(`--dataset-folders ${r}: no such folder`);
  // One worker per GPU: CUDA numbers the devices; set before any backend is probed or loaded.
  if (opts.device !== undefined) process.env.CUDA_VISIBLE_DEVICES = String(opts.device);
  const worker = new ClusterWorker({
    queue,
    artifacts: path.resolve(artifacts),
    backend: opts.backend,
    name: opts.name ?? `${os.hostname()}-${process.pid}`,
    dataRoots: opts.datasetFolders ?? [],
    report: eventPrinter(!!opts.json),
  });
  try {
    const backend = await worker.start();
    if (opts.device !== undefined && backend !== 'tensorflow-gpu' && backend !== 'torch')
      process.stderr.write(`warning: --device ${opts.device} chooses a CUDA device; it has no effect on the ${backend} backend this worker uses\n`);
  } catch (err) {
    await worker.stop();
    throw new Error(`worker: ${(err as Error).message}`);
  }
  await new Promise<void>((resolve) => {
    const shut = (sig: string) => void worker.stop(sig).then(resolve);
    process.once('SIGINT', () => shut('SIGINT'));
    process.once('SIGTERM', () => shut('SIGTERM'));
  });
  return 0;
}

export async function workersCommand(g: Globals, opts: { json?: boolean; queue?: string }): Promise<number> {
  const app = openApp(g, 'cli', { queue: opts.queue });
  try {
    const s = await clusterStatus(app.cluster);
    if (opts.json) {
      printJson(s);
      return s.reachable ? 0 : 1;
    }
    if (!s.queue) {
      console.log(`no queue is configured: ${app.cluster.why()}`);
      return 1;
    }
    if (!s.reachable) {
      console.log(`queue ${s.queue}: not reachable (${s.error})`);
      return 1;
    }
    console.log(`queue ${redact(s.queue)} (${s.source}), artifacts ${s.artifacts}: ${s.workers.length} worker(s) online`);
    if (s.workers.length)
      console.log(
        table(
          ['name', 'host', 'backend', 'device', 'free MiB', 'run', 'last heartbeat'],
          s.workers.map((w) => [w.name, w.host, w.backend, w.device, w.freeMemoryMb, w.runId ?? '-', w.heartbeatAt.replace('T', ' ').slice(0, 19)]),
        ),
      );
    return 0;
  } finally {
    await app.close();
  }
}
