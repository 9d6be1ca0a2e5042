// Finds, ranks and initialises TF.js backends. Runs inside the training worker,
// where the chosen backend lives; the main thread only probes availability.
import os from 'node:os';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BackendChoice, BackendInfo, BackendName } from '../../shared/domain';
import { loadNativeAddon } from './native/addon';

type Tf = typeof TfCore;

const INSTALL_HINT: Record<BackendName, string> = {
  'tensorflow-gpu': 'install @tensorflow/tfjs-node-gpu (needs CUDA 11.2 and cuDNN 8.1 on Linux/Windows with an NVIDIA GPU)',
  tensorflow: 'install @tensorflow/tfjs-node (downloads libtensorflow at install time)',
  webgpu: "install the 'webgpu' npm package and a Vulkan/Metal/D3D12 driver (on Debian: mesa-vulkan-drivers from bookworm-backports)",
  native: 'install a C++ compiler and OpenBLAS (Debian: g++ libopenblas-dev), then run npm install again',
  cpu: '',
};

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software/i;

interface WebGpuProbe {
  adapter: GPUAdapterLike;
  device: string;
  software: boolean;
}
interface GPUAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  isFallbackAdapter?: boolean;
}

let webgpuProbe: Promise<WebGpuProbe | string> | undefined;

/** Installs navigator.gpu from Dawn's Node binding and asks for an adapter. */
export function probeWebGpu(): Promise<WebGpuProbe | string> {
  webgpuProbe ??= (async () => {
    try {
      const mod = (await importOptional('webgpu')) as unknown as { create: (o: string[]) => unknown; globals: object };
      Object.assign(globalThis, mod.globals);
      const gpu = mod.create([]) as { requestAdapter: (o?: object) => Promise<GPUAdapterLike | null> };
      const nav = (globalThis as { navigator?: object }).navigator;
      if (nav && !('gpu' in nav)) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
      else if (!nav) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) return 'no WebGPU adapter found (no Vulkan/Metal/D3D12 driver)';
      const info = adapter.info ?? {};
      const device = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ').trim() || 'unknown adapter';
      const software = Boolean(adapter.isFallbackAdapter) || SOFTWARE_ADAPTER.test(device);
      return { adapter, device: software ? `${device} (software adapter)` : device, software };
    } catch (err) {
      return `webgpu unavailable: ${(err as Error).message}`;
    }
  })();
  return webgpuProbe;
}

/** Optional packages are imported by a computed name so that bundlers leave them alone. */
function importOptional(mod: string): Promise<unknown> {
  return import(/* @vite-ignore */ mod);
}

