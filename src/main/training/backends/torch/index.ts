// The `torch` backend: the training step, validation and weights live in a PyTorch child process
// (engine.ts, resources/torch_engine.py) on the device PyTorch has — CUDA or ROCm, Apple MPS, else
// the CPU. Everything around the step stays the app's: data pipeline, schedule, checkpoints,
// recording. Tensors on this side (batches, the test protocols' forward) use the native backend
// where its addon is built, else TF.js's CPU backend.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { cpu } from '../cpu';
import { native } from '../native';
import type { Precision } from '../../../../shared/domain';
import type { BackendModule } from '../types';
import { engineScript, pythonCandidates, torchEnv, TorchEngine } from './engine';

const INSTALL = 'install Python 3 and PyTorch (pip install torch, or Debian: apt-get install python3-torch); VGGLAB_PYTHON names another Python';

/** Which device the engine uses: VGGLAB_TORCH_DEVICE (cuda:N, N, mps, cpu), else the best it has. */
export const wantedDevice = (): string => process.env.VGGLAB_TORCH_DEVICE || 'auto';

/** PyTorch's threads: OMP_NUM_THREADS where set (as the native backend reads it), else every core. */
const engineThreads = () => Number(process.env.OMP_NUM_THREADS) || os.availableParallelism();

let probed: Promise<Found> | null = null;

type Found = { available: boolean; device: string | null; reason: string | null; precisions?: Precision[] };

/** One Python's answer to the engine script's --probe: the device line, or why not. */
function probeWith(python: string, script: string): Promise<Found> {
  return new Promise((resolve) => {
    execFile(python, [script, '--probe', '--device', wantedDevice(), '--threads', String(engineThreads())], { timeout: 60_000, encoding: 'utf8', env: torchEnv().env }, (err, stdout, stderr) => {
      try {
        const got = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { device: string };
        // fp16 autocast needs CUDA (the engine refuses it elsewhere, saying so); bf16 runs on every device.
        return resolve({ available: true, device: got.device, reason: null, precisions: /CUDA|ROCm/.test(got.device) ? ['bf16', 'fp16'] : ['bf16'] });
      } catch {
        const why = (stderr.trim().split('\n').at(-1) ?? '') || err?.message || 'no answer';
        if (/No module named 'torch'/.test(why)) return resolve({ available: false, device: null, reason: `PyTorch is not installed for ${python}` });
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return resolve({ available: false, device: null, reason: `${python} was not found` });
        return resolve({ available: false, device: null, reason: `the torch probe failed (${python}): ${why}` });
      }
    });
  });
}

/** The first Python that has PyTorch (importing it takes a second or more, so once per process), in a child process. */
function probeApart(): Promise<Found> {
  probed ??= (async () => {
    const script = engineScript();
    if (!script) return { available: false, device: null, reason: 'resources/torch_engine.py is missing from this installation' };
    const reasons: string[] = [];
    for (const python of pythonCandidates()) {
      const got = await probeWith(python, script);
      if (got.available) return got;
      reasons.push(got.reason!);
    }
    return { available: false, device: null, reason: reasons.join('; ') };
  })();
  return probed;
}

let engine: TorchEngine | null = null;

/** An engine on the first Python that starts it (in the probe's order), greeted: its device line. */
export async function startTorchEngine(): Promise<{ engine: TorchEngine; device: string }> {
  const threads = engineThreads();
  const failures: string[] = [];
  for (const python of pythonCandidates()) {
    const started = TorchEngine.start(python);
    try {
      const hello = await started.call('hello', { device: wantedDevice(), threads });
      return { engine: started, device: String(hello.header.device) };
    } catch (err) {
      started.close();
      failures.push((err as Error).message);
    }
  }
  throw new Error(`backend 'torch' could not start: ${failures.join('; ')}`);
}

/** This thread's engine, where the torch backend is active here. */
export function torchEngine(): TorchEngine | null {
  return engine;
}

export const torch: BackendModule = {
  name: 'torch',
  installHint: INSTALL,
  onGpu: (device) => /CUDA|ROCm|MPS/.test(device ?? ''),
  benchUpTo: () => 'heavy',
  reuseWorker: false,
  probe: probeApart,
  async activate(tf) {
    // This side's tensors: the native backend where it is built, else the CPU backend.
    const n = await native.probe();
    await (n.available ? native : cpu).activate(tf, n);
    const started = await startTorchEngine();
    engine = started.engine;
    return { device: started.device };
  },
};
