// The compute backends, one module each, in one ordered list: the only list of them in the main
// process. Probing runs in the main thread without initialising TF.js; activation runs in the worker
// thread where the chosen backend lives.
import { BACKEND_NAMES, type BackendChoice, type BackendInfo, type BackendName } from '../../../shared/domain';
import { cpu } from './cpu';
import { native } from './native';
import { tensorflowCpu, tensorflowGpu } from './tensorflow';
import { torch } from './torch';
import type { ActiveBackend, BackendModule, Tf } from './types';
import { webgpu } from './webgpu';

export type { ActiveBackend } from './types';
export { probeWebGpu } from './webgpu';

/**
 * The backends in the auto choice's order, best first: the only place they are listed and ranked.
 * One whose place depends on what its probe found (WebGPU on a hardware or a software adapter)
 * stands once for each.
 */
const AUTO_ORDER: { backend: BackendModule; onGpu?: boolean }[] = [
  { backend: torch, onGpu: true },
  { backend: tensorflowGpu },
  { backend: tensorflowCpu },
  { backend: webgpu, onGpu: true },
  { backend: native },
  // On the CPU, in-process native runs the same kernels as PyTorch without the pipe.
  { backend: torch, onGpu: false },
  { backend: webgpu, onGpu: false },
  { backend: cpu },
];

export const BACKENDS = Object.fromEntries(AUTO_ORDER.map((o) => [o.backend.name, o.backend])) as Record<BackendName, BackendModule>;
// The names are the run schema's (src/shared/names.ts, shared with the UI): each needs a module here, and each module a name there.
for (const name of BACKEND_NAMES) if (!BACKENDS[name]) throw new Error(`backend ${name} (src/shared/names.ts) has no module in AUTO_ORDER`);
for (const name of Object.keys(BACKENDS)) if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new Error(`backend ${name} is not in BACKEND_NAMES (src/shared/names.ts)`);
const rank = (b: BackendInfo) => AUTO_ORDER.findIndex((o) => o.backend.name === b.name && (o.onGpu === undefined || o.onGpu === BACKENDS[b.name].onGpu(b.device)));

/** The auto choice among probed backends: the available one placed first in AUTO_ORDER. */
function autoChoice(all: BackendInfo[]): BackendInfo | undefined {
  return all.filter((b) => b.available).sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * Which backends this machine has, the one auto picks marked `auto` (where all were probed);
 * `only` probes just those (a forced backend need not start a WebGPU adapter, and Dawn's messages
 * then stay off the terminal).
 */
export async function listBackends(only?: readonly BackendName[]): Promise<BackendInfo[]> {
  const names = (Object.keys(BACKENDS) as BackendName[]).filter((n) => !only || only.includes(n));
  const all: BackendInfo[] = [];
  for (const name of names) all.push({ name, ...(await BACKENDS[name].probe()) });
  const pick = only ? undefined : autoChoice(all);
  return all.map((b) => ({ ...b, auto: b === pick }));
}

/** Whether a backend computes on a real GPU (else on CPU cores: libtensorflow, native, pure JS, a software WebGPU adapter). */
export const onHardwareGpu = (b: { name: BackendName; device: string | null }): boolean => BACKENDS[b.name].onGpu(b.device);

/** The heaviest bench workload a backend runs in reasonable time on its device. */
export const benchUpTo = (b: { name: BackendName; device: string | null }): 'light' | 'medium' | 'heavy' => BACKENDS[b.name].benchUpTo(b.device);

/** Backends whose runs share one long-lived worker (tfjs-node cannot be initialised twice in a process). */
export const REUSED_BACKENDS: ReadonlySet<string> = new Set(Object.values(BACKENDS).filter((b) => b.reuseWorker).map((b) => b.name));

export function chooseBackend(choice: BackendChoice, all: BackendInfo[]): BackendInfo {
  if (choice !== 'auto') {
    const b = all.find((x) => x.name === choice)!;
    if (!b.available) throw new Error(`backend '${choice}' is not available: ${b.reason ?? BACKENDS[choice].installHint}`);
    return b;
  }
  return autoChoice(all)!;
}

/** Loads and activates one backend in this thread. */
export async function activateBackend(tf: Tf, info: BackendInfo): Promise<ActiveBackend> {
  const got = await BACKENDS[info.name].activate(tf, info);
  // The CPU backend's first-use banner recommends tfjs-node, which is wrong advice when native runs.
  const cpuLike = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in cpuLike) cpuLike.firstUse = false;
  return { name: info.name, device: got.device ?? info.device ?? info.name, maxBufferBytes: got.maxBufferBytes ?? Number.POSITIVE_INFINITY, checkErrors: got.checkErrors ?? (async () => {}) };
}
