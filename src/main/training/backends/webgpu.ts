// WebGPU through Dawn's Node binding (the 'webgpu' package): a Vulkan/Metal/D3D12 adapter, or a
// software one (llvmpipe, SwiftShader), which ranks below the native CPU backend.
import { importOptional, useTfBackend, type BackendModule, type Tf } from './types';

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software/i;
const installHint = "install the 'webgpu' npm package and a Vulkan/Metal/D3D12 driver (on Debian: mesa-vulkan-drivers from bookworm-backports)";

interface GPUAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  isFallbackAdapter?: boolean;
}
interface WebGpuProbe {
  adapter: GPUAdapterLike;
  device: string;
  software: boolean;
}

let webgpuProbe: Promise<WebGpuProbe | string> | undefined;

/** Installs navigator.gpu from Dawn's Node binding and asks for an adapter (once per process). */
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

const isSoftware = (device: string | null) => (device ?? '').includes('software adapter');

/** TF.js ignores Dawn's validation errors; collect them so a run fails instead of "succeeding" with zeros. */
function watchErrors(tf: Tf): () => Promise<void> {
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

export const webgpu: BackendModule = {
  name: 'webgpu',
  installHint,
  rank: (p) => (isSoftware(p.device) ? 4 : 2),
  onGpu: (device) => !isSoftware(device),
  reuseWorker: false,
  async probe() {
    const wg = await probeWebGpu();
    return typeof wg === 'string' ? { available: false, device: null, reason: `${wg}; ${installHint}` } : { available: true, device: wg.device, reason: null };
  },
  async activate(tf) {
    const probe = await probeWebGpu();
    if (typeof probe === 'string') throw new Error(probe);
    await import('@tensorflow/tfjs-backend-webgpu');
    await useTfBackend(tf, 'webgpu', 'webgpu');
    return { maxBufferBytes: Math.min(probe.adapter.limits.maxStorageBufferBindingSize, probe.adapter.limits.maxBufferSize), checkErrors: watchErrors(tf) };
  },
};
