// Resolves a dataset SPEC (spec.ts) to data in memory at scale S, mean subtracted: in-memory kinds
// load themselves; image-file kinds are scanned and decoded here (evaluation, registration) — the
// training pipeline (pipeline/open.ts) decodes the same scan in its worker threads.
import { DatasetError } from './errors';
import { decodeItems } from './image-files';
import { parseSpec } from './spec';
import { checkEveryClassRead, finish, pickItems } from './splits';
import { checkLimit } from './subset';
import type { DatasetRequest, LoadedDataset } from './types';

export { DATASET_KINDS } from './spec';
export { pickItems } from './splits';
export type { DatasetRequest } from './types';
export { DatasetError };

export async function loadDataset(req: DatasetRequest): Promise<LoadedDataset> {
  const { source, arg } = parseSpec(req.dataset);
  if (source.load) return source.load(arg, req);
  const scan = source.scan!(arg!, req);
  const skipped: string[] = [];
  if (!req.evalWithMean) checkLimit('training', req.trainSamples, scan.classNames.length, req.dataset);
  // Training and evaluation images are whole (smallest side S, aspect kept); validation during
  // training looks at central crops only, so it keeps central squares.
  const train = await decodeItems(req.evalWithMean ? [] : pickItems(scan.train, req.trainSamples, req.seed), req.side, skipped, true);
  // Evaluation reports the data's own test/ split, whole, where it has one.
  const evalSplit = scan.test ? 'test' : 'val';
  const val = await decodeItems(req.evalWithMean && scan.test ? scan.test : pickItems(scan.val, req.valSamples, req.seed), req.side, skipped, Boolean(req.evalWithMean));
  if (!req.evalWithMean) checkEveryClassRead(req.dataset, scan.classNames, scan.train, (label) => train.labels.includes(label));
  return finish(req.dataset, scan.classNames, { train, val }, skipped, req.evalWithMean, evalSplit);
}
