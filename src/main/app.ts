// Composition root: one database, one bus, one scheduler, the services, the run placements (this
// machine, the cluster), and the handler table that both transports dispatch to. It sits above the
// services and the cluster, and is the one place that knows both.
import { ContractError, type Handlers } from '../shared/contract';
import { openDatabase, type Db } from './store/db';
import { HEARTBEAT_MS, Ownership, thisProcess } from './services/ownership';
import { LocalPlacement } from './services/local-placement';
import { ClusterPlacement } from './cluster/desktop/placement';
import { ExternalRuns } from './services/external';
import { listCheckpoints } from './store/checkpoints';
import { metricSeries } from './store/metrics';
import { listBackends } from './training/backends';
import type { BackendChoice } from '../shared/domain';
import { APP_VERSION } from './version';
import { EventBus } from './services/bus';
import { compareRows } from './services/compare';
import { exportRuns } from './services/export';
import { DatasetService } from './services/datasets';
import { allowAnyPath, specPath, type PathPolicy } from './services/paths-policy';
import { withUploads } from './services/predict-uploads';
import { classNamesOf } from './data/class-names';
import { listModels, measuredRates, memoryEstimate } from './services/models';
import { getRun } from './store/runs';
import { RunService } from './services/runs';
import { StudyService } from './services/studies';
import { Scheduler, tsxWorkerFactory, type WorkerFactory } from './services/scheduler';
import { ClusterLink } from './cluster/desktop/link';
import { clusterStatus, keepPassword } from './cluster/desktop/status';
import { readSettings, saveSettings } from './cluster/shared/settings';
import { activeClusterRuns } from './store/cluster';
import { EvaluationService, tsxEvalWorkerFactory, type EvalWorkerFactory } from './services/evaluations';

export type { Handlers };

export interface AppOptions {
  dataDir: string;
  workerFactory?: WorkerFactory;
  evalWorkerFactory?: EvalWorkerFactory;
  concurrency?: number;
  /** Backends whose worker is kept for the next run (default: the tfjs-node ones). */
  reuseWorkers?: ReadonlySet<string>;
  transport?: string;
  /** Paths a caller may make the app read; serve mode confines them (default: any). */
  pathPolicy?: PathPolicy;
  /** How often runs whose owner died are looked for and marked interrupted (default 10 s). */
  sweepMs?: number;
  /** --queue / --artifacts for this process (else VGGLAB_QUEUE / VGGLAB_ARTIFACTS, else the saved setting). */
  cluster?: { queue?: string; artifacts?: string };
  /** Connect to the queue at start (desktop, serve), not only when a run needs it or cluster runs are active. */
  connectCluster?: boolean;
  /** What only the desktop app has: its native dialogs. */
  desktop?: { pickFolder(): Promise<string | null> };
}

export interface App {
  db: Db;
  bus: EventBus;
  runs: RunService;
  studies: StudyService;
  evaluations: EvaluationService;
  datasets: DatasetService;
  cluster: ClusterLink;
  handlers: Handlers;
  dataDir: string;
  close(): Promise<void>;
}

