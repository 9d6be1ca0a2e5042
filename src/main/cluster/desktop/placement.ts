// Runs trained on the cluster: recorded here, queued on Redis for a worker to take, taken in from
// the worker's stream (ingest.ts). The run service's placement port (services/placement.ts),
// implemented here, above the services.
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../../../shared/contract';
import { ACTIVE_STATUSES as ACTIVE, RESUMABLE_STATUSES as RESUMABLE, type RunDetail, type RunStatus, type TrainParams } from '../../../shared/domain';
import type { RunHooks, RunPlacement } from '../../services/placement';
import { resolveWarmStart } from '../../services/warmstart';
import type { CheckpointRow } from '../../store/checkpoints';
import { claimForCluster } from '../../store/cluster';
import type { Db } from '../../store/db';
import { insertEvent } from '../../store/metrics';
import { getRun, insertRun, markFinished } from '../../store/runs';
import { APP_VERSION } from '../../version';
import type { ClusterClient } from './client';
import { specFingerprint } from '../shared/fingerprint';
import type { ClusterLink } from './link';
import { artifactsRunDir } from '../shared/paths';
import type { JobData } from '../shared/protocol';

/** How long queueing a run may wait for Redis before the run is recorded as failed. */
const ENQUEUE_TIMEOUT_MS = 10_000;

export class ClusterPlacement implements RunPlacement {
  readonly name = 'cluster' as const;
  constructor(private readonly deps: { db: Db; link: ClusterLink; hooks: RunHooks }) {}

  /** The queue, or a refusal that says how to name one. */
  private cluster(): ClusterClient {
    const { link } = this.deps;
    const c = link.get();
    if (!c) throw new ContractError(`cannot run on the cluster: ${link.why()}`, 'bad_request', [{ field: 'on', message: link.why() }]);
    return c;
  }

  /**
   * Records the run as held by the queue and puts it there. The worker reads the dataset from its own
   * mount and checks it against the fingerprint of the copy seen here; a warm start's source weights
   * must be in the shared artifacts folder (a cluster run's are).
   */
  async start(params: TrainParams): Promise<{ id: number }> {
    const { db } = this.deps;
    const c = this.cluster();
    let warmStart: JobData['warmStart'];
    const ws = resolveWarmStart(db, params);
    if (ws) {
      const rel = path.relative(c.artifacts, ws.file);
      if (rel.startsWith('..') || path.isAbsolute(rel))
        throw new ContractError(`--init ${params.init}: run ${ws.runId}'s weights are not in the shared artifacts folder ${c.artifacts}, so no worker can read them; warm-start from a run trained on the cluster`, 'bad_request', [
          { field: 'init', message: `run ${ws.runId}'s weights are not in the shared artifacts folder` },
        ]);
      warmStart = { ...ws, file: rel };
    }
    const fingerprint = specFingerprint(params.dataset);
    const id = insertRun(db, params, APP_VERSION, null);
    await this.enqueue(c, id, fingerprint, warmStart);
    return { id };
  }

  /** The worker that takes it continues from the newest checkpoint in the artifacts folder, and says so in the stream. */
  async resume(run: RunDetail, _ck: CheckpointRow | null): Promise<void> {
    const c = this.cluster();
    if (!claimForCluster(this.deps.db, run.id, RESUMABLE)) throw new ContractError(`run ${run.id} was taken by another process meanwhile`, 'conflict');
    await this.enqueue(c, run.id, specFingerprint(run.params.dataset));
  }

  pause(run: RunDetail, on: boolean): Promise<{ id: number; paused: boolean }> {
    if (run.status !== 'running') throw new ContractError(`run ${run.id} is not running (status: ${run.status})`, 'conflict');
    return this.cluster()
      .control(run.id, on ? 'pause' : 'continue')
      .then(() => ({ id: run.id, paused: on }));
  }

  /** A queued run leaves the queue at once; one a worker holds is stopped there (it checkpoints first). */
  async stop(run: RunDetail): Promise<{ id: number; status: string }> {
    const { db, hooks } = this.deps;
    if (!ACTIVE.includes(run.status)) throw new ContractError(`run ${run.id} is not running (status: ${run.status})`, 'conflict');
    const c = this.cluster();
    if (await c.cancelWaiting(run.id)) {
      insertEvent(db, run.id, { step: run.step, epoch: run.epoch, kind: 'stop', payload: { reason: 'stopped before a worker took it' } });
      markFinished(db, run.id, 'stopped', null, null);
      hooks.publish(run.id);
      hooks.settle(run.id, 'stopped');
      return { id: run.id, status: 'stopped' };
    }
    await c.control(run.id, 'stop');
    return { id: run.id, status: 'stopping' };
  }

  /** Its checkpoints are in the shared artifacts folder, where this machine mounts it. */
  forget(run: RunDetail): void {
    const artifacts = this.deps.link.settings()?.artifacts;
    if (artifacts) fs.rmSync(artifactsRunDir(artifacts, this.deps.link.store, run.id), { recursive: true, force: true });
  }

  /** A cluster run's end may be taken in by another process on this folder: its row is looked at twice a second. */
  watchEnd(id: number, ended: (status: RunStatus) => void): () => void {
    const timer = setInterval(() => {
      let status: RunStatus | undefined;
      try {
        status = getRun(this.deps.db, id)?.status;
      } catch {
        return; // closing
      }
      if (!status || !ACTIVE.includes(status)) ended(status ?? 'failed');
    }, 500);
    return () => clearInterval(timer);
  }

  private async enqueue(c: ClusterClient, id: number, fingerprint: string | null, warmStart?: JobData['warmStart']): Promise<void> {
    const { db, hooks } = this.deps;
    const run = getRun(db, id)!;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        c.enqueue({ store: this.deps.link.store, runId: id, createdAt: run.createdAt, params: run.params, fingerprint, ...(warmStart ? { warmStart } : {}) }),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the queue at ${c.shownUrl} did not answer within ${ENQUEUE_TIMEOUT_MS / 1000} s`)), ENQUEUE_TIMEOUT_MS))),
      ]);
    } catch (err) {
      markFinished(db, id, 'failed', null, `could not queue the run on the cluster: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    hooks.publish(id);
    if (getRun(db, id)?.status === 'failed') hooks.settle(id, 'failed');
  }
}
