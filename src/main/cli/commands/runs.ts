// Training from the CLI: train, resume, runs, show, and the configurations table (models).
import { parseArgs, type ArgsOf } from '../../../shared/contract';
import { describeEvent } from '../../../shared/event-text';
import { EXIT } from '../exit';
import { progressMode, showProgress } from '../progress';
import type { BackendChoice, ConfigName, RunDetail, RunStatus } from '../../../shared/domain';
import { type App } from '../../app';
import { listModels } from '../../services/models';
import { table } from '../format';
import { fixed, human, pct } from '../../../shared/format';
import { runFlags } from '../options';
import { call, openApp, printJson, type Globals } from './common';

export function modelsCommand(flags: { inputSize?: unknown; width?: unknown; classes?: unknown; json?: boolean }): number {
  const opts = parseArgs('models.list', { inputSize: flags.inputSize, width: flags.width, classes: flags.classes });
  const models = listModels(opts);
  if (flags.json) {
    printJson({ inputSize: opts.inputSize, width: opts.width, classes: opts.classes, models: models.map(({ layers: _l, ...m }) => m) });
  } else {
    console.log(`VGG configurations at ${opts.inputSize}×${opts.inputSize}, width ×${opts.width}, ${opts.classes} classes (FLOPs = 2 × multiply-adds, forward, per image)`);
    console.log(table(['config', 'weight layers', 'parameters', 'FLOPs'], models.map((m) => [m.config, m.weightLayers, m.params.toLocaleString('en-US'), human(m.flops)])));
  }
  return 0;
}

function summaryJson(run: RunDetail) {
  const s = run.summary;
  return {
    runId: run.id,
    status: run.status,
    config: run.config,
    dataset: run.dataset,
    backend: run.backend,
    device: run.device,
    epochs: s?.epochs ?? run.epoch,
    train: s?.train ?? { loss: null, top1: null },
    val: s?.val ?? { loss: null, top1: null, top5: null },
    lrDrops: s?.lrDrops ?? [],
    imagesPerSec: s?.imagesPerSec ?? null,
    data: s ? { train: s.data.train, val: s.data.val, classes: s.data.classes, skipped: s.data.skipped, ...(s.data.flip === undefined ? {} : { flip: s.data.flip }) } : { train: 0, val: 0, classes: 0, skipped: 0 },
    error: run.error,
    placement: run.placement,
    worker: run.worker,
  };
}

function summaryLine(run: RunDetail): string {
  const s = run.summary;
  const parts = [`run ${run.id} ${run.status}`, `config ${run.config}`, `backend ${run.backend ?? '-'} (${run.device ?? '-'})`];
  if (run.placement === 'cluster') parts.push(`on the cluster${run.worker ? `, worker ${run.worker}` : ''}`);
  if (s) {
    parts.push(`epochs ${s.epochs}`, `train loss ${fixed(s.train.loss, 4)} top1 ${pct(s.train.top1)}`, `val loss ${fixed(s.val.loss, 4)} top1 ${pct(s.val.top1)} top5 ${pct(s.val.top5)}`);
    if (s.imagesPerSec) parts.push(`${s.imagesPerSec.toFixed(1)} images/s`);
    if (s.lrDrops.length) parts.push(`lr drops at epochs ${s.lrDrops.map((d) => d.epoch).join(',')}`);
  }
  if (run.error) parts.push(`error: ${run.error}`);
  return parts.join(' | ');
}

export async function trainCommand(g: Globals, raw: Record<string, unknown>): Promise<number> {
  // CUDA numbers the devices: set before any backend is probed or loaded (this process's runs only).
  if (raw.device !== undefined) process.env.CUDA_VISIBLE_DEVICES = String(raw.device);
  const app = openApp(g, 'cli', { queue: raw.queue as string | undefined, artifacts: raw.artifacts as string | undefined });
  try {
    // The run's flags as they are: the contract parses them once, as it does the form's.
    const { id } = await call(app, 'runs.start', runFlags(raw) as ArgsOf<'runs.start'>);
    return await followRun(app, id, { json: Boolean(raw.json), quiet: Boolean(raw.quiet) });
  } catch (err) {
    await app.close();
    throw err;
  }
}

export async function resumeCommand(g: Globals, id: number, opts: { json?: boolean; quiet?: boolean; queue?: string; artifacts?: string; backend?: BackendChoice }): Promise<number> {
  const app = openApp(g, 'cli', { queue: opts.queue, artifacts: opts.artifacts });
  try {
    const from = await call(app, 'runs.resume', { id, ...(opts.backend ? { backend: opts.backend } : {}) });
    if (!opts.json) process.stderr.write(`resuming run ${id} after epoch ${from.fromEpoch} (step ${from.fromStep})\n`);
    return await followRun(app, id, opts);
  } catch (err) {
    await app.close();
    throw err;
  }
}

/** Shows progress until the run ends, prints its summary, closes the app: exit 0, 1 where it failed or diverged, 130 where Ctrl-C stopped it. */
async function followRun(app: App, id: number, opts: { json?: boolean; quiet?: boolean }): Promise<number> {
  const stop = showProgress(app, id, progressMode(opts));
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT.interrupted);
    process.stderr.write('\nstopping after the current step, with a checkpoint (Ctrl-C again to abort)…\n');
    try {
      void Promise.resolve(app.runs.stop(id)).catch(() => undefined);
    } catch {
      /* already finished */
    }
  };
  process.on('SIGINT', onSigint);
  const status = await app.runs.waitFor(id);
  process.off('SIGINT', onSigint);
  stop();
  const run = app.runs.get(id);
  await app.close();
  if (opts.json) printJson(summaryJson(run));
  else console.log(summaryLine(run));
  if (interrupts && status === 'stopped') return EXIT.interrupted;
  return status === 'completed' || status === 'stopped' ? EXIT.ok : EXIT.failed;
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
  const app = openApp(g);
  await app.cluster.catchUp();
  const since = opts.since === undefined ? null : Date.parse(opts.since);
  const runs = app.runs
    .list()
    .filter((r) => (!opts.status || r.status === opts.status) && (!opts.config || r.config === opts.config) && (!opts.tag || r.tags.includes(opts.tag)) && (!opts.backend || r.backend === opts.backend) && (since === null || Date.parse(r.createdAt) >= since))
    .slice(0, opts.limit ?? Infinity);
  await app.close();
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
  const app = openApp(g);
  try {
    await app.cluster.catchUp();
    const run = app.runs.get(id);
    const events = app.runs.events(id);
    if (opts.json) printJson({ ...summaryJson(run), params: run.params, createdAt: run.createdAt, startedAt: run.startedAt, endedAt: run.endedAt, events });
    else {
      console.log(summaryLine(run));
      console.log(`params: ${JSON.stringify(run.params)}`);
      for (const e of events) console.log(`  epoch ${e.epoch}, step ${e.step}: ${describeEvent(e)}`);
    }
    return 0;
  } finally {
    await app.close();
  }
}
