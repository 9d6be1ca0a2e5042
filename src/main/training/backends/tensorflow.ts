// libtensorflow through tfjs-node, on the GPU (tfjs-node-gpu, CUDA) or the CPU.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BackendName } from '../../../shared/domain';
import { canImport, importOptional, useTfBackend, type BackendModule, type Tf } from './types';

/** tfjs-node says whether libtensorflow really placed work on a GPU; the run records what it says. */
function reportedDevice(tf: Tf): string {
  const b = tf.backend() as unknown as { isGPUPackage?: boolean; isUsingGpuDevice?: boolean };
  return b.isUsingGpuDevice ? 'CUDA GPU (libtensorflow)' : b.isGPUPackage ? 'CPU (libtensorflow GPU package, but no GPU in use: check CUDA 11.2 and cuDNN 8.1)' : 'CPU (libtensorflow)';
}

/** The libraries tfjs-node-gpu 4.x's libtensorflow loads: built for CUDA 11.2 and cuDNN 8.1, it takes no other. */
export const CUDA11_LIBRARIES = ['libcudart.so.11.0', 'libcublas.so.11', 'libcudnn.so.8'];

/** Which of those the dynamic linker cannot find, in LD_LIBRARY_PATH's folders or its cache (`ldconfig -p`). */
export function missingCuda11(dirs: string[], ldconfigCache: string): string[] {
  return CUDA11_LIBRARIES.filter((lib) => !dirs.some((d) => fs.existsSync(path.join(d, lib))) && !ldconfigCache.includes(`${lib} `));
}

/** Why tfjs-node-gpu, though installed, would run on the CPU here; null where its CUDA 11 libraries are found (or off Linux, where this is not checked). */
function cuda11Problem(): string | null {
  if (process.platform !== 'linux') return null;
  let cache = '';
  try {
    cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    try {
      cache = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // No cache to read: only LD_LIBRARY_PATH is searched.
    }
  }
  const missing = missingCuda11((process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), cache);
  if (!missing.length) return null;
  return `@tensorflow/tfjs-node-gpu is installed, but the CUDA 11 libraries its libtensorflow was built for are not (${missing.join(', ')} not found; it needs CUDA 11.2 and cuDNN 8.1, which current GPU drivers no longer come with), so it would run on the CPU: use the torch backend, which trains on the PyTorch this machine has (CUDA 12 or 13, ROCm, MPS)`;
}

function libtensorflow(name: BackendName, pkg: string, installHint: string, device: string, gpu: boolean): BackendModule {
  return {
    name,
    installHint,
    onGpu: () => gpu,
    benchUpTo: () => 'heavy',
    reuseWorker: true,
    async probe() {
      const err = await canImport(pkg);
      if (err) return { available: false, device: null, reason: `${err}; ${installHint}` };
      const cuda = gpu ? cuda11Problem() : null;
      return cuda ? { available: false, device: null, reason: cuda } : { available: true, device, reason: null };
    },
    async activate(tf) {
      if (gpu) process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
      await importOptional(pkg);
      await useTfBackend(tf, 'tensorflow', name);
      return { device: reportedDevice(tf) };
    },
  };
}

export const tensorflowGpu = libtensorflow('tensorflow-gpu', '@tensorflow/tfjs-node-gpu', 'install @tensorflow/tfjs-node-gpu (needs CUDA 11.2 and cuDNN 8.1 on Linux/Windows with an NVIDIA GPU)', 'CUDA GPU (libtensorflow)', true);
export const tensorflowCpu = libtensorflow('tensorflow', '@tensorflow/tfjs-node', 'install @tensorflow/tfjs-node (downloads libtensorflow at install time)', 'CPU (libtensorflow)', false);
