// The arithmetic of a run's steps where they compute in this thread (an engine process, torch, sets
// its own): the precision (fp32 everywhere; bf16 on the native backend where its oneDNN build and
// the CPU run bf16 natively: AVX512_BF16 or AMX) and the native backend's convolution algorithm
// (auto, direct or Winograd: onednn-conv.inc). Set at every run's start, as the addon keeps both
// per thread.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { ConvAlgorithm, Precision } from '../../shared/domain';
import { loadNativeAddon, type NativeAddon } from '../addon';
import { NATIVE_BACKEND } from './backends/native/names';

export interface StepArithmetic {
  precision: Precision;
  convAlgorithm: ConvAlgorithm;
}

/** What a run keeps of its convolution choices: read them (to record), pin them (to resume). */
export interface ConvChoiceStore {
  read(): Record<string, string>;
  pin(choices: Record<string, string>): void;
}

/** Sets it; returns what the run's log should say of it (null for fp32), and, on native, its choices. */
export function useStepArithmetic(tf: typeof TfCore, a: StepArithmetic, engine = false): { note: string | null; choices: ConvChoiceStore | null } {
  const backend = engine ? 'torch' : tf.getBackend();
  const found = backend === NATIVE_BACKEND ? loadNativeAddon() : null;
  if (found && 'addon' in found) return { note: onNative(found.addon, a), choices: { read: () => found.addon.convChoices(), pin: (c) => found.addon.pinConvChoices(c) } };
  if (a.convAlgorithm === 'winograd')
    throw new Error(`conv algorithm winograd needs the native backend built with oneDNN; this run's backend (${backend}) chooses its own convolution algorithms: use --conv-algorithm auto`);
  if (engine) return { note: null, choices: null };
  if (a.precision !== 'fp32')
    throw new Error(`precision ${a.precision} needs the torch backend${a.precision === 'bf16' ? ', or the native backend on a CPU with AVX512_BF16 or AMX' : ''}; this run's backend (${backend}) computes in fp32 only`);
  return { note: null, choices: null };
}

function onNative(addon: NativeAddon, a: StepArithmetic): string | null {
  if (a.precision === 'fp16') throw new Error('precision fp16 needs the torch backend (on a GPU); the native backend accepts fp32 or bf16');
  if (a.precision === 'bf16' && a.convAlgorithm === 'winograd')
    throw new Error("conv algorithm winograd computes in fp32 (oneDNN's Winograd has no bf16 kernels); with --precision bf16 use --conv-algorithm auto or direct");
  try {
    addon.setPrecision(a.precision === 'bf16' ? 'bf16' : 'fp32');
  } catch (err) {
    throw new Error(`precision ${a.precision} on the native backend: ${(err as Error).message}; use --precision fp32, or the torch backend`);
  }
  try {
    addon.setConvAlgorithm(a.convAlgorithm);
  } catch (err) {
    throw new Error(`conv algorithm ${a.convAlgorithm} on the native backend: ${(err as Error).message}; use --conv-algorithm auto or direct`);
  }
  return a.precision === 'bf16'
    ? `precision bf16: convolutions in bf16 on oneDNN ${addon.info().onednn} (the weight gradient only on the shapes where it was timed faster${a.convAlgorithm === 'auto' ? '; each pass in f32 by Winograd where that was timed faster still' : ''}); weights, accumulation, FC layers and the update in f32`
    : null;
}
