// libtensorflow through tfjs-node, on the GPU (tfjs-node-gpu, CUDA) or the CPU.
import type { BackendName } from '../../../shared/domain';
import { canImport, importOptional, useTfBackend, type BackendModule, type Tf } from './types';

/** tfjs-node says whether libtensorflow really placed work on a GPU; the run records what it says. */
function reportedDevice(tf: Tf): string {
  const b = tf.backend() as unknown as { isGPUPackage?: boolean; isUsingGpuDevice?: boolean };
  return b.isUsingGpuDevice ? 'CUDA GPU (libtensorflow)' : b.isGPUPackage ? 'CPU (libtensorflow GPU package, but no GPU in use: check CUDA 11.2 and cuDNN 8.1)' : 'CPU (libtensorflow)';
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
      return err ? { available: false, device: null, reason: `${err}; ${installHint}` } : { available: true, device, reason: null };
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
