// `vgglab bench` evaluation rows: how fast the paper's test protocols score a trained model, beside
// the training speed of the same model. A short run of W2's model is trained, then its final weights
// are evaluated with each protocol at the default three test scales; the figure is images × scales
// per second of protocol time (data and weights loading excluded, reported apart).
import { PROTOCOLS, TrainParams, type BackendName, type ProtocolName } from '../../shared/domain';
import { PROTOCOL_SPECS } from '../evaluation/protocols';
import { createApp } from '../app';
import { testFlips } from '../services/evaluations';
import { WORKLOADS } from './workloads';

export interface EvalBenchRow {
  workload: string;
  backend: string;
  protocol: ProtocolName;
  images: number;
  scales: number[];
  /** Images × scales scored per second of protocol time. */
  imagesScalesPerSec: number | null;
  /** The whole evaluation's wall time, loading included. */
  seconds: number | null;
  /** Network passes at the training input size per second: the protocol's work, in training-size crops (see viewsPerImage). */
  viewsPerSec: number | null;
  /** The same model's training images/s in the run that made the weights (each one forward and backward pass). */
  trainImagesPerSec: number | null;
  /** How the network ran (forward.ts). */
  route: string | null;
}

/** One image's work at test scale Q under a protocol, in passes of a training-size crop (evaluation/protocols.ts). */
export function viewsPerImage(protocol: ProtocolName, Q: number, size: number, flips: number): number {
  return PROTOCOL_SPECS[protocol].views(Q, size, flips);
}

/** Validation images scored per protocol: enough for a steady rate, few enough for multi-crop's 150 views each. */
const IMAGES = 256;

export async function runEvalBench(opts: { backend: BackendName; dataDir: string; log: (s: string) => void }): Promise<EvalBenchRow[]> {
  const w = WORKLOADS.find((x) => x.name === 'W2')!;
  const app = createApp({ dataDir: opts.dataDir, transport: 'bench' });
  try {
    opts.log(`evaluation on ${opts.backend}: training W2's model for the weights…`);
    const { id } = await app.runs.start(
      TrainParams.parse({
        config: w.config, inputSize: w.inputSize, width: w.width, classes: w.classes, batch: w.batch, epochs: 2,
        trainSamples: w.batch * 20, valSamples: IMAGES, backend: opts.backend, schedule: 'none', seed: 1, experiment: 'bench', lr: 0.001,
      }),
    );
    const status = await app.runs.waitFor(id);
    if (status !== 'completed') throw new Error(app.runs.get(id).error ?? status);
    const run = app.runs.get(id);
    const train = run.summary?.imagesPerSec ?? null;
    const flips = testFlips(run) ? 2 : 1;
    const rows: EvalBenchRow[] = [];
    // The protocols that are not combinations of others (a combination's time is its parts').
    for (const protocol of PROTOCOLS.filter((p) => !PROTOCOL_SPECS[p].parts)) {
      opts.log(`evaluation on ${opts.backend}: ${protocol}…`);
      const e = await app.evaluations.evaluate([id], protocol);
      const ps = e.details.protocolSeconds ?? null;
      rows.push({
        workload: w.name,
        backend: opts.backend,
        protocol,
        images: e.details.count,
        scales: e.scales,
        imagesScalesPerSec: ps ? (e.details.count * e.scales.length) / ps : null,
        viewsPerSec: ps ? (e.details.count * e.scales.reduce((a, q) => a + viewsPerImage(protocol, q, w.inputSize, flips), 0)) / ps : null,
        seconds: e.details.seconds ?? null,
        trainImagesPerSec: train,
        route: e.details.route ?? null,
      });
    }
    return rows;
  } finally {
    await app.close();
  }
}
