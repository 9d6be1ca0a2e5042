// Training from the CLI: train, resume, and the configurations table (models).
import { parseArgs, type ArgsOf } from '../../../shared/contract';
import { EXIT } from '../exit';
import { progressMode, showProgress } from '../progress';
import type { BackendChoice } from '../../../shared/domain';
import { type App } from '../../app';
import { listModels } from '../../services/models';
import { table } from '../format';
import { human } from '../../../shared/format';
import { runFlags } from '../options';
import { call, openApp, printJson, type Globals } from './common';
import { summaryJson, summaryLine } from './summary';

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

