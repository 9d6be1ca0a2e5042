// What a training run is given by its environment (the worker thread, or a test): tf, the
// parameters, the data and its feed, the message sink, stop and pause, checkpoint storage.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { TrainParams } from '../../shared/domain';
import type { TrainFeed } from '../data/pipeline/feed';
import type { TrainingMeta } from '../data/pipeline/open';
import type { Checkpoint, TensorRecord } from './checkpoint';
import type { FromWorker } from './messages';

/** Why a checkpoint is written: an epoch's end, a new best on validation, or a stop mid-epoch. */
export type CheckpointKind = 'last' | 'best' | 'stop';

export interface TrainContext {
  tf: typeof TfCore;
  params: TrainParams;
  /** The training scale range (computed once when the run was queued). */
  scales: { min: number; max: number };
  data: TrainingMeta;
  /** The training batches (augmented off this thread where the feed has workers). */
  feed: TrainFeed;
  post: (msg: FromWorker) => void;
  stopRequested: () => boolean;
  /** Pause support: whether a pause is asked for, and a wait that returns when it is lifted. */
  pauseRequested?: () => boolean;
  waitWhilePaused?: () => Promise<boolean>;
  checkDevice?: () => Promise<void>;
  /** Largest single buffer the device takes, in bytes. */
  maxBufferBytes?: number;
  /** Persists a checkpoint (the worker writes the file and reports it); its arrays are lent for the call only. */
  saveCheckpoint?: (kind: CheckpointKind, ck: Checkpoint) => void;
  resumeFrom?: Checkpoint;
  /** The paper's warm start: weights of a trained configuration-A run. */
  warmStart?: { runId: number; layers: string[]; weights: TensorRecord[] };
  /** Steps between loss read-backs; each read-back is a device sync. */
  flushEvery?: number;
}
