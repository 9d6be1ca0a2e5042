// vgglab bench: images/s of the engine, a bare TF.js loop and the data pipeline.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { CONV_ALGORITHMS, PRECISIONS, type BackendName, type ConvAlgorithm, type Precision } from '../../../shared/domain';
import { table } from '../format';
import { UsageError } from '../options';
import { printJson } from './common';

export async function benchCommand(opts: { backend?: BackendName; json?: boolean; seconds: number; windows?: number; workload?: string; precision?: string; convAlgorithm?: string; on?: 'local' | 'cluster'; queue?: string }): Promise<number> {
  if (opts.on === 'cluster') return clusterBench(opts);
  const { runBench } = await import('../../bench/run');
  const { runDataBench } = await import('../../bench/data');
  const chosen = opts.workload?.split(',').map((w) => w.trim());
  const unknown = chosen?.filter((w) => !['W1', 'W2', 'W3', 'data', 'eval', 'order'].includes(w));
  if (unknown?.length) throw new UsageError(`--workload ${unknown.join(',')}: accepted: W1, W2, W3, data, eval, order (comma-separated)`);
  const engineWorkloads = chosen?.filter((w) => w !== 'data' && w !== 'eval' && w !== 'order');
  const precisions = (opts.precision ?? 'fp32').split(',').map((p) => p.trim()) as Precision[];
  const badPrecision = precisions.filter((p) => !(PRECISIONS as readonly string[]).includes(p));
  if (badPrecision.length || !precisions.length) throw new UsageError(`--precision ${opts.precision}: accepted: ${PRECISIONS.join(', ')} (comma-separated)`);
  const algorithms = (opts.convAlgorithm ?? 'auto').split(',').map((a) => a.trim()) as ConvAlgorithm[];
  const badAlgorithm = algorithms.filter((a) => !(CONV_ALGORITHMS as readonly string[]).includes(a));
  if (badAlgorithm.length || !algorithms.length) throw new UsageError(`--conv-algorithm ${opts.convAlgorithm}: accepted: ${CONV_ALGORITHMS.join(', ')} (comma-separated)`);
  const arithmetics = precisions.flatMap((precision) => algorithms.map((convAlgorithm) => ({ precision, convAlgorithm })));
  // Bench runs are recorded in a scratch folder, never in the user's run list.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-bench-'));
  const log = (s: string) => {
    if (!opts.json) process.stderr.write(`${s}\n`);
  };
  try {
    const rows = engineWorkloads && !engineWorkloads.length ? [] : await runBench({ backend: opts.backend, seconds: opts.seconds, windows: opts.windows, workloads: engineWorkloads, arithmetics, dataDir, log });
    const data = !chosen || chosen.includes('data') ? await runDataBench(log) : [];
    const evaluation = !chosen || chosen.includes('eval') ? await evalBench(opts.backend, dataDir, log) : [];
    // Asked for by name only: it trains four runs.
    const order = chosen?.includes('order') ? await orderBench(opts.backend, opts.seconds, dataDir, log) : null;
    const f = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
    if (!opts.json) {
      if (rows.length) {
        console.log(
          table(
            ['workload', 'backend', 'precision', 'conv', 'engine img/s', 'bare img/s', 'engine/bare', 'GFLOP/s', 'of GEMM peak', 'PyTorch img/s', 'engine/PyTorch', 'paired', 'data wait', 'note'],
            rows.map((r) => [
              r.name, r.backend, r.precision, r.backend === 'native' ? r.convAlgorithm : '-', f(r.engineImagesPerSec), f(r.bareImagesPerSec), f(r.ratio, 2), f(r.gflops),
              r.gflops !== null && r.peakGflops ? `${((100 * r.gflops) / r.peakGflops).toFixed(0)}%` : '-',
              f(r.pytorchImagesPerSec), r.engineImagesPerSec !== null && r.pytorchImagesPerSec ? f(r.engineImagesPerSec / r.pytorchImagesPerSec, 2) : '-', f(r.pytorchPairedRatio, 2),
              r.dataWait === null ? '-' : `${(100 * r.dataWait).toFixed(1)}%`, r.note ?? '',
            ]),
          ),
        );
        console.log([...new Set(rows.map((r) => `${r.backend}: ${r.device}${r.peakGflops ? ` (GEMM peak ${r.peakGflops.toFixed(0)} GFLOP/s)` : ''}`))].join('\n'));
        for (const r of rows.filter((x, i) => x.pytorchSettings && rows.findIndex((y) => y.name === x.name) === i)) console.log(`PyTorch ${r.name}: ${r.pytorchSettings}`);
      }
      if (data.length) {
        console.log(
          table(
            ['data pipeline', 'threads', 'decode img/s', 'augment img/s', 'first epoch img/s', 'sharp img/s (1 thread)', 'sharp / decode per thread', 'crops cut'],
            data.map((r) => [r.set, String(r.threads), f(r.decodeImagesPerSec, 0), f(r.augmentImagesPerSec, 0), f(r.coldImagesPerSec, 0), f(r.sharpImagesPerSec, 0), f(r.perThreadRatio, 2), r.crops]),
          ),
        );
      }
    }
    if (!opts.json && evaluation.length) {
      console.log(
        table(
          ['evaluation', 'backend', 'protocol', 'images', 'scales', 'images×scales/s', 'crop passes/s', 'training img/s', 'wall s (with loading)', 'route'],
          evaluation.map((r) => [r.workload, r.backend, r.protocol, String(r.images), r.scales.join(','), f(r.imagesScalesPerSec, 0), f(r.viewsPerSec, 0), f(r.trainImagesPerSec, 0), f(r.seconds, 1), r.route ?? '-']),
        ),
      );
    }
    if (!opts.json && order) {
      console.log(
        table(
          ['order', 'backend', 'W2 first img/s', 'then W1 img/s', 'then evaluation (dense) s', 'then W2 img/s', 'W2 after ÷ first', 'W2 epochs (first; after)'],
          [['W2, W1, eval, W2', order.backend, f(order.firstImagesPerSec), f(order.w1ImagesPerSec), f(order.evaluation.seconds, 1), f(order.afterImagesPerSec), f(order.ratio, 2), `${order.firstEpochs.map((v) => v.toFixed(0)).join(', ')}; ${order.afterEpochs.map((v) => v.toFixed(0)).join(', ')}`]],
        ),
      );
    }
    if (opts.json) printJson({ workloads: rows, data, evaluation, ...(order ? { order } : {}) });
    return 0;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Evaluation rows on the chosen backend, else the fastest here. */
async function evalBench(backend: BackendName | undefined, dataDir: string, log: (s: string) => void) {
  const { runEvalBench } = await import('../../bench/evaluation');
  const { chooseBackend, listBackends } = await import('../../training/backends');
  const b = chooseBackend(backend ?? 'auto', await listBackends(backend ? [backend] : undefined));
  return runEvalBench({ backend: b.name, dataDir: path.join(dataDir, 'eval'), log });
}

/** W2 before and after W1 and an evaluation in one app, on the chosen backend, else the fastest here. */
async function orderBench(backend: BackendName | undefined, seconds: number, dataDir: string, log: (s: string) => void) {
  const { runOrderBench } = await import('../../bench/order');
  const { chooseBackend, listBackends } = await import('../../training/backends');
  const b = chooseBackend(backend ?? 'auto', await listBackends(backend ? [backend] : undefined));
  return runOrderBench({ backend: b.name, seconds, dataDir: path.join(dataDir, 'order'), log });
}

/** The queue's cost: W2 here and through a local worker and Redis. */
async function clusterBench(opts: { backend?: BackendName; json?: boolean; seconds: number; queue?: string }): Promise<number> {
  const { runClusterBench } = await import('../../bench/cluster');
  const row = await runClusterBench({ backend: opts.backend, seconds: opts.seconds, queue: opts.queue, log: (s) => !opts.json && process.stderr.write(`${s}\n`) });
  const f = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
  if (opts.json) printJson({ cluster: row });
  else {
    console.log(
      table(
        ['workload', 'backend', 'here img/s', 'cluster img/s', 'cluster/here', 'here wall s', 'cluster wall s', 'here/cluster wall', 'point latency p50 ms', 'p95 ms'],
        [[row.workload, row.backend, f(row.localImagesPerSec), f(row.clusterImagesPerSec), f(row.ratio, 2), f(row.localWallSeconds), f(row.clusterWallSeconds), f(row.wallRatio, 2), f(row.latencyP50Ms, 0), f(row.latencyP95Ms, 0)]],
      ),
    );
    console.log(`queue: ${row.queue}; latency: from a metric batch's arrival in Redis to its commit in this database (${row.batches} batches)`);
  }
  return 0;
}
