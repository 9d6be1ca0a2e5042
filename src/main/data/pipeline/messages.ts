// Messages between the data pipeline's coordinator (in the training thread) and its workers.
import type { AugmentOptions } from './augment';
import type { ThreadPriority } from './priority';
import type { ImageStore } from './store';

export type ToPipelineWorker =
  /** `yieldToBackend`: run this thread at a lower priority (data/pipeline/priority.ts). */
  | { type: 'init'; store: ImageStore; augment: AugmentOptions; yieldToBackend: boolean }
  /** Decode files into the store (image folders), summing pixel statistics for the mean and colour axes. */
  | { type: 'decode'; id: number; items: number[] }
  /** A shared array batches are written into, known from now on by its index. */
  | { type: 'slot'; index: number; array: Float32Array }
  /** Build the batch of images `items` (store indices) at positions first… of `epoch` into slot `slot`. */
  | { type: 'batch'; id: number; epoch: number; first: number; items: Int32Array; slot: number }
  | { type: 'close' };

export interface PixelSums {
  /** Pixels summed for the mean (every pixel of every image). */
  pixels: number;
  sum: [number, number, number];
  /** The colour covariance is summed over every 4th pixel: Σ rgb and Σ rgb·rgbᵀ (row-major 3×3) of those. */
  covPixels: number;
  covSum: [number, number, number];
  cross: number[];
}

export type FromPipelineWorker =
  /** Loaded; `crops`: what cuts the crops in this worker (data/pipeline/window.ts); its thread's id and nice value where the system has them. */
  | { type: 'ready'; id: 0; crops: 'addon' | 'JavaScript'; thread: ThreadPriority | null }
  | { type: 'decoded'; id: number; broken: number[]; sums: PixelSums; ms: number }
  | { type: 'batch'; id: number; ms: number }
  | { type: 'error'; id: number; message: string };
