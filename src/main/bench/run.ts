// `vgglab bench`: images/s of the full engine (worker, data, recording) and of the bare loop
// on the same model, per backend and workload, and the PyTorch reference where it is installed.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { TrainParams, type BackendInfo, type BackendName, type ConvAlgorithm, type Precision } from '../../shared/domain';
import type { StepArithmetic } from '../training/arithmetic';
import { createApp, type App } from '../app';
import { benchUpTo, listBackends, onHardwareGpu } from '../training/backends';
import { trainingGflops, WINDOWS } from './bare';
import type { FromBare, ToBare } from './bare-child';
import { TorchReference } from './pytorch';
import { WORKLOAD_WEIGHTS, WORKLOADS, type Workload } from './workloads';
import { metricKey } from '../../shared/metrics';
import { projectFile } from '../root';

export interface BenchRow {
  name: string;
  backend: BackendName;
  device: string;
  /** The engine's and the bare loop's arithmetic (PyTorch's reference always runs in fp32). */
  precision: Precision;
  /** The engine's and the bare loop's convolution algorithm (the native backend's; the others choose their own). */
  convAlgorithm: ConvAlgorithm;
  engineImagesPerSec: number | null;
  bareImagesPerSec: number | null;
  ratio: number | null;
  gflops: number | null;
  /** The backend's GEMM peak on this machine (native: a 1024³ product, best of repeats), for the share gflops is of it. */
  peakGflops: number | null;
  pytorchImagesPerSec: number | null;
  /**
   * The median, over the measured epochs, of each epoch's engine figure over the PyTorch window taken
   * in it: a paired figure, steadier than best over best on a shared machine, where one lucky window
   * of either side moves the best (W2 on a 2-core VM: PyTorch's three windows of one run read 1,985,
   * 2,706 and 2,135 img/s). Null without both.
   */
  pytorchPairedRatio: number | null;
  /** How PyTorch ran: threads, the faster layout and both layouts' figures, the BLAS on its path. */
  pytorchSettings: string | null;
  /** Share of the engine's step time spent waiting for the data pipeline. */
  dataWait: number | null;
  /** Each measured window, in the order taken: the bare loop's and PyTorch's (one each in each engine epoch) and the engine's epochs. */
  bareWindows?: number[];
  engineEpochs?: number[];
  pytorchWindows?: number[];
  note?: string;
}


export async function engineRun(
  dataDir: string,
  w: Workload,
  backend: BackendName,
  steps: number,
  more: {
    cluster?: { queue: string; artifacts: string; onApp?: (app: App) => void };
    /**
     * Called while the run is paused after each measured epoch has begun (the pause lands at the
     * epoch's first loss read-back, and paused time is not training time): `vgglab bench` measures
     * a bare-loop window there, so that both figures are taken in the same minutes of the machine.
     */
    between?: () => Promise<void>;
    arith?: StepArithmetic;
    /** Measured epochs, after the first (which warms up: JIT, shader compiles): WINDOWS unless `--windows` says. */
    windows?: number;
  } = {},
): Promise<{ imagesPerSec: number | null; dataWait: number | null; wallSeconds: number; epochs: number[] }> {
  const { cluster, between, arith = { precision: 'fp32', convAlgorithm: 'auto' }, windows = WINDOWS } = more;
  const epochsAll = 1 + windows;
  const app = createApp({ dataDir, transport: 'bench', ...(cluster ? { cluster, connectCluster: true } : {}) });
  cluster?.onApp?.(app);
  const t0 = performance.now();
  const offs: (() => void)[] = [];
  try {
    // The best of the measured epochs is reported, as the bare loop's and PyTorch's best windows
    // are (a shared machine only ever slows one down).
    const { id } = await app.runs.start(TrainParams.parse({
      config: w.config, inputSize: w.inputSize, width: w.width, classes: w.classes, batch: w.batch, epochs: epochsAll,
      trainSamples: w.batch * steps, valSamples: w.batch, backend, ...arith, schedule: 'none', seed: 1, experiment: 'bench',
      // The same small rate as the bare loop: a benchmark measures speed, and must not diverge.
      lr: 0.001,
      on: cluster ? 'cluster' : 'local',
    }));
    const ended = app.runs.waitFor(id);
    if (between) {
      let chain = Promise.resolve();
      // An epoch's end may be reported twice (its last loss read-back and its validation): once each.
      const done = new Set<number>();
      offs.push(app.bus.on('run.progress', (p) => {
        if (p.runId !== id || p.stepInEpoch !== p.stepsPerEpoch || p.epoch < 1 || p.epoch >= epochsAll || done.has(p.epoch)) return;
        done.add(p.epoch);
        chain = chain.then(() => pausedFor(app, id, ended, between, offs)).catch(() => undefined);
      }));
    }
    const status = await ended;
    if (status !== 'completed') throw new Error(app.runs.get(id).error ?? status);
    const points = app.runs.metrics(id, -1);
    const epochs = points.filter((p) => metricKey(p) === 'train/images_per_sec' && p.epoch > 1).sort((a, b) => a.epoch - b.epoch);
    const timed = [...epochs].sort((a, b) => b.value - a.value)[0];
    const wait = timed ? points.find((p) => metricKey(p) === 'train/data_wait' && p.epoch === timed.epoch) : undefined;
    return { imagesPerSec: timed?.value ?? null, dataWait: wait?.value ?? null, wallSeconds: (performance.now() - t0) / 1000, epochs: epochs.map((p) => p.value) };
  } finally {
    offs.forEach((off) => off());
    await app.close();
  }
}