export function createApp(opts: AppOptions): App {
  const db = openDatabase(opts.dataDir);
  const bus = new EventBus();
  const scheduler = new Scheduler(opts.workerFactory ?? tsxWorkerFactory, opts.concurrency ?? 1, opts.reuseWorkers);
  let backendCache: ReturnType<typeof listBackends> | undefined;
  // Every backend is probed once per process, and only when a choice needs them all: a forced one is probed alone.
  const backends = (choice: BackendChoice = 'auto') => (choice === 'auto' ? (backendCache ??= listBackends()) : listBackends([choice]));
  const datasets = new DatasetService(db);
  const policy = opts.pathPolicy ?? allowAnyPath;
  /** A dataset SPEC with a path is checked against the path policy before a run may read it. */
  const checkSpec = <T extends { dataset?: string }>(a: T): T => {
    const p = a.dataset ? specPath(a.dataset) : null;
    if (p !== null) policy(p, `dataset ${a.dataset}:`);
    return a;
  };
  // eslint-disable-next-line prefer-const -- the link's callbacks reach the run service made after it
  let runs: RunService;
  const cluster = new ClusterLink(opts.dataDir, opts.cluster ?? {}, { db, bus, publish: (id) => runs.announce(id), settled: (id, status) => runs.settled(id, status) });
  runs = new RunService({
    db,
    bus,
    scheduler,
    dataDir: opts.dataDir,
    resolveDataset: (s) => datasets.resolve(s),
    placements: (hooks) => {
      const ownership = new Ownership({ db, ...hooks, stop: (id) => runs.stop(id), pause: (id, on) => runs.pause(id, on) });
      return {
        ownership,
        placements: {
          local: new LocalPlacement({ db, bus, scheduler, dataDir: opts.dataDir, backends, ownership, hooks }),
          cluster: new ClusterPlacement({ db, link: cluster, hooks }),
        },
      };
    },
  });
  // Cluster runs still active need their streams taken in; the desktop and serve connect anyway.
  if (opts.connectCluster || activeClusterRuns(db).length) cluster.get();
  // Other processes share the folder: runs whose owner died are marked interrupted now and every
  // sweep; the runs this process holds get a heartbeat, and stop/pause asked from elsewhere reach them.
  runs.sweep();
  const external = new ExternalRuns(db, bus, thisProcess(), (id) => runs.announce(id), () => cluster.connected);
  const ticker = ownerTicker(runs.ownership, external, opts.sweepMs ?? 10_000);
  const studies = new StudyService(db, runs);
  const evaluations = new EvaluationService({ db, bus, backends, factory: opts.evalWorkerFactory ?? tsxEvalWorkerFactory });
  const handlers: Handlers = {
    'app.info': () => ({ version: APP_VERSION, dataDir: opts.dataDir, transport: opts.transport ?? 'in-process', desktop: !!opts.desktop }),
    'app.pickFolder': async () => {
      if (!opts.desktop) throw new ContractError("the folder picker is the desktop app's; type the folder's path instead", 'bad_request');
      return { path: await opts.desktop.pickFolder() };
    },
    'models.list': (a) => listModels(a),
    'backends.list': () => backends(),
    'models.memory': (a) => memoryEstimate(a),
    // Newest completed runs first; each backend's figure comes from its latest one.
    'backends.rates': () => measuredRates(runs.list().filter((r) => r.status === 'completed').slice(0, 200).map((r) => getRun(db, r.id)!)),
    'runs.list': (a) => runs.list(a.limit),
    'runs.get': (a) => runs.get(a.id),
    'runs.metrics': (a) => runs.metrics(a.id, a.afterStep),
    'runs.events': (a) => runs.events(a.id),
    'runs.series': (a) => metricSeries(db, runs.get(a.id).id, a.split, a.name, a.buckets, a.fromStep, a.toStep),
    'runs.start': (a) => runs.start(checkSpec(a)),
    'runs.startChain': (a) => runs.startChain(checkSpec(a.params), a.configs),
    'studies.start': (a) => studies.start({ base: checkSpec(a.params), configs: a.configs, seeds: a.seeds }),
    'studies.list': () => studies.list(),
    'studies.get': (a) => studies.get(a.id),
    'studies.cancel': (a) => studies.cancel(a.id),
    'studies.resume': (a) => studies.resume(a.id),
    'runs.stop': (a) => runs.stop(a.id),
    'runs.resume': (a) => runs.resume(a.id, a.backend),
    'runs.pause': (a) => runs.pause(a.id, a.paused),
    'runs.checkpoints': (a) => listCheckpoints(db, runs.get(a.id).id),
    'evaluations.run': (a) => evaluations.evaluate(a.ids, a.protocol, a.scales, a.checkpoint),
    'evaluations.list': (a) => evaluations.list(a.id),
    'runs.predict': async (a) => {
      const predict = (files: string[]) => evaluations.predict(a.id, files, a.protocol, a.scales, a.checkpoint);
      if (a.images?.length) return withUploads(a.images, predict);
      return predict((a.files ?? []).map((f) => policy(f, 'runs.predict file')));
    },
    'export.runs': (a) => {
      const list = a.ids.map((id) => runs.get(id));
      const ext = { csv: 'csv', json: 'json', md: 'md', latex: 'tex' }[a.format];
      return { format: a.format, filename: `vgglab-runs-${a.ids.join('-').slice(0, 60)}.${ext}`, content: exportRuns(db, list, a.format) };
    },
    'compare.rows': (a) => {
      const list = a.ids.map((id) => runs.get(id));
      const ids = new Set(a.ids);
      const evals = evaluations.list().filter((e) => (e.runId !== null && ids.has(e.runId)) || (e.runId === null && e.members.every((m) => ids.has(m))));
      return compareRows(list, evals, { paper: a.paper });
    },
    'runs.delete': (a) => runs.delete(a.id),
    'datasets.list': () => datasets.list(),
    'datasets.kinds': () => datasets.kinds(),
    'datasets.offered': () => datasets.offered(),
    'datasets.classNames': (a) => classNamesOf(checkSpec({ dataset: a.spec }).dataset) ?? [],
    'datasets.add': (a) => datasets.add(policy(a.path, 'datasets.add path'), a.name),
    'datasets.samples': (a) => datasets.samples(a.name, a.perClass),
    'runs.annotate': (a) => runs.annotate(a.id, a.tags, a.notes),
    'cluster.status': () => clusterStatus(cluster),
    'cluster.configure': async (a) => {
      saveSettings(opts.dataDir, keepPassword(a, readSettings(opts.dataDir)));
      await cluster.reset();
      return clusterStatus(cluster);
    },
  };
  return {
    db,
    bus,
    runs,
    studies,
    evaluations,
    datasets,
    cluster,
    handlers,
    dataDir: opts.dataDir,
    async close() {
      clearInterval(ticker);
      await cluster.close();
      await scheduler.terminateAll();
      db.close();
    },
  };
}

/** One timer for sharing the folder: requests and other processes' runs every second, the heartbeat, the sweep. */
function ownerTicker(ownership: Ownership, external: ExternalRuns, sweepMs: number): NodeJS.Timeout {
  let last = { heartbeat: Date.now(), sweep: Date.now() };
  const timer = setInterval(() => {
    const now = Date.now();
    try {
      ownership.takeRequests();
      external.poll();
      if (now - last.heartbeat >= HEARTBEAT_MS) {
        ownership.heartbeat();
        last = { ...last, heartbeat: now };
      }
      if (now - last.sweep >= sweepMs) {
        ownership.sweep();
        last = { ...last, sweep: now };
      }
    } catch (err) {
      // A busy or closing database must not take the process down; the next tick tries again.
      if (!/database connection is not open/.test((err as Error).message)) process.stderr.write(`vgglab: ${(err as Error).message}\n`);
    }
  }, Math.min(1000, sweepMs));
  timer.unref();
  return timer;
}
