// The native addon as the tests use it: registered as TF.js's 'native' backend with every call into
// the addon counted by name, so a test can prove the native code ran rather than a fallback.
import type * as TfCore from '@tensorflow/tfjs-core';
import { loadNativeAddon, type NativeAddon } from '../src/main/addon';
import { registerNativeBackend } from '../src/main/training/backends/native/kernels';

export interface CountedNative {
  /** Why the addon is unavailable ('' where it loaded): the tests then skip, saying so. */
  reason: string;
  /** Calls per addon function since registration. */
  calls: Record<string, number>;
  addon: NativeAddon | null;
}

export function registerCountedNative(tf: typeof TfCore): CountedNative {
  const found = loadNativeAddon();
  const calls: Record<string, number> = {};
  if (!('addon' in found)) return { reason: found.reason, calls, addon: null };
  const counted = Object.fromEntries(
    Object.entries(found.addon).map(([name, fn]) => [name, (...args: unknown[]) => ((calls[name] = (calls[name] ?? 0) + 1), (fn as (...a: unknown[]) => unknown).apply(found.addon, args))]),
  ) as unknown as NativeAddon;
  registerNativeBackend(tf, counted);
  return { reason: '', calls, addon: found.addon };
}
