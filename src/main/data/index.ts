// Resolves a dataset SPEC (DESIGN.md) to loaded data.
import { loadSynthetic, parseSyntheticVariant } from './synthetic';
import type { LoadedDataset } from './types';

export interface DatasetRequest {
  spec: string;
  size: number;
  seed: number;
  classes?: number;
  train?: number;
  val?: number;
}

export const DATASET_KINDS = ['synthetic[:VARIANT]'] as const;

export function loadDataset(req: DatasetRequest): LoadedDataset {
  const [kind, rest] = splitSpec(req.spec);
  if (kind === 'synthetic') {
    return loadSynthetic({
      variant: parseSyntheticVariant(rest),
      size: req.size,
      classes: req.classes ?? 10,
      train: req.train ?? 2000,
      val: req.val ?? 500,
      seed: req.seed,
    });
  }
  throw new Error(`dataset '${req.spec}': not available in this version; accepted: ${DATASET_KINDS.join(', ')}`);
}

function splitSpec(spec: string): [string, string | undefined] {
  const i = spec.indexOf(':');
  return i < 0 ? [spec, undefined] : [spec.slice(0, i), spec.slice(i + 1)];
}
