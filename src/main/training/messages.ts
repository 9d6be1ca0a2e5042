// Every message between the main thread and a training worker: a union on `type`.
import type { LrDrop, MetricPoint, RunEvent, RunResult, RunStatus, TrainParams, BackendInfo } from '../../shared/domain';

export type ToWorker =
  | {
      type: 'start';
      runId: number;
      params: TrainParams;
      /** The training scale range, from params (training/scale.ts), computed once when the run is queued. */
      scales: { min: number; max: number };
      backend: BackendInfo;
      runDir: string;
      resume?: CheckpointRef;
      /** The source run's final weights and the layers to copy from them (vgg/warm-start.ts). */
      warmStart?: CheckpointRef & { runId: number; layers: string[] };
    }
  | { type: 'stop' }
  | { type: 'pause' }
  | { type: 'unpause' };

export type FromWorker =
  | { type: 'started'; backend: string; device: string; data: RunResult['data'] }
  | { type: 'metrics'; points: MetricPoint[] }
  | { type: 'event'; event: RunEvent }
  | { type: 'progress'; epoch: number; step: number; stepInEpoch: number; stepsPerEpoch: number; imagesPerSec: number; lr: number }
  /** info: console only; note: recorded in the run's log; warn: recorded as a warning. */
  | { type: 'log'; level: 'info' | 'note' | 'warn'; message: string }
  | { type: 'checkpoint'; kind: 'last' | 'best' | 'stop'; epoch: number; step: number; file: string; sha256: string; valTop1: number | null }
  | { type: 'done'; status: Exclude<RunStatus, 'queued' | 'running' | 'interrupted'>; result: RunResult; error: string | null };

export interface CheckpointRef {
  file: string;
  sha256: string;
}

export type { LrDrop };
