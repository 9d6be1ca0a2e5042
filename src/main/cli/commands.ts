// The `vgglab` subcommands. Each prints for people, or one JSON object as the last line with --json.
import crypto from 'node:crypto';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { ContractError, parseArgs, type ArgsOf, type MethodName, type ResultOf } from '../../shared/contract';
import { describeEvent } from '../../shared/event-text';
import type { BackendName, CheckpointChoice, EvaluationInfo, ProtocolName, RunDetail, RunProgress } from '../../shared/domain';
import { compareRows, renderCompare, type CompareFormat } from '../services/compare';
import { exportRuns, type ExportFormat } from '../services/export';
import { confineTo } from '../services/paths-policy';
import { createApp, type App } from '../services/app';
import { listModels } from '../services/models';
import { resolveDataDir } from '../paths';
import { startServer } from '../transports/http';
import { table } from './format';
import { fixed, human, pct } from '../../shared/format';
import { createDispatcher } from '../transports/dispatch';
import { UsageError, forCli, runFlags } from './options';

export interface Globals {
  dataDir?: string;
}

const printJson = (obj: unknown) => process.stdout.write(JSON.stringify(obj) + '\n');

/** A request the services refused is bad usage on the command line (exit 2). */
function rethrowAsUsage(err: unknown): never {
  if (err instanceof ContractError) throw new UsageError(forCli(err.issues));
  throw err;
}

/** Calls a contract method the way the UI does: arguments validated (and parsed) by the contract, then the handler. */
async function call<M extends MethodName>(app: App, method: M, args: ArgsOf<M>): Promise<ResultOf<M>> {
  const out = await createDispatcher(app.handlers)(method, args);
  if (!out.ok) throw new ContractError(out.error.message, out.error.code as ContractError['code'], out.error.issues);
  return out.result as ResultOf<M>;
}

function openApp(g: Globals, transport = 'cli'): App {
  return createApp({ dataDir: resolveDataDir(g.dataDir), transport });
}

export function modelsCommand(flags: { inputSize?: unknown; width?: unknown; classes?: unknown; json?: boolean }): number {
  let opts: { inputSize: number; width: number; classes: number };
  try {
    opts = parseArgs('models.list', { inputSize: flags.inputSize, width: flags.width, classes: flags.classes });
  } catch (err) {
    rethrowAsUsage(err);
  }
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
  };
}

function summaryLine(run: RunDetail): string {
  const s = run.summary;
  const parts = [`run ${run.id} ${run.status}`, `config ${run.config}`, `backend ${run.backend ?? '-'} (${run.device ?? '-'})`];
  if (s) {
    parts.push(`epochs ${s.epochs}`, `train loss ${fixed(s.train.loss, 4)} top1 ${pct(s.train.top1)}`, `val loss ${fixed(s.val.loss, 4)} top1 ${pct(s.val.top1)} top5 ${pct(s.val.top5)}`);
    if (s.imagesPerSec) parts.push(`${s.imagesPerSec.toFixed(1)} images/s`);
    if (s.lrDrops.length) parts.push(`lr drops at epochs ${s.lrDrops.map((d) => d.epoch).join(',')}`);
  }
  if (run.error) parts.push(`error: ${run.error}`);
  return parts.join(' | ');
}

export async function trainCommand(g: Globals, raw: Record<string, unknown>): Promise<number> {
  const app = openApp(g);
  try {
    // The run's flags as they are: the contract parses them once, as it does the form's.
    const { id } = await call(app, 'runs.start', runFlags(raw) as ArgsOf<'runs.start'>);
    return await followRun(app, id, Boolean(raw.json));
  } catch (err) {
    await app.close();
    rethrowAsUsage(err);
  }
}

export async function resumeCommand(g: Globals, id: number, opts: { json?: boolean }): Promise<number> {
  const app = openApp(g);
  try {
    const from = await app.runs.resume(id);
    if (!opts.json) process.stderr.write(`resuming run ${id} after epoch ${from.fromEpoch} (step ${from.fromStep})\n`);
    return await followRun(app, id, Boolean(opts.json));
  } catch (err) {
    await app.close();
    if (err instanceof ContractError) {
      process.stderr.write(`vgglab: ${forCli(err.issues)}\n`);
      return err.code === 'not_found' ? 2 : 1;
    }
    throw err;
  }
}

