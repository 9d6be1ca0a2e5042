// Reading runs from the CLI (runs, show) without building the app: the database, the sweep that
// marks runs of dead owners interrupted, and the cluster's streams taken in only where cluster runs
// are active. These are what scripts call in loops, so they start fast.
import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../../../shared/contract';
import { describeEvent } from '../../../shared/event-text';
import type { ConfigName, RunStatus } from '../../../shared/domain';
import { pct } from '../../../shared/format';
import { resolveDataDir } from '../../paths';
import { Ownership } from '../../services/ownership';
import { activeClusterRuns } from '../../store/cluster';
import { openDatabase, type Db } from '../../store/db';
import { listEvents } from '../../store/metrics';
import { getRun, listRuns } from '../../store/runs';
import { table } from '../format';
import { printJson, type Globals } from '../output';
import { summaryJson, summaryLine } from './summary';

/** The data folder's database, swept; with active cluster runs, their streams taken in first (that needs the app). */
async function openStore(g: Globals): Promise<{ db: Db; close: () => void }> {
  const dataDir = resolveDataDir(g.dataDir);
  const db = openDatabase(dataDir);
  if (activeClusterRuns(db).length) {
    db.close();
    const { createApp } = await import('../../app');
    const app = createApp({ dataDir, transport: 'cli' });
    await app.cluster.catchUp();
    return { db: app.db, close: () => void app.close() };
  }
  new Ownership({ db, publish: () => {}, settle: () => {}, stop: () => {}, pause: () => {} }).sweep();
  return { db, close: () => db.close() };
}

export interface RunsFilter {
  status?: RunStatus;
  config?: ConfigName;
  tag?: string;
  backend?: string;
  /** ISO date or date-time: runs created at or after it. */
  since?: string;
  limit?: number;
  json?: boolean;
}

export async function runsCommand(g: Globals, opts: RunsFilter): Promise<number> {
  const store = await openStore(g);
  const since = opts.since === undefined ? null : Date.parse(opts.since);
  const runs = listRuns(store.db)
    .filter((r) => (!opts.status || r.status === opts.status) && (!opts.config || r.config === opts.config) && (!opts.tag || r.tags.includes(opts.tag)) && (!opts.backend || r.backend === opts.backend) && (since === null || Date.parse(r.createdAt) >= since))
    .slice(0, opts.limit ?? Infinity);
  store.close();
  if (opts.json) {
    printJson({ runs });
    return 0;
  }
  if (!runs.length) {
    console.log(Object.keys(opts).some((k) => k !== 'json') ? 'no runs match' : 'no runs yet: start one with `vgglab train --config A`');
    return 0;
  }
  console.log(
    table(
      ['id', 'config', 'status', 'epoch', 'dataset', 'backend', 'val top1', 'tags', 'created'],
      runs.map((r) => [r.id, r.config, r.status, `${r.epoch}/${r.epochs}`, r.dataset, r.backend ?? '-', pct(r.valTop1), r.tags.join(','), r.createdAt.replace('T', ' ').slice(0, 19)]),
    ),
  );
  return 0;
}

export async function showCommand(g: Globals, id: number, opts: { json?: boolean }): Promise<number> {
  const store = await openStore(g);
  try {
    const run = getRun(store.db, id);
    if (!run) throw new ContractError(`run ${id} does not exist`, 'not_found');
    const events = listEvents(store.db, id);
    if (opts.json) printJson({ ...summaryJson(run), params: run.params, createdAt: run.createdAt, startedAt: run.startedAt, endedAt: run.endedAt, events });
    else {
      console.log(summaryLine(run));
      console.log(`params: ${JSON.stringify(run.params)}`);
      for (const e of events) console.log(`  epoch ${e.epoch}, step ${e.step}: ${describeEvent(e)}`);
    }
    return 0;
  } finally {
    store.close();
  }
}

/** Run ids for shell completion, newest first; none where the data folder has no database yet. */
export async function runIdsForCompletion(g: Globals): Promise<number[]> {
  const dataDir = resolveDataDir(g.dataDir);
  if (!fs.existsSync(path.join(dataDir, 'vgglab.db'))) return [];
  const db = openDatabase(dataDir);
  try {
    return listRuns(db, 200).map((r) => r.id);
  } finally {
    db.close();
  }
}
