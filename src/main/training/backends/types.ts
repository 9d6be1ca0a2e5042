// What one compute backend tells the registry (./index.ts, which also holds the auto choice's
// order): how to find it, how to start it in a worker thread, and what to install when it is missing.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BackendInfo, BackendName } from '../../../shared/domain';

export type Tf = typeof TfCore;

/** What a probe finds: whether it can run here, on what, and why not. */
export type Probe = Omit<BackendInfo, 'name' | 'auto'>;

export interface ActiveBackend {
  name: BackendName;
  device: string;
  /** Largest single buffer the device accepts, in bytes (Infinity where unlimited). */
  maxBufferBytes: number;
  /** Rejects with the first uncaptured device error since the last call. */
  checkErrors: () => Promise<void>;
}

export interface BackendModule {
  name: BackendName;
  /** What to install to get it. */
  installHint: string;
  /** Whether it computes on a hardware GPU on this device (else on CPU cores, which the data pipeline then leaves to it). */
  onGpu(device: string | null): boolean;
  /** The heaviest bench workload it runs in reasonable time on this device (`vgglab bench` skips heavier ones). */
  benchUpTo(device: string | null): 'light' | 'medium' | 'heavy';
  /** Runs share one long-lived worker (tfjs-node cannot be initialised twice in a process); else a fresh worker per run. */
  reuseWorker: boolean;
  /** Looks for it without initialising TF.js. */
  probe(): Promise<Probe>;
  /** Loads it in this thread and makes it TF.js's backend; returns what differs from the defaults. */
  activate(tf: Tf, probe: Probe): Promise<Partial<Omit<ActiveBackend, 'name'>>>;
}

/** Makes a registered TF.js backend current, or says which one failed. */
export async function useTfBackend(tf: Tf, id: string, name: BackendName): Promise<void> {
  if (!(await tf.setBackend(id))) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
}

/** Optional packages are imported by a computed name so that bundlers leave them alone. */
export function importOptional(mod: string): Promise<unknown> {
  return import(/* @vite-ignore */ mod);
}

/** Null where the package imports, else why not. */
export async function canImport(mod: string): Promise<string | null> {
  try {
    await importOptional(mod);
    return null;
  } catch (err) {
    return `${mod} is not installed or failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
}
