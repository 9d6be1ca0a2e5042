// A run's progress as suits the output: a bar on a terminal, one line per epoch otherwise (and one
// per tenth of an epoch that takes long), nothing with --quiet. Always on stderr, so that stdout
// holds only the result (and --json's one object).
import cliProgress from 'cli-progress';
import { describeEvent } from '../../shared/event-text';
import type { MetricPoint, RunProgress } from '../../shared/domain';
import type { App } from '../app';

export type ProgressMode = 'bar' | 'lines' | 'quiet';

/** A tenth of an epoch gets its own line once this long has passed since the last line. */
const LONG_MS = 20_000;

export function progressMode(opts: { json?: boolean; quiet?: boolean }): ProgressMode {
  if (opts.quiet) return 'quiet';
  return process.stderr.isTTY && !opts.json ? 'bar' : 'lines';
}

/** Follows run `id` on the app's bus until the returned function is called. */
export function showProgress(app: App, id: number, mode: ProgressMode): () => void {
  if (mode === 'quiet') return () => {};
  const write = (line: string) => process.stderr.write(`${line}\n`);
  const offs: (() => void)[] = [];
  if (mode === 'bar') {
    const bar = new cliProgress.SingleBar(
      { format: 'epoch {epoch}/{epochs} [{bar}] {percentage}% | step {step} | {ips} img/s | lr {lr}', hideCursor: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    offs.push(
      app.bus.on('run.progress', (p: RunProgress) => {
        if (p.runId !== id) return;
        const payload = { epoch: Math.min(p.epoch + 1, p.epochs), epochs: p.epochs, step: p.step, ips: p.imagesPerSec.toFixed(1), lr: p.lr.toExponential(1) };
        if (!started) bar.start(p.epochs * p.stepsPerEpoch, p.step, payload);
        else bar.update(p.step, payload);
        started = true;
      }),
      () => bar.stop(),
    );
    offs.push(eventLines(app, id, (line) => write(`${started ? '\n' : ''}${line}`)));
  } else {
    let epochs = 0;
    let last = Date.now();
    let tenth = 0;
    offs.push(
      app.bus.on('run.progress', (p: RunProgress) => {
        if (p.runId !== id) return;
        epochs = p.epochs;
        const t = Math.floor((10 * p.stepInEpoch) / Math.max(1, p.stepsPerEpoch));
        if (p.stepInEpoch === p.stepsPerEpoch || t <= tenth) return void (t < tenth && (tenth = t));
        tenth = t;
        if (Date.now() - last < LONG_MS) return;
        last = Date.now();
        write(`epoch ${p.epoch + 1}/${p.epochs}: ${10 * t}% (step ${p.step}), ${p.imagesPerSec.toFixed(1)} images/s, lr ${p.lr.toExponential(1)}`);
      }),
      app.bus.on('run.metrics', ({ runId, points }: { runId: number; points: MetricPoint[] }) => {
        if (runId !== id) return;
        const at = (split: string, name: string) => points.find((x) => x.split === split && x.name === name)?.value;
        const val = at('val', 'top1');
        if (val === undefined) return;
        last = Date.now();
        tenth = 0;
        const f = (x: number | undefined, d = 3) => (x === undefined ? '-' : x.toFixed(d));
        const epoch = points[0]!.epoch;
        write(
          `epoch ${epoch}${epochs ? `/${epochs}` : ''}: train loss ${f(at('train', 'epoch_loss'), 4)} top-1 ${f(at('train', 'top1'))} | val loss ${f(at('val', 'loss'), 4)} top-1 ${f(val)} top-5 ${f(at('val', 'top5'))} | lr ${at('train', 'lr')?.toExponential(1) ?? '-'} | ${f(at('train', 'images_per_sec'), 1)} images/s`,
        );
      }),
      eventLines(app, id, write),
    );
  }
  return () => offs.forEach((off) => off());
}

/** Learning-rate drops, warnings, divergence and warm starts, as sentences. */
function eventLines(app: App, id: number, write: (line: string) => void): () => void {
  return app.bus.on('run.event', ({ runId, event }) => {
    if (runId !== id || !['lr_drop', 'warning', 'diverged', 'warm_start'].includes(event.kind)) return;
    write(`epoch ${event.epoch}: ${describeEvent(event)}`);
  });
}