async function canImport(mod: string): Promise<string | null> {
  try {
    await importOptional(mod);
    return null;
  } catch (err) {
    return `${mod} is not installed or failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
}

function nativeDevice(addon: { info(): { blas: string; threads?: number; openmp: boolean } }): string {
  const i = addon.info();
  // OpenBLAS reports e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH USE_OPENMP Cooperlake MAX_THREADS=64".
  const version = /OpenBLAS\s+([\d.]+)/.exec(i.blas)?.[1];
  const core = /\b(Haswell|SkylakeX|Cooperlake|Sapphirerapids|Zen|Prescott|Nehalem|Sandybridge|Neoverse\w*|ARMV8)\b/i.exec(i.blas)?.[1];
  const blas = version ? `OpenBLAS ${version}${core ? ` ${core}` : ''}` : i.blas;
  return `CPU, ${i.threads ?? os.availableParallelism()} threads, ${blas}${i.openmp ? ', OpenMP' : ''}`;
}

/**
 * Which backends this machine has, without initialising TF.js; `only` probes just those (a forced
 * backend need not start a WebGPU adapter, and Dawn's messages then stay off the terminal).
 */
export async function listBackends(only?: readonly BackendName[]): Promise<BackendInfo[]> {
  const want = (name: BackendName) => !only || only.includes(name);
  const out: BackendInfo[] = [];
  if (want('tensorflow-gpu')) {
    const gpuErr = await canImport('@tensorflow/tfjs-node-gpu');
    out.push({ name: 'tensorflow-gpu', available: !gpuErr, device: gpuErr ? null : 'CUDA GPU (libtensorflow)', reason: gpuErr ? `${gpuErr}; ${INSTALL_HINT['tensorflow-gpu']}` : null });
  }
  if (want('tensorflow')) {
    const cpuErr = await canImport('@tensorflow/tfjs-node');
    out.push({ name: 'tensorflow', available: !cpuErr, device: cpuErr ? null : 'CPU (libtensorflow)', reason: cpuErr ? `${cpuErr}; ${INSTALL_HINT.tensorflow}` : null });
  }
  if (want('webgpu')) {
    const wg = await probeWebGpu();
    out.push(typeof wg === 'string' ? { name: 'webgpu', available: false, device: null, reason: `${wg}; ${INSTALL_HINT.webgpu}` } : { name: 'webgpu', available: true, device: wg.device, reason: null });
  }
  if (want('native')) {
    const native = loadNativeAddon();
    out.push(
      'addon' in native
        ? { name: 'native', available: true, device: nativeDevice(native.addon), reason: null }
        : { name: 'native', available: false, device: null, reason: native.reason },
    );
  }
  if (want('cpu')) out.push({ name: 'cpu', available: true, device: 'CPU (pure JavaScript)', reason: null });
  return out;
}

/** Whether a backend computes on a real GPU (else on CPU cores: libtensorflow, native, pure JS, a software WebGPU adapter). */
export function onHardwareGpu(b: { name: string; device?: string | null }): boolean {
  return b.name === 'tensorflow-gpu' || (b.name === 'webgpu' && !(b.device ?? '').includes('software adapter'));
}

/** Auto order (DESIGN.md): hardware GPU first, then native CPU, then a software GPU, then pure JS. */
function rank(b: BackendInfo): number {
  return { 'tensorflow-gpu': 0, tensorflow: 1, webgpu: onHardwareGpu(b) ? 2 : 4, native: 3, cpu: 5 }[b.name];
}

export function chooseBackend(choice: BackendChoice, all: BackendInfo[]): BackendInfo {
  if (choice !== 'auto') {
    const b = all.find((x) => x.name === choice)!;
    if (!b.available) throw new Error(`backend '${choice}' is not available: ${b.reason ?? INSTALL_HINT[choice]}`);
    return b;
  }
  return [...all].filter((b) => b.available).sort((a, b) => rank(a) - rank(b))[0]!;
}

export interface ActiveBackend {
  name: BackendName;
  device: string;
  /** Largest single buffer the device accepts, in bytes (Infinity where unlimited). */
  maxBufferBytes: number;
  /** Rejects with the first uncaptured device error since the last call. */
  checkErrors: () => Promise<void>;
}

/** Loads and activates one backend in this thread. */
export async function activateBackend(tf: Tf, info: BackendInfo): Promise<ActiveBackend> {
  let maxBufferBytes = Number.POSITIVE_INFINITY;
  let checkErrors = async () => {};
  switch (info.name) {
    case 'tensorflow-gpu':
      process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
      await importOptional('@tensorflow/tfjs-node-gpu');
      break;
    case 'tensorflow':
      await importOptional('@tensorflow/tfjs-node');
      break;
    case 'webgpu': {
      const probe = await probeWebGpu();
      if (typeof probe === 'string') throw new Error(probe);
      await import('@tensorflow/tfjs-backend-webgpu');
      maxBufferBytes = Math.min(probe.adapter.limits.maxStorageBufferBindingSize, probe.adapter.limits.maxBufferSize);
      break;
    }
    case 'native': {
      const native = loadNativeAddon();
      if (!('addon' in native)) throw new Error(`backend 'native' is not available: ${native.reason}`);
      // The CPU backend's kernels are copied from its registry, so it must be imported first.
      await import('@tensorflow/tfjs-backend-cpu');
      const { registerNativeBackend } = await import('./native/kernels');
      registerNativeBackend(tf, native.addon);
      break;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      break;
  }
  const backendId = { 'tensorflow-gpu': 'tensorflow', tensorflow: 'tensorflow', webgpu: 'webgpu', native: 'native', cpu: 'cpu' }[info.name];
  if (!(await tf.setBackend(backendId))) throw new Error(`backend '${info.name}' failed to initialise`);
  await tf.ready();
  if (info.name === 'webgpu') checkErrors = watchWebGpuErrors(tf);
  let device = info.device ?? info.name;
  if (info.name === 'tensorflow-gpu' || info.name === 'tensorflow') {
    // tfjs-node says whether libtensorflow really placed work on a GPU; record what it says.
    const b = tf.backend() as unknown as { isGPUPackage?: boolean; isUsingGpuDevice?: boolean };
    device = b.isUsingGpuDevice ? 'CUDA GPU (libtensorflow)' : b.isGPUPackage ? 'CPU (libtensorflow GPU package, but no GPU in use: check CUDA 11.2 and cuDNN 8.1)' : 'CPU (libtensorflow)';
  }
  // The CPU backend's first-use banner recommends tfjs-node, which is wrong advice when native runs.
  const cpuLike = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in cpuLike) cpuLike.firstUse = false;
  return { name: info.name, device, maxBufferBytes, checkErrors };
}

/** TF.js ignores Dawn's validation errors; collect them so a run fails instead of "succeeding" with zeros. */
function watchWebGpuErrors(tf: Tf): () => Promise<void> {
  const backend = tf.backend() as unknown as { device?: EventTarget & { lost?: Promise<{ message: string }> } };
  const device = backend.device;
  let first: string | null = null;
  device?.addEventListener?.('uncapturederror', (e: Event) => {
    first ??= String((e as unknown as { error?: { message?: string } }).error?.message ?? 'unknown WebGPU error');
  });
  void device?.lost?.then((l) => {
    first ??= `WebGPU device lost: ${l.message}`;
  });
  return async () => {
    if (first) throw new Error(`GPU error: ${first}`);
  };
}
