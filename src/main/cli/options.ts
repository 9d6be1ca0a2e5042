// Flag parsing helpers: every bad value exits 2 with a message naming the flag and what it accepts.
import { InvalidArgumentError } from 'commander';
import { TrainParams } from '../../shared/domain';

export class UsageError extends Error {}

export const intArg = (flag: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || n < min || n > max)
    throw new InvalidArgumentError(`${flag} ${v}: accepted values are integers from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}`);
  return n;
};

export const numArg = (flag: string, min: number, max: number, exclusiveMin = false) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (exclusiveMin ? n <= min : n < min) || n > max)
    throw new InvalidArgumentError(`${flag} ${v}: accepted range is ${exclusiveMin ? '(' : '['}${min}, ${max}]`);
  return n;
};

const FLAG_OF: Record<string, string> = {
  config: '--config',
  dataset: '--dataset',
  inputSize: '--input-size',
  width: '--width',
  fcWidth: '--fc-width',
  epochs: '--epochs',
  batch: '--batch',
  lr: '--lr',
  momentum: '--momentum',
  weightDecay: '--weight-decay',
  dropout: '--dropout',
  init: '--init',
  initRest: '--init-rest',
  schedule: '--schedule',
  patience: '--patience',
  maxDrops: '--max-drops',
  minDelta: '--min-delta',
  scale: '--scale',
  flip: '--flip',
  seed: '--seed',
  backend: '--backend',
  experiment: '--experiment',
  classes: '--classes',
  trainSamples: '--train-samples',
  valSamples: '--val-samples',
  valFraction: '--val-fraction',
  dataWorkers: '--data-workers',
  cacheMb: '--cache-mb',
};

/** Validates assembled flags against the run schema; failures name the flag. */
export function toTrainParams(raw: Record<string, unknown>): TrainParams {
  const clean = Object.fromEntries(Object.entries(raw).filter(([k, v]) => v !== undefined && k in FLAG_OF));
  const res = TrainParams.safeParse(clean);
  if (res.success) return res.data;
  const msg = res.error.issues
    .map((i) => {
      const key = String(i.path[0] ?? '');
      return `${FLAG_OF[key] ?? key}: ${i.message}`;
    })
    .join('; ');
  throw new UsageError(msg);
}
