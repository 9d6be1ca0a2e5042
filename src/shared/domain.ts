// Domain vocabulary shared by the engine, the services and the UI.
import { z } from 'zod';

import { BACKEND_CHOICES, CONFIG_NAMES, CONV_ALGORITHMS, PLACEMENTS, PRECISIONS, type BackendName, type ConvAlgorithm, type Precision, type ConfigName, type Placement, type RunStatus } from './names';
export * from './names';
export const FINISHED_STATUSES: readonly RunStatus[] = ['completed', 'diverged', 'failed', 'stopped', 'interrupted'];
/** A run that is waiting or training: someone holds it. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];
/** A run that can go on from its newest checkpoint. */
export const RESUMABLE_STATUSES: readonly RunStatus[] = ['stopped', 'failed', 'interrupted'];

export const INIT_RE = /^(glorot|paper|paper-0\.1|from:\d+)$/;
export const SCHEDULE_RE = /^(plateau|none|step:\d+(,\d+)*)$/;
export const SCALE_RE = /^\d+(:\d+)?$/;

/** A number field whose every refusal names the accepted range (shown beside the field, and by the CLI). */
export function between(min: number, max: number, opts: { int?: boolean; above?: boolean } = {}) {
  const range = `${opts.above ? `more than ${min}` : min} to ${max}`;
  const message = `accepted: ${opts.int ? 'whole numbers ' : ''}${range}`;
  let n = z.number({ error: message });
  if (opts.int) n = n.int(message);
  return (opts.above ? n.gt(min, message) : n.min(min, message)).max(max, message);
}
export const intIn = (min: number, max: number) => between(min, max, { int: true });

/** Everything needed to reproduce a training run; stored as JSON in the run row. */
export const TrainParams = z
  .object({
    config: z.enum(CONFIG_NAMES),
    dataset: z.string().min(1).default('synthetic'),
    inputSize: intIn(32, 1024).refine((n) => n % 32 === 0, 'accepted: a multiple of 32 from 32 to 1024 (32, 64, …, 224, …)').default(32),
    width: between(0, 4, { above: true }).default(0.125),
    fcWidth: intIn(1, 65536).optional(),
    epochs: intIn(1, 100000).default(10),
    batch: intIn(1, 4096).default(32),
    lr: between(0, 10, { above: true }).default(0.01),
    momentum: between(0, 0.999).default(0.9),
    weightDecay: between(0, 1).default(5e-4),
    dropout: between(0, 0.95).default(0.5),
    init: z.string().regex(INIT_RE, 'accepted: glorot, paper, paper-0.1, from:RUN').default('glorot'),
    /** With init from:RUN, how the layers that are not copied start. */
    initRest: z.enum(['glorot', 'paper', 'paper-0.1']).default('glorot'),
    schedule: z.string().regex(SCHEDULE_RE, 'accepted: plateau, none, step:E1,E2,…').default('plateau'),
    patience: intIn(1, 1000).default(2),
    maxDrops: intIn(0, 20).default(3),
    minDelta: between(0, 1).default(0),
    /** Epochs (fractions allowed) over which the rate climbs linearly from lr/steps to lr: off by default, as in the paper. */
    warmup: between(0, 1000).default(0),
    scale: z.string().regex(SCALE_RE, 'accepted: S or SMIN:SMAX').optional(),
    /** Horizontal flips in training and in test-time averaging; default: the dataset's (natural images on, digits off). */
    flip: z.boolean().optional(),
    seed: intIn(0, 2 ** 31 - 1).default(1),
    backend: z.enum(BACKEND_CHOICES).default('auto'),
    /**
     * Arithmetic of the step: fp32, or mixed precision with fp32 weights: bf16 (torch's autocast, or
     * native's bf16 convolutions on a CPU with AVX512_BF16/AMX), fp16 (torch, with a loss scale).
     * Off by default so results stay comparable.
     */
    precision: z.enum(PRECISIONS).default('fp32'),
    /**
     * The native backend's convolution algorithm (see CONV_ALGORITHMS). auto is the default: its
     * accuracy against direct is proven in test/unit/native-winograd.test.ts and the README.
     */
    convAlgorithm: z.enum(CONV_ALGORITHMS).default('auto'),
    /** Where it trains: here, or on a worker of the cluster queue (cluster/). */
    on: z.enum(PLACEMENTS).default('local'),
    experiment: z.string().min(1).max(200).optional(),
    classes: intIn(2, 1000).optional(),
    trainSamples: intIn(1, 10_000_000).optional(),
    valSamples: intIn(1, 10_000_000).optional(),
    valFraction: between(0.01, 0.9).optional(),
    /** Threads building training batches; default: the cores the backend leaves free (at least 1); 0: on the training thread. */
    dataWorkers: intIn(0, 64).optional(),
    /** Memory for decoded images of a folder dataset, in MiB; beyond it they are cached on disk. */
    cacheMb: intIn(0, 1_048_576).default(2048),
  })
  .strict();
