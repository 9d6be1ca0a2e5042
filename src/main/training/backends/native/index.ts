// VGG Lab's own C++ addon (native/): the CPU backend's kernels with convolutions, matrix products
// and pooling replaced by multi-threaded oneDNN or BLAS ones.
import os from 'node:os';
import { loadNativeAddon } from '../../../addon';
import { useTfBackend, type BackendModule } from '../types';

function nativeDevice(addon: { info(): { blas: string; threads?: number; openmp: boolean; onednn?: string } }): string {
  const i = addon.info();
  // OpenBLAS reports e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH USE_OPENMP Cooperlake MAX_THREADS=64".
  const version = /OpenBLAS\s+([\d.]+)/.exec(i.blas)?.[1];
  const core = /\b(Haswell|SkylakeX|Cooperlake|Sapphirerapids|Zen|Prescott|Nehalem|Sandybridge|Neoverse\w*|ARMV8)\b/i.exec(i.blas)?.[1];
  const blas = version ? `OpenBLAS ${version}${core ? ` ${core}` : ''}` : i.blas;
  // Built with oneDNN, every convolution and matrix product runs on it (the BLAS is then unused);
  // without it, the device says what the build cannot do (--conv-algorithm winograd, --precision bf16).
  return `CPU, ${i.threads ?? os.availableParallelism()} threads, ${i.onednn ? `oneDNN ${i.onednn}` : blas}${i.openmp ? ', OpenMP' : ''}${i.onednn ? '' : ' (without oneDNN: no Winograd, no bf16)'}`;
}

export const native: BackendModule = {
  name: 'native',
  installHint: 'install a C++ compiler and OpenBLAS (Debian: g++ libopenblas-dev), then run npm install again',
  onGpu: () => false,
  benchUpTo: () => 'heavy',
  reuseWorker: false,
  async probe() {
    const found = loadNativeAddon();
    if (!('addon' in found)) return { available: false, device: null, reason: found.reason };
    const i = found.addon.info();
    return { available: true, device: nativeDevice(found.addon), reason: null, precisions: i.bf16 ? ['bf16'] : [], convAlgorithms: i.winograd ? ['direct', 'winograd'] : ['direct'] };
  },
  async activate(tf) {
    const found = loadNativeAddon();
    if (!('addon' in found)) throw new Error(`backend 'native' is not available: ${found.reason}`);
    // The CPU backend's kernels are copied from its registry, so it must be imported first.
    await import('@tensorflow/tfjs-backend-cpu');
    const { registerNativeBackend } = await import('./kernels');
    registerNativeBackend(tf, found.addon);
    await useTfBackend(tf, 'native', 'native');
    return {};
  },
};