/** Pauses run `id`, runs `work` once the trainer has stopped (or the run has ended), and lets it go on. */
async function pausedFor(app: App, id: number, ended: Promise<unknown>, work: () => Promise<void>, offs: (() => void)[]): Promise<void> {
  const paused = new Promise<void>((resolve) => {
    const off = app.bus.on('run.event', (e) => {
      if (e.runId === id && e.event.kind === 'pause') {
        off();
        resolve();
      }
    });
    offs.push(off);
  });
  await app.runs.pause(id, true);
  const stopped = await Promise.race([paused.then(() => true), ended.then(() => false)]);
  try {
    if (stopped) await work();
  } finally {
    if (stopped) await app.runs.pause(id, false);
  }
}

/**
 * The bare loop in a child process (bare-child.ts says why not a worker thread), open for several
 * windows: one before the engine's run sizes its epochs, the others are taken between its epochs.
 */
class BareProcess {
  private readonly child: ChildProcess = fork(projectFile('src/main/bench/bare-child-boot.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  private failed: Error | null = null;

  constructor() {
    this.child.on('error', (err) => (this.failed = err));
    this.child.on('exit', (code, signal) => (this.failed ??= new Error(`the bare-loop process ended (${signal ?? `exit code ${code}`})`)));
  }

  private ask(msg: ToBare): Promise<FromBare & { ok: true }> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const onGone = () => reject(this.failed ?? new Error('the bare-loop process ended'));
      const onMessage = (m: FromBare) => {
        this.child.off('exit', onGone);
        if (m.ok) resolve(m);
        else reject(new Error(m.error));
      };
      this.child.once('exit', onGone);
      this.child.once('message', onMessage);
      this.child.send(msg);
    });
  }

  async peak(): Promise<number | null> {
    return (await this.ask({ type: 'peak' })).peakGflops ?? null;
  }

  async open(w: Workload, backend: BackendInfo, warmSeconds: number, arith: StepArithmetic): Promise<void> {
    await this.ask({ type: 'open', w, backend, warmSeconds, arith });
  }

  async window(seconds: number): Promise<number> {
    return (await this.ask({ type: 'window', seconds })).imagesPerSec!;
  }

  close(): void {
    this.child.kill();
  }
}

export interface BenchOptions {
  backend?: BackendName;
  /** Measuring time per figure, shared among its windows. */
  seconds: number;
  /** Windows per figure (WINDOWS by default): more make the best and the paired figure steadier where the machine's speed drifts. */
  windows?: number;
  workloads?: string[];
  arithmetics?: StepArithmetic[];
  dataDir: string;
  log: (s: string) => void;
}

export async function runBench(opts: BenchOptions): Promise<BenchRow[]> {
  const all = (await listBackends()).filter((b) => b.available && (!opts.backend || b.name === opts.backend));
  if (opts.backend && !all.length) throw new Error(`backend '${opts.backend}' is not available on this machine`);
  const rows: BenchRow[] = [];
  // PyTorch gets the native backend's thread count (OpenMP's, as the addon reads it).
  const threads = Number(process.env.OMP_NUM_THREADS) || os.availableParallelism();
  const none = { engineImagesPerSec: null, bareImagesPerSec: null, ratio: null, gflops: null, peakGflops: null, pytorchImagesPerSec: null, pytorchPairedRatio: null, pytorchSettings: null, dataWait: null };
  for (const b of all) {
    const peak = { gflops: null as number | null };
    for (const w of WORKLOADS.filter((x) => !opts.workloads || opts.workloads.includes(x.name))) {
      for (const arith of opts.arithmetics ?? [{ precision: 'fp32', convAlgorithm: 'auto' }]) {
        const { precision, convAlgorithm } = arith;
        const base = { name: w.name, backend: b.name, device: b.device ?? b.name, precision, convAlgorithm };
        if (WORKLOAD_WEIGHTS.indexOf(w.weight) > WORKLOAD_WEIGHTS.indexOf(benchUpTo(b))) {
          rows.push({ ...base, ...none, note: `too heavy for ${b.name} on ${b.device ?? 'this device'} (it runs ${benchUpTo(b)} workloads at most)` });
        } else if (precision !== 'fp32' && !b.precisions?.includes(precision)) {
          rows.push({ ...base, ...none, note: `${b.name} does not compute in ${precision} here (it takes: ${['fp32', ...(b.precisions ?? [])].join(', ')})` });
        } else if (convAlgorithm === 'winograd' && (b.name !== 'native' || precision !== 'fp32' || !b.convAlgorithms?.includes('winograd'))) {
          const note = b.name !== 'native' ? `${b.name} chooses its own convolution algorithms` : precision !== 'fp32' ? 'Winograd computes in fp32 only' : `${b.name} has no Winograd convolutions here (it takes: ${['auto', ...(b.convAlgorithms ?? [])].join(', ')})`;
          rows.push({ ...base, ...none, note });
        } else {
          rows.push({ ...base, ...(await measure(opts, b, w, arith, threads, peak)) });
        }
      }
    }
  }
  return rows;
}