export type TrainParams = z.infer<typeof TrainParams>;
export type TrainParamsInput = z.input<typeof TrainParams>;
/** The schema's defaults (for configuration A): the one place a default is written is the schema above. */
export const PARAM_DEFAULTS: TrainParams = TrainParams.parse({ config: 'A' });

export interface ModelInfo {
  config: ConfigName;
  weightLayers: number;
  params: number;
  flops: number;
  layers: string[];
}

export interface RunSummary {
  id: number;
  config: ConfigName;
  experiment: string | null;
  dataset: string;
  status: RunStatus;
  backend: string | null;
  device: string | null;
  epoch: number;
  epochs: number;
  step: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  /** Validation top-1 of the last finished epoch (the full summary is in RunDetail). */
  valTop1: number | null;
  tags: string[];
  notes: string;
  placement: Placement;
  /** The cluster worker that trains or trained it (null for a local run, or one no worker took yet). */
  worker: string | null;
  /** The parameters the runs table can show as columns (the whole set is in RunDetail). */
  lr: number;
  batch: number;
  width: number;
  inputSize: number;
  /** The training scale asked for (S or SMIN:SMAX); null: the default for its input size. */
  scale: string | null;
  seed: number;
  /** The best validation top-1 of any epoch. */
  bestValTop1: number | null;
  /** The run's own latest evaluation (not a fusion): its protocol and errors. */
  evaluation: { protocol: string; top1Error: number | null; top5Error: number | null } | null;
}

export interface RunDetail extends RunSummary {
  summary: RunResult | null;
  params: TrainParams;
  seed: number;
  appVersion: string;
}

export interface MetricPoint {
  step: number;
  epoch: number;
  split: 'train' | 'val';
  name: string;
  value: number;
}

export interface RunEvent {
  id?: number;
  step: number;
  epoch: number;
  kind: string;
  payload: Record<string, unknown>;
  createdAt?: string;
}

export interface LrDrop {
  epoch: number;
  step: number;
  from: number;
  to: number;
}

export interface RunResult {
  epochs: number;
  train: { loss: number | null; top1: number | null };
  val: { loss: number | null; top1: number | null; top5: number | null };
  lrDrops: LrDrop[];
  imagesPerSec: number | null;
  data: { train: number; val: number; classes: number; skipped: number; meanRgb?: [number, number, number]; side?: number; flip?: boolean };
}

export interface RunProgress {
  runId: number;
  epoch: number;
  epochs: number;
  step: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  imagesPerSec: number;
  lr: number;
}

export interface BackendInfo {
  name: BackendName;
  available: boolean;
  device: string | null;
  reason: string | null;
  /** The one `auto` picks on this machine (set where every backend was probed). */
  auto?: boolean;
  /** The mixed precisions (`--precision`) it trains in here besides fp32; none where absent. */
  precisions?: Precision[];
  /** The convolution algorithms (`--conv-algorithm`) it can be asked for here besides auto (native: direct, and winograd where oneDNN has its kernels); none where the backend chooses its own. */
  convAlgorithms?: ConvAlgorithm[];
}

export interface CheckpointInfo {
  id: number;
  runId: number;
  epoch: number;
  step: number;
  kind: 'last' | 'best' | 'stop';
  path: string;
  sha256: string;
  valTop1: number | null;
  createdAt: string;
}


/** Which weights an evaluation scored: the run's final (newest) checkpoint, its best-on-validation one, or a given epoch's. */
export interface EvaluatedCheckpoint {
  kind: 'last' | 'best' | 'epoch';
  epoch: number;
}
export type CheckpointChoice = 'last' | 'best' | number;