/** Shows progress until the run ends, prints its summary, closes the app; exit 0 unless it failed or diverged. */
async function followRun(app: App, id: number, json: boolean): Promise<number> {
  const tty = process.stderr.isTTY && !json;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: 'epoch {epoch}/{epochs} [{bar}] {percentage}% | step {step} | {ips} img/s | lr {lr}', hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  const off = app.bus.on('run.progress', (p: RunProgress) => {
    if (!bar || p.runId !== id) return;
    const payload = { epoch: Math.min(p.epoch + 1, p.epochs), epochs: p.epochs, step: p.step, ips: p.imagesPerSec.toFixed(1), lr: p.lr.toExponential(1) };
    if (!started) {
      bar.start(p.epochs * p.stepsPerEpoch, p.step, payload);
      started = true;
    } else bar.update(p.step, payload);
  });
  const offEvent = app.bus.on('run.event', ({ runId, event }) => {
    if (json || runId !== id) return;
    const line = ['lr_drop', 'warning', 'diverged', 'warm_start'].includes(event.kind) ? `epoch ${event.epoch}: ${describeEvent(event)}` : null;
    if (line) process.stderr.write(`${tty && started ? '\n' : ''}${line}\n`);
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping after the current step (Ctrl-C again to abort)…\n');
    try {
      app.runs.stop(id);
    } catch {
      /* already finished */
    }
  };
  process.on('SIGINT', onSigint);
  const status = await app.runs.waitFor(id);
  process.off('SIGINT', onSigint);
  bar?.stop();
  off();
  offEvent();
  const run = app.runs.get(id);
  await app.close();
  if (json) printJson(summaryJson(run));
  else console.log(summaryLine(run));
  return status === 'completed' || status === 'stopped' ? 0 : 1;
}

export async function runsCommand(g: Globals, opts: { json?: boolean }): Promise<number> {
  const app = openApp(g);
  const runs = app.runs.list();
  await app.close();
  if (opts.json) {
    printJson({ runs });
    return 0;
  }
  if (!runs.length) {
    console.log('no runs yet: start one with `vgglab train --config A`');
    return 0;
  }
  console.log(
    table(
      ['id', 'config', 'status', 'epoch', 'dataset', 'backend', 'val top1', 'created'],
      runs.map((r) => [r.id, r.config, r.status, `${r.epoch}/${r.epochs}`, r.dataset, r.backend ?? '-', pct(r.valTop1), r.createdAt.replace('T', ' ').slice(0, 19)]),
    ),
  );
  return 0;
}

export async function showCommand(g: Globals, id: number, opts: { json?: boolean }): Promise<number> {
  const app = openApp(g);
  try {
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

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function rendererDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.resolve(here, '../../../out/renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : null;
}

export async function serveCommand(g: Globals, opts: { host: string; port: number; token?: string; dataRoot?: string[] }): Promise<number> {
  const dataDir = resolveDataDir(g.dataDir);
  // Remote callers may only make the server read datasets under these folders.
  const roots = opts.dataRoot?.length ? opts.dataRoot : [os.homedir()];
  for (const r of roots) if (!fs.existsSync(r)) throw new UsageError(`--data-root ${r}: no such folder`);
  const app = createApp({ dataDir, transport: 'http', pathPolicy: confineTo(roots) });
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url');
  if (!LOOPBACK.test(opts.host))
    process.stderr.write(`warning: serving on ${opts.host}, beyond this machine's loopback; anyone who can reach it and has the token can control VGG Lab\n`);
  const staticDir = rendererDir();
  if (!staticDir) process.stderr.write('warning: the UI is not built (out/renderer missing): run `npm run build`; the API still works\n');
  const server = await startServer(app, { host: opts.host, port: opts.port, token, staticDir });
  console.log(`VGG Lab is serving at ${server.url}`);
  console.log(`data folder: ${app.dataDir}`);
  console.log(`datasets readable over HTTP: ${roots.map((r) => path.resolve(r)).join(', ')}`);
  await new Promise<void>((resolve) => {
    const shut = () => resolve();
    process.once('SIGINT', shut);
    process.once('SIGTERM', shut);
  });
  await server.close();
  await app.close();
  return 0;
}

export async function benchCommand(opts: { backend?: BackendName; json?: boolean; seconds: number; workload?: string }): Promise<number> {
  const { runBench } = await import('../bench/run');
  const { runDataBench } = await import('../bench/data');
  const chosen = opts.workload?.split(',').map((w) => w.trim());
  const unknown = chosen?.filter((w) => !['W1', 'W2', 'W3', 'data'].includes(w));
  if (unknown?.length) throw new UsageError(`--workload ${unknown.join(',')}: accepted: W1, W2, W3, data (comma-separated)`);
  const engineWorkloads = chosen?.filter((w) => w !== 'data');
  // Bench runs are recorded in a scratch folder, never in the user's run list.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-bench-'));
  const log = (s: string) => {
    if (!opts.json) process.stderr.write(`${s}\n`);
  };
  try {
    const rows = engineWorkloads && !engineWorkloads.length ? [] : await runBench({ backend: opts.backend, seconds: opts.seconds, workloads: engineWorkloads, dataDir, log });
    const data = !chosen || chosen.includes('data') ? await runDataBench(log) : [];
    const f = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
    if (!opts.json) {
      if (rows.length) {
        console.log(
          table(
            ['workload', 'backend', 'engine img/s', 'bare img/s', 'engine/bare', 'GFLOP/s', 'PyTorch img/s', 'data wait', 'note'],
            rows.map((r) => [r.name, r.backend, f(r.engineImagesPerSec), f(r.bareImagesPerSec), f(r.ratio, 2), f(r.gflops), f(r.pytorchImagesPerSec), r.dataWait === null ? '-' : `${(100 * r.dataWait).toFixed(1)}%`, r.note ?? '']),
          ),
        );
        console.log([...new Set(rows.map((r) => `${r.backend}: ${r.device}`))].join('\n'));
      }
      if (data.length) {
        console.log(
          table(
            ['data pipeline', 'threads', 'decode img/s', 'augment img/s', 'first epoch img/s', 'sharp img/s (1 thread)', 'sharp / decode per thread'],
            data.map((r) => [r.set, String(r.threads), f(r.decodeImagesPerSec, 0), f(r.augmentImagesPerSec, 0), f(r.coldImagesPerSec, 0), f(r.sharpImagesPerSec, 0), f(r.perThreadRatio, 2)]),
          ),
        );
      }
    }
    if (opts.json) printJson({ workloads: rows, data });
    return 0;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function evalJson(e: EvaluationInfo) {
  return {
    evaluationId: e.id, runId: e.runId, members: e.members, protocol: e.protocol, scales: e.scales, checkpoint: e.details.checkpoint, split: e.details.split,
    top1Error: e.top1Error, top5Error: e.top5Error, count: e.details.count, perClassAccuracy: e.details.perClassAccuracy, confusion: e.details.confusion, confidentMistakes: e.details.confidentMistakes,
  };
}

export async function evalCommand(g: Globals, ids: number[], opts: { protocol: ProtocolName; scales?: number[]; checkpoint: CheckpointChoice; json?: boolean }): Promise<number> {
  const app = openApp(g);
  try {
    const e = await app.evaluations.evaluate(ids, opts.protocol, opts.scales, opts.checkpoint);
    if (opts.json) printJson(evalJson(e));
    else {
      const who = ids.length === 1 ? `run ${ids[0]}` : `fusion of runs ${ids.join(', ')}`;
      const ck = e.details.checkpoint!;
      const weights = ck.kind === 'last' ? `final weights (epoch ${ck.epoch})` : ck.kind === 'best' ? `best-on-validation weights (epoch ${ck.epoch})` : `epoch ${ck.epoch} weights`;
      console.log(`${who}: ${e.protocol} at Q = ${e.scales.join(', ')}, ${weights}, on ${e.details.count} ${e.details.split === 'test' ? 'test' : 'validation'} images | top-1 error ${pct(e.top1Error)} | top-5 error ${pct(e.top5Error)} | evaluation ${e.id}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof ContractError) {
      process.stderr.write(`vgglab: ${forCli(err.issues)}\n`);
      return err.code === 'bad_request' ? 2 : 1;
    }
    throw err;
  } finally {
    await app.close();
  }
}

export async function compareCommand(g: Globals, ids: number[], opts: { format: CompareFormat; paper: boolean }): Promise<number> {
  const app = openApp(g);
  try {
    const runs = ids.map((id) => app.runs.get(id));
    const evals = app.evaluations.list().filter((e) => (e.runId !== null && ids.includes(e.runId)) || (e.runId === null && e.members.every((m) => ids.includes(m))));
    console.log(renderCompare(compareRows(runs, evals, { paper: opts.paper }), opts.format));
    return 0;
  } catch (err) {
    if (err instanceof ContractError) {
      process.stderr.write(`vgglab: ${forCli(err.issues)}\n`);
      return 2;
    }
    throw err;
  } finally {
    await app.close();
  }
}

export async function exportCommand(g: Globals, ids: number[], opts: { all?: boolean; format: ExportFormat | 'tfjs'; out: string }): Promise<number> {
  if (!opts.all && !ids.length) throw new UsageError('export: name one or more runs, or --all');
  if (opts.all && ids.length) throw new UsageError('export: give run ids or --all, not both');
  if (opts.format === 'tfjs' && (opts.all || ids.length !== 1)) throw new UsageError('export --format tfjs: name exactly one run; --out is then a folder');
  const app = openApp(g);
  try {
    if (opts.format === 'tfjs') {
      const { exportModel } = await import('../services/model-export');
      const r = await exportModel(app.db, app.runs.get(ids[0]!), path.resolve(opts.out));
      console.log(`exported run ${ids[0]}'s model to ${r.modelJson} and ${r.weightsBin} (${r.bytes} bytes of weights); load it with tf.loadLayersModel`);
      return 0;
    }
    const runs = opts.all ? app.runs.list().map((r) => app.runs.get(r.id)) : ids.map((id) => app.runs.get(id));
    if (!runs.length) throw new UsageError('export --all: there are no runs to export');
    const content = exportRuns(app.db, runs, opts.format);
    const out = path.resolve(opts.out);
    const tmp = `${out}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, out);
    console.log(`exported ${runs.length} run(s) as ${opts.format} to ${out} (${content.length} bytes)`);
    return 0;
  } catch (err) {
    rethrowAsUsage(err);
  } finally {
    await app.close();
  }
}

export async function datasetsAddCommand(g: Globals, dir: string, opts: { name?: string; json?: boolean }): Promise<number> {
  const app = openApp(g);
  try {
    const d = await app.datasets.add(dir, opts.name);
    if (opts.json) printJson(d);
    else console.log(`registered ${d.name}: ${d.kind} at ${d.path}, ${d.classes.length} classes, ${d.counts.train.reduce((a, b) => a + b, 0)} train / ${d.counts.val.reduce((a, b) => a + b, 0)} val images${d.counts.skipped ? `, ${d.counts.skipped} unreadable skipped` : ''}; use --dataset ${d.name}`);
    return 0;
  } catch (err) {
    rethrowAsUsage(err);
  } finally {
    await app.close();
  }
}

export async function datasetsListCommand(g: Globals, opts: { json?: boolean }): Promise<number> {
  const app = openApp(g);
  const list = app.datasets.list();
  await app.close();
  if (opts.json) printJson({ datasets: list });
  else if (!list.length) console.log('no registered datasets: add one with `vgglab datasets add PATH` (the built-in `synthetic` needs none)');
  else
    console.log(
      table(
        ['name', 'kind', 'classes', 'train', 'val', 'mean RGB', 'path'],
        list.map((d) => [d.name, d.kind, d.classes.length, d.counts.train.reduce((a, b) => a + b, 0), d.counts.val.reduce((a, b) => a + b, 0), d.meanRgb ? d.meanRgb.map((v) => v.toFixed(1)).join(',') : '-', d.path]),
      ),
    );
  return 0;
}
