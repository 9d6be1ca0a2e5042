// How each run parameter is named to a person: its label in the New-run form, and for the CLI its
// value name and help (the flag itself is the field's name in kebab case: inputSize → --input-size).
// Limits and choices live in the schema (domain.ts) only. An error about one field carries the
// field's name; each front end phrases it with the flag or the label.
import type { TrainParams } from './domain';

export interface FieldText {
  label: string;
  /** The CLI's value name; absent for an on/off flag. */
  metavar?: string;
  help: string;
}

export const TRAIN_FIELDS: { readonly [K in keyof TrainParams]-?: FieldText } = {
  config: { label: 'Configuration', metavar: 'C', help: 'configuration' },
  dataset: { label: 'Dataset', metavar: 'SPEC', help: "a dataset SPEC or a registered dataset's name" },
  inputSize: { label: 'Input size (px)', metavar: 'N', help: 'input side (multiple of 32)' },
  width: { label: 'Width multiplier', metavar: 'W', help: 'width multiplier' },
  fcWidth: { label: 'FC width', metavar: 'N', help: 'units in fc1 and fc2 (default 4096 × width)' },
  classes: { label: 'Classes', metavar: 'K', help: 'classes of the synthetic dataset' },
  trainSamples: { label: 'At most N training images (empty: all)', metavar: 'N', help: 'training images (synthetic: how many to make; others: at most this many)' },
  valSamples: { label: 'At most N validation images (empty: all)', metavar: 'N', help: 'validation images (as --train-samples)' },
  valFraction: { label: 'Validation share', metavar: 'X', help: 'folder datasets without val/: share of each class held out' },
  dataWorkers: { label: 'Data threads', metavar: 'N', help: 'threads building training batches (default: cores the backend leaves free, at least 1; 0: on the training thread)' },
  cacheMb: { label: 'Image cache (MiB)', metavar: 'N', help: 'memory for decoded folder images, MiB (default 2048); the rest is cached on disk' },
  epochs: { label: 'Epochs', metavar: 'N', help: 'epochs' },
  batch: { label: 'Batch size', metavar: 'N', help: 'mini-batch size' },
  lr: { label: 'Learning rate', metavar: 'X', help: 'learning rate' },
  momentum: { label: 'Momentum', metavar: 'X', help: 'SGD momentum' },
  weightDecay: { label: 'Weight decay', metavar: 'X', help: 'L2 weight decay' },
  dropout: { label: 'Dropout', metavar: 'X', help: 'dropout on fc1 and fc2' },
  init: {
    label: 'Initialisation',
    metavar: 'I',
    help: 'glorot | paper (std 0.01) | paper-0.1 (std 0.1) | from:RUN (a trained A: its first four conv and three FC layers, as the paper started deeper nets; a run of the same configuration: every layer, as for multi-scale training)',
  },
  initRest: { label: 'Layers not copied start from', metavar: 'I', help: 'with --init from:RUN, how the layers not copied start (default glorot)' },
  schedule: { label: 'Learning-rate schedule', metavar: 'S', help: 'plateau | step:E1,E2,.. | none' },
  patience: { label: 'Plateau patience (epochs)', metavar: 'N', help: 'plateau patience in epochs' },
  maxDrops: { label: 'Plateau: learning-rate drops', metavar: 'N', help: 'plateau: number of ×0.1 drops before stopping' },
  minDelta: { label: 'Plateau: minimum improvement of top-1', metavar: 'X', help: 'plateau: smallest rise of validation top-1 that counts as improvement' },
  warmup: { label: 'Learning-rate warm-up (epochs)', metavar: 'E', help: 'epochs over which the rate climbs linearly to --lr (0: off, as in the paper; fractions allowed)' },
  scale: { label: 'Training scale S', metavar: 'S', help: 'training scale S or SMIN:SMAX' },
  flip: { label: 'Horizontal flips', help: 'random horizontal flips in training and flip averaging at test time (default: on for natural images, off for MNIST/IDX digits)' },
  seed: { label: 'Seed', metavar: 'N', help: 'random seed' },
  backend: { label: 'Backend', metavar: 'B', help: 'compute backend' },
  precision: { label: 'Precision', metavar: 'P', help: 'fp32 | bf16 | fp16 (mixed precision with fp32 weights: bf16 on torch, or on native where the CPU has AVX512_BF16/AMX; fp16 on torch)' },
  convAlgorithm: {
    label: 'Convolution algorithm',
    metavar: 'A',
    help: 'auto | direct | winograd (native backend, fp32: auto times direct and Winograd per layer shape at its first use and keeps the faster)',
  },
  on: { label: 'Run on', metavar: 'WHERE', help: 'local (this machine) | cluster (a `vgglab worker` through the queue; see --queue)' },
  experiment: { label: 'Experiment', metavar: 'NAME', help: 'experiment to file the run under' },
};

/** The CLI flag of a field: inputSize → --input-size. */
export const flagOf = (field: string): string => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Labels of fields of other calls (evaluation, datasets). */
const OTHER_LABELS: Record<string, string> = { scales: 'Test scales', checkpoint: 'Weights', protocol: 'Protocol', name: 'Name', path: 'Folder' };

/** The form's label of a field. */
export const labelOf = (field: string): string => (TRAIN_FIELDS as Record<string, FieldText | undefined>)[field]?.label ?? OTHER_LABELS[field] ?? field;

/** An error's field issues phrased with the form's labels. */
export const forForm = (issues: { field?: string; message: string }[]): string => issues.map((i) => (i.field ? `${labelOf(i.field)}: ${i.message}` : i.message)).join('; ');
