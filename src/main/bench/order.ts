// `vgglab bench --workload order`: does the engine's speed depend on what ran before it in the
// process? The desktop app and `serve` train and evaluate many runs, of several models, in one
// process; one full bench once read native W2 at a fifth of its speed after other workloads had run
// in it (#34). In one app, as they do: W2, then W1, then an evaluation of W1's weights, then W2 again.
// Each W2 figure is the best of its measured epochs; the ratio of the second to the first is near 1
// where nothing left behind (an OpenMP team, a thread pool, memory of the larger model) slows it.
import { TrainParams, type BackendName } from '../../shared/domain';
import { metricKey } from '../../shared/metrics';
import { createApp, type App } from '../app';
import { WORKLOADS, type Workload } from './workloads';

export interface OrderBenchRow {
  backend: string;
  /** W2's images/s trained first in the process. */
  firstImagesPerSec: number | null;
  /** W1's, trained next. */
  w1ImagesPerSec: number | null;
  /** The evaluation of W1's final weights in between: protocol and wall seconds. */
  evaluation: { protocol: string; seconds: number | null; route: string | null };
  /** W2's images/s trained again, after W1 and the evaluation. */
  afterImagesPerSec: number | null;
  /** after ÷ first. */
  ratio: number | null;
  /** Each W2 run's measured epochs, in order (the spread is the machine's noise). */
  firstEpochs: number[];
  afterEpochs: number[];
}

/** Steps per epoch: W2's epochs ~`seconds`/3 at a few thousand images/s on a CPU, W1's fewer. */
const stepsFor = (w: Workload, seconds: number) => Math.max(3, Math.round((seconds / 3) * (w.name === 'W2' ? 120 : 20)));

/** One run of `w` on `backend` in `app`: the best measured epoch (epochs after the first) and all of them. */
async function train(app: App, w: Workload, backend: BackendName, seconds: number, epochs = 4): Promise<{ id: number; best: number | null; epochs: number[] }> {
  const { id } = await app.runs.start(
    TrainParams.parse({
      config: w.config, inputSize: w.inputSize, width: w.width, classes: w.classes, batch: w.batch, epochs,
      trainSamples: w.batch * stepsFor(w, seconds), valSamples: 256, backend, schedule: 'none', seed: 1, experiment: 'bench', lr: 0.001,
    }),
  );
  const status = await app.runs.waitFor(id);
  if (status !== 'completed') throw new Error(`${w.name} on ${backend}: ${app.runs.get(id).error ?? status}`);
  const rates = app.runs
    .metrics(id, -1)
    .filter((p) => metricKey(p) === 'train/images_per_sec' && p.epoch > 1)
    .sort((a, b) => a.epoch - b.epoch)
    .map((p) => p.value);
  return { id, best: rates.length ? Math.max(...rates) : null, epochs: rates };
}

export async function runOrderBench(opts: { backend: BackendName; seconds: number; dataDir: string; log: (s: string) => void }): Promise<OrderBenchRow> {
  const w1 = WORKLOADS.find((w) => w.name === 'W1')!;
  const w2 = WORKLOADS.find((w) => w.name === 'W2')!;
  const app = createApp({ dataDir: opts.dataDir, transport: 'bench' });
  try {
    opts.log(`order on ${opts.backend}: W2 first…`);
    const first = await train(app, w2, opts.backend, opts.seconds);
    opts.log(`order on ${opts.backend}: W1…`);
    const one = await train(app, w1, opts.backend, opts.seconds, 2);
    opts.log(`order on ${opts.backend}: an evaluation of W1's weights (dense)…`);
    const e = await app.evaluations.evaluate([one.id], 'dense');
    opts.log(`order on ${opts.backend}: W2 again…`);
    const after = await train(app, w2, opts.backend, opts.seconds);
    return {
      backend: opts.backend,
      firstImagesPerSec: first.best,
      w1ImagesPerSec: one.best,
      evaluation: { protocol: 'dense', seconds: e.details.seconds ?? null, route: e.details.route ?? null },
      afterImagesPerSec: after.best,
      ratio: first.best && after.best ? after.best / first.best : null,
      firstEpochs: first.epochs,
      afterEpochs: after.epochs,
    };
  } finally {
    await app.close();
  }
}
