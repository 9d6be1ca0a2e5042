// WebGPU through Dawn's Node binding (the 'webgpu' package): a Vulkan/Metal/D3D12 adapter, or a
// software one (llvmpipe, SwiftShader), which ranks below the native CPU backend.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
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

/** The probe as a child process runs it: one JSON line, {device} or {reason}. */
const PROBE_SCRIPT = `
const { createRequire } = require('node:module');
(async () => {
  let out;
  try {
    const mod = createRequire(process.argv[1] + '/')('webgpu');
    Object.assign(globalThis, mod.globals);
    const adapter = await mod.create([]).requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) out = { reason: 'no WebGPU adapter found (no Vulkan/Metal/D3D12 driver)' };
    else {
      const i = adapter.info || {};
      const device = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ').trim() || 'unknown adapter';
      out = { device, software: Boolean(adapter.isFallbackAdapter) || ${SOFTWARE_ADAPTER}.test(device) };
    }
  } catch (err) {
    out = { reason: 'webgpu unavailable: ' + err.message };
  }
  process.stdout.write(JSON.stringify(out) + '\\n');
  process.exit(0);
})();
`;

let apartProbe: Promise<{ available: boolean; device: string | null; reason: string | null }> | undefined;

/**
 * The same probe in a child process, for listing backends: Dawn never loads in this process, so its
 * messages on stderr (lavapipe's "maxDynamic… artificially reduced") stay off the user's terminal.
 * Only a run or an evaluation that uses WebGPU starts it in its own worker thread.
 */
function probeApart(): Promise<{ available: boolean; device: string | null; reason: string | null }> {
  apartProbe ??= new Promise((resolve) => {
    const fail = (why: string) => resolve({ available: false, device: null, reason: `${why}; ${installHint}` });
    let root: string;
    try {
      root = path.dirname(createRequire(import.meta.url).resolve('webgpu/package.json'));
    } catch (err) {
      return fail(`webgpu is not installed or failed to load: ${(err as Error).message.split('\n')[0]}`);
    }
    execFile(process.execPath, ['-e', PROBE_SCRIPT, root], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 30_000 }, (err, stdout) => {
      let got: { device?: string; software?: boolean; reason?: string } | null = null;
      try {
        got = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
      } catch {
        got = null;
      }
      if (!got) return fail(`webgpu probe failed: ${err?.message ?? 'no answer'}`);
      if (got.reason || !got.device) return fail(got.reason ?? 'no adapter');
      resolve({ available: true, device: got.software ? `${got.device} (software adapter)` : got.device, reason: null });
    });
  });
  return apartProbe;
}

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
  onGpu: (device) => !isSoftware(device),
  // A software adapter (SwiftShader, llvmpipe) is too slow for 224 px.
  benchUpTo: (device) => (isSoftware(device) ? 'medium' : 'heavy'),
  reuseWorker: false,
  probe: probeApart,
  async activate(tf) {
    const probe = await probeWebGpu();
    if (typeof probe === 'string') throw new Error(probe);
    await import('@tensorflow/tfjs-backend-webgpu');
    await useTfBackend(tf, 'webgpu', 'webgpu');
    return { maxBufferBytes: Math.min(probe.adapter.limits.maxStorageBufferBindingSize, probe.adapter.limits.maxBufferSize), checkErrors: watchErrors(tf) };
  },
};