/** "Try the model": image files classified by one run's weights under a test protocol (nothing stored). */
export interface PredictionInfo {
  runId: number;
  protocol: string;
  scales: number[];
  checkpoint: EvaluatedCheckpoint;
  backend: string;
  seconds: number;
  /** Of those, the time in the protocol itself (without decoding the files and loading the weights). */
  protocolSeconds: number;
  /** In the order given: each file's five most probable classes, or why it could not be read. */
  results: ({ file: string; top: { label: number; name: string; p: number }[] } | { file: string; error: string })[];
}

export interface EvaluationInfo {
  id: number;
  /** The evaluated run; null for a fusion of several runs (see members). */
  runId: number | null;
  members: number[];
  protocol: string;
  scales: number[];
  top1Error: number | null;
  top5Error: number | null;
  details: {
    count: number;
    perClassAccuracy: number[];
    confusion: number[][];
    /** `image`: the image as the evaluation saw it (its centre square, 64 px, a PNG data: URL). */
    confidentMistakes: { index: number; label: number; predicted: number; confidence: number; image?: string }[];
    backend?: string;
    device?: string;
    seconds?: number;
    /** Of those, the time in the protocol itself (without loading data and weights). */
    protocolSeconds?: number;
    /** How the network ran: "whole-network native kernel" or "TF.js layers" (absent before this was kept). */
    route?: string;
    /** Absent on evaluations recorded before these were kept: those scored the best checkpoint on validation. */
    checkpoint?: EvaluatedCheckpoint;
    split?: 'val' | 'test';
  };
  createdAt: string;
}

export interface CompareRowInfo {
  source: 'run' | 'paper';
  run: string;
  config: string;
  params: number | null;
  trainScale: string;
  testScales: string;
  protocol: string;
  /** The weights scored: final (eN), best (eN), epoch N, or per epoch for training-time validation. */
  weights: string;
  /** The split the errors were measured on. */
  split: string;
  /** A single run's training scale as the paper's (256, 384 or 256-512, in proportion to the crop); null for fusions. */
  paperScale: '256' | '384' | '256-512' | null;
  top1Error: number | null;
  top5Error: number | null;
  epochs: number | null;
  wallSeconds: number | null;
  backend: string;
}

/** A kind of dataset SPEC the app reads (data/sources/), for forms and help texts. */
export interface DatasetKindInfo {
  kind: string;
  /** How a SPEC of this kind is written, e.g. 'folder:PATH'. */
  usage: string;
  /** What PATH must hold; null where the kind takes no path. */
  pathHolds: string | null;
  /** Images drawn at the input size: S defaults to the input size, not input × 256/224. */
  drawnAtInputSize: boolean;
  /** Training images an epoch when the kind makes its own and no limit is set; else null. */
  madeTrainImages: number | null;
  examples: { spec: string; label: string }[];
}

/** A benchmark installed on this machine by a system package, usable by name without registering it. */
export interface OfferedDatasetInfo {
  name: string;
  spec: string;
  about: string;
}

export interface DatasetInfo {
  id: number;
  name: string;
  kind: string;
  path: string;
  /** The SPEC a run uses: kind:path. */
  spec: string;
  classes: string[];
  counts: { train: number[]; val: number[]; skipped: number };
  fingerprint: string;
  meanRgb: [number, number, number] | null;
  eigen: { eigenvalues: [number, number, number]; eigenvectors: [number, number, number][] } | null;
  createdAt: string;
}

/** A cluster worker as it announces itself (refreshed every 2 s; gone 10 s after its last word). */
export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  backend: string;
  device: string;
  freeMemoryMb: number;
  /** "STORE-RUN" of the job it trains, or null when idle. */
  job: string | null;
  runId: number | null;
  heartbeatAt: string;
}

export interface ClusterStatus {
  /** The queue's URL with its password replaced by ***, or null when none is named. */
  queue: string | null;
  artifacts: string | null;
  /** Where the queue came from: a flag or the environment override the saved setting. */
  source: '--queue' | 'VGGLAB_QUEUE' | 'saved' | null;
  reachable: boolean;
  error: string | null;
  workers: WorkerInfo[];
}