/**
 * One workload on one backend in one precision: the bare loop (in its own process) and PyTorch's
 * fp32 reference, each measured in windows taken while the engine's run is paused in each epoch.
 */
async function measure(
  opts: BenchOptions,
  b: BackendInfo,
  w: Workload,
  arith: StepArithmetic,
  threads: number,
  peak: { gflops: number | null },
): Promise<Omit<BenchRow, 'name' | 'backend' | 'device' | 'precision' | 'convAlgorithm'>> {
  const label = `${w.name} on ${b.name}${arith.precision === 'fp32' ? '' : ` in ${arith.precision}`}${b.name === 'native' ? `, ${arith.convAlgorithm} convolutions` : ''}`;
  opts.log(`${label}: bare loop…`);
  const bare = new BareProcess();
  const windows = opts.windows ?? WINDOWS;
  const window = opts.seconds / windows;
  let bareBest: number;
  let engine: number | null = null;
  let dataWait: number | null = null;
  let note: string | undefined;
  const between: number[] = [];
  let engineEpochs: number[] = [];
  const torchWindows: number[] = [];
  let torch: TorchReference | null = null;
  try {
    // Warm-up as long as half the measuring time, then one window that sizes the engine's epochs.
    if (!onHardwareGpu(b) && peak.gflops === null) peak.gflops = await bare.peak();
    await bare.open(w, b, opts.seconds / 2, arith);
    const sizing = await bare.window(window);
    opts.log(`${w.name}: the PyTorch reference…`);
    torch = await TorchReference.start(w, window, threads);
    // Each measured epoch as long as one bare window: the best of three of a length is compared
    // with the best of three of the same length (on a shared machine a longer window is likelier
    // to hold a slow spell). The bare loop's and PyTorch's windows are taken while the run is
    // paused in each of them, so that all three figures come from the same minutes.
    const steps = Math.max(3, Math.round((sizing * window) / w.batch));
    opts.log(`${label}: engine (${steps} steps per epoch), a bare-loop${torch ? ' and a PyTorch' : ''} window paused in each epoch…`);
    try {
      const takeWindows = async () => {
        between.push(await bare.window(window));
        if (torch) torchWindows.push(await torch.window(window));
      };
      ({ imagesPerSec: engine, dataWait, epochs: engineEpochs } = await engineRun(opts.dataDir, w, b.name, steps, { between: takeWindows, arith, windows }));
    } catch (err) {
      note = `engine run failed: ${(err as Error).message}`;
    }
    bareBest = between.length ? Math.max(...between) : sizing;
  } finally {
    bare.close();
    torch?.close();
  }
  const pytorch = torch && torchWindows.length ? { rate: Math.max(...torchWindows), settings: torch.settings } : null;
  return { engineImagesPerSec: engine, bareImagesPerSec: bareBest, ratio: engine ? engine / bareBest : null, gflops: trainingGflops(w, bareBest), peakGflops: peak.gflops, pytorchImagesPerSec: pytorch?.rate ?? null, pytorchPairedRatio: pairedRatio(engineEpochs, torchWindows), pytorchSettings: pytorch?.settings ?? null, dataWait, bareWindows: between, engineEpochs, pytorchWindows: torchWindows, note };
}

/** The median of a[i] / b[i] over the pairs both have (each engine epoch and the window taken in it); null where there are none. */
export function pairedRatio(a: number[], b: number[]): number | null {
  const r = a.slice(0, b.length).map((v, i) => v / b[i]!).filter(Number.isFinite).sort((x, y) => x - y);
  if (!r.length) return null;
  const m = r.length >> 1;
  return r.length % 2 ? r[m]! : (r[m - 1]! + r[m]!) / 2;
}
