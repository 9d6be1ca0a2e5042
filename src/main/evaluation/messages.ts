// Messages between the main thread and an evaluation worker.
import type { BackendInfo, TrainParams } from '../../shared/domain';
import type { EvalMetrics } from './metrics';
import type { Protocol } from './protocols';

export interface EvalMember {
  runId: number;
  params: TrainParams;
  classes: number;
  meanRgb: [number, number, number];
  checkpoint: { file: string; sha256: string };
  /** Whether the run trained with horizontal flips: then test-time flip averaging applies. */
  flip: boolean;
}

export type ToEvalWorker =
  | { type: 'evaluate'; members: EvalMember[]; protocol: Protocol; scales: number[]; backend: BackendInfo }
  /** Classify image files (not a dataset) with one run's weights: "Try the model". */
  | { type: 'predict'; member: EvalMember; files: string[]; protocol: Protocol; scales: number[]; backend: BackendInfo };

/** One file's top-5 classes, or why it could not be read. */
export type FilePrediction = { top: { label: number; p: number }[] } | { error: string };

export type FromEvalWorker =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; metrics: EvalMetrics; backend: string; device: string; seconds: number; protocolSeconds: number; route: string; split: 'val' | 'test' }
  | { type: 'predicted'; results: FilePrediction[]; backend: string; device: string; seconds: number; protocolSeconds: number }
  | { type: 'failed'; error: string };
