// `vgglab bench`: images/s of the full engine (worker, data, recording) and of the bare loop
// on the same model, per backend and workload, and the PyTorch reference where it is installed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrainParams, type BackendInfo, type BackendName } from '../../shared/domain';
import { createApp, type App } from '../services/app';
import { listBackends, onHardwareGpu } from '../training/backends';
import { Worker } from 'node:worker_threads';
import { gemmPeakGflops } from './peak';
import { WINDOWS } from './bare';
import { WORKLOADS, type Workload } from './workloads';

export interface BenchRow {
  name: string;
  backend: BackendName;
  device: string;
  engineImagesPerSec: number | null;
  bareImagesPerSec: number | null;
  ratio: number | null;
  gflops: number | null;
  /** The backend's GEMM peak on this machine (native: a 1024³ product, best of repeats), for the share gflops is of it. */
  peakGflops: number | null;
  pytorchImagesPerSec: number | null;
  /** How PyTorch ran: threads, the faster layout and both layouts' figures, the BLAS on its path. */
  pytorchSettings: string | null;
  /** Share of the engine's step time spent waiting for the data pipeline. */
  dataWait: number | null;
  note?: string;
}

const FAST = (b: BackendInfo) => b.name === 'tensorflow' || b.name === 'native' || onHardwareGpu(b);

export async function engineRun(
  dataDir: string,
  w: Workload,
  backend: BackendName,
  steps: number,
  cluster?: { queue: string; artifacts: string; onApp?: (app: App) => void },
): Promise<{ imagesPerSec: number | null; dataWait: number | null; wallSeconds: number }> {
  const app = createApp({ dataDir, transport: 'bench', ...(cluster ? { cluster, connectCluster: true } : {}) });
  cluster?.onApp?.(app);
  const t0 = performance.now();
  try {
    // Four epochs: the first warms up (JIT, shader compiles); the best of the other three is reported,
    // as the bare loop's and PyTorch's best windows are (a shared machine only ever slows one down).
    const { id } = await app.runs.start(TrainParams.parse({
      config: w.config, inputSize: w.inputSize, width: w.width, classes: w.classes, batch: w.batch, epochs: 4,
      trainSamples: w.batch * steps, valSamples: w.batch, backend, schedule: 'none', seed: 1, experiment: 'bench',
      // The same small rate as the bare loop: a benchmark measures speed, and must not diverge.
      lr: 0.001,
      on: cluster ? 'cluster' : 'local',
    }));
    const status = await app.runs.waitFor(id);
    if (status !== 'completed') throw new Error(app.runs.get(id).error ?? status);
    const points = app.runs.metrics(id, -1);
    const timed = points.filter((p) => p.name === 'images_per_sec' && p.epoch > 1).sort((a, b) => b.value - a.value)[0];
    const wait = timed ? points.find((p) => p.name === 'data_wait' && p.epoch === timed.epoch) : undefined;
    return { imagesPerSec: timed?.value ?? null, dataWait: wait?.value ?? null, wallSeconds: (performance.now() - t0) / 1000 };
  } finally {
    await app.close();
  }
}

