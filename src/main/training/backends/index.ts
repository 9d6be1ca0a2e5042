// The compute backends, one module each; this table is the only list of them in the main process.
// Probing runs in the main thread without initialising TF.js; activation runs in the worker thread
// where the chosen backend lives.
import type { BackendChoice, BackendInfo, BackendName } from '../../../shared/domain';
import { cpu } from './cpu';
import { native } from './native';
import { tensorflowCpu, tensorflowGpu } from './tensorflow';
import type { ActiveBackend, BackendModule, Tf } from './types';
import { webgpu } from './webgpu';

export type { ActiveBackend } from './types';
export { probeWebGpu } from './webgpu';

export const BACKENDS: Record<BackendName, BackendModule> = {
  'tensorflow-gpu': tensorflowGpu,
  tensorflow: tensorflowCpu,
  webgpu,
  native,
  cpu,
};

/**
 * The auto choice's order, best first: the only place backends are ranked. One whose place depends
 * on what its probe found (WebGPU on a hardware or a software adapter) stands once for each.
 */
const AUTO_ORDER: { name: BackendName; onGpu?: boolean }[] = [
  { name: 'tensorflow-gpu' },
  { name: 'tensorflow' },
  { name: 'webgpu', onGpu: true },
  { name: 'native' },
  { name: 'webgpu', onGpu: false },
  { name: 'cpu' },
];
for (const name of Object.keys(BACKENDS)) if (!AUTO_ORDER.some((o) => o.name === name)) throw new Error(`backend ${name} has no place in AUTO_ORDER`);
const rank = (b: BackendInfo) => AUTO_ORDER.findIndex((o) => o.name === b.name && (o.onGpu === undefined || o.onGpu === BACKENDS[b.name].onGpu(b.device)));

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
