// The arithmetic of a run's steps where they compute in this thread (an engine process, torch, sets
// its own): fp32 everywhere; bf16 on the native backend where its oneDNN build and the CPU run bf16
// natively (AVX512_BF16 or AMX). Set at every run's start, as the addon keeps it per thread.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Precision } from '../../shared/domain';
import { loadNativeAddon } from '../addon';
import { NATIVE_BACKEND } from './backends/native/names';

/** Sets it; returns what the run's log should say of it (null for fp32). */
export function useStepPrecision(tf: typeof TfCore, precision: Precision): string | null {
  const backend = tf.getBackend();
  const found = backend === NATIVE_BACKEND ? loadNativeAddon() : null;
  if (found && 'addon' in found) {
    if (precision === 'fp16') throw new Error('precision fp16 needs the torch backend (on a GPU); the native backend accepts fp32 or bf16');
    try {
      found.addon.setPrecision(precision);
    } catch (err) {
      throw new Error(`precision ${precision} on the native backend: ${(err as Error).message}; use --precision fp32, or the torch backend`);
    }
    return precision === 'bf16'
      ? `precision bf16: convolutions in bf16 on oneDNN ${found.addon.info().onednn} (the weight gradient only on the shapes where it was timed faster); weights, accumulation, FC layers and the update in f32`
      : null;
  }
  if (precision !== 'fp32')
    throw new Error(`precision ${precision} needs the torch backend${precision === 'bf16' ? ', or the native backend on a CPU with AVX512_BF16 or AMX' : ''}; this run's backend (${backend}) computes in fp32 only`);
  return null;
}