function pytorchReference(w: Workload, seconds: number, threads: number): { rate: number; settings: string } | null {
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bench/pytorch_reference.py');
  if (!fs.existsSync(script)) return null;
  // PyTorch at its best here: our thread count, and the OpenMP OpenBLAS first on the library path
  // (Debian's alternatives may point at the pthread build, which starves PyTorch's OpenMP threads).
  const openmpBlas = ['/usr/lib/x86_64-linux-gnu/openblas-openmp', '/usr/lib/aarch64-linux-gnu/openblas-openmp'].find((d) => fs.existsSync(d));
  const env = { ...process.env, ...(openmpBlas ? { LD_LIBRARY_PATH: [openmpBlas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}) };
  // Debian's python3-torch lives under the system interpreter, which may not be the first python3 on PATH.
  for (const python of ['python3', '/usr/bin/python3']) {
    const res = spawnSync(python, [script, w.config, String(w.inputSize), String(w.width), String(w.classes), String(w.batch), String(seconds), String(threads)], { encoding: 'utf8', timeout: 600_000, env });
    const m = /images_per_sec=([\d.]+) threads=(\d+) layout=(\S+) nchw=([\d.]+) channels_last=([\d.]+)/.exec(res.stdout ?? '');
    if (m) return { rate: Number(m[1]), settings: `${m[2]} thread(s), ${m[3]} (NCHW ${m[4]}, channels_last ${m[5]} img/s)${openmpBlas ? ', OpenMP OpenBLAS' : ''}` };
  }
  return null;
}

function bareInWorker(w: Workload, backend: BackendInfo, seconds: number): Promise<{ imagesPerSec: number; gflops: number }> {
  const worker = new Worker(new URL('./bare-worker-boot.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { ok: boolean; imagesPerSec: number; gflops: number; error?: string }) => {
      void worker.terminate();
      if (m.ok) resolve(m);
      else reject(new Error(m.error));
    });
    worker.once('error', reject);
    worker.postMessage({ w, backend, seconds });
  });
}

export async function runBench(opts: { backend?: BackendName; seconds: number; workloads?: string[]; dataDir: string; log: (s: string) => void }): Promise<BenchRow[]> {
  const all = (await listBackends()).filter((b) => b.available && (!opts.backend || b.name === opts.backend));
  if (opts.backend && !all.length) throw new Error(`backend '${opts.backend}' is not available on this machine`);
  const rows: BenchRow[] = [];
  const torch: Record<string, { rate: number; settings: string } | null> = {};
  for (const b of all) {
    const peakGflops = b.name === 'native' ? gemmPeakGflops() : null;
    for (const w of WORKLOADS.filter((x) => !opts.workloads || opts.workloads.includes(x.name))) {
      const base = { name: w.name, backend: b.name, device: b.device ?? b.name };
      if (w.heavy && !FAST(b)) {
        rows.push({ ...base, engineImagesPerSec: null, bareImagesPerSec: null, ratio: null, gflops: null, peakGflops: null, pytorchImagesPerSec: null, pytorchSettings: null, dataWait: null, note: 'too heavy for this backend' });
        continue;
      }
      if (b.name === 'cpu' && w.name !== 'W2') {
        rows.push({ ...base, engineImagesPerSec: null, bareImagesPerSec: null, ratio: null, gflops: null, peakGflops: null, pytorchImagesPerSec: null, pytorchSettings: null, dataWait: null, note: 'pure-JS cpu backend: too slow, skipped' });
        continue;
      }
      opts.log(`${w.name} on ${b.name}: bare loop…`);
      const bare = await bareInWorker(w, b, opts.seconds);
      // Each timed epoch as long as one of the bare loop's windows: the best of three windows of a
      // length is compared with the best of three of the same length (on a shared machine a longer
      // window is likelier to hold a slow spell, so unequal lengths favour the shorter).
      const steps = Math.max(3, Math.round((bare.imagesPerSec * opts.seconds) / WINDOWS / w.batch));
      opts.log(`${w.name} on ${b.name}: engine (${steps} steps per epoch)…`);
      let engine: number | null = null;
      let dataWait: number | null = null;
      let note: string | undefined;
      try {
        ({ imagesPerSec: engine, dataWait } = await engineRun(opts.dataDir, w, b.name, steps));
      } catch (err) {
        note = `engine run failed: ${(err as Error).message}`;
      }
      torch[w.name] ??= pytorchReference(w, opts.seconds, Number(process.env.OMP_NUM_THREADS) || os.availableParallelism());
      rows.push({ ...base, engineImagesPerSec: engine, bareImagesPerSec: bare.imagesPerSec, ratio: engine ? engine / bare.imagesPerSec : null, gflops: bare.gflops, peakGflops, pytorchImagesPerSec: torch[w.name]?.rate ?? null, pytorchSettings: torch[w.name]?.settings ?? null, dataWait, note });
    }
  }
  return rows;
}
