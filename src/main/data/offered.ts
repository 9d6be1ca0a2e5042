// Benchmarks a system package puts where the app can find them, offered by name with no
// registration: Debian's dataset-fashion-mnist installs Fashion-MNIST's IDX files in
// /usr/share/datasets/fashion-mnist. A dataset registered under the same name takes precedence.
import fs from 'node:fs';
import path from 'node:path';
import { SOURCES } from './sources';

export interface OfferedDataset {
  name: string;
  /** The SPEC a run uses. */
  spec: string;
  about: string;
}

const WELL_KNOWN = [
  {
    name: 'fashion-mnist',
    kind: 'mnist',
    folder: 'fashion-mnist',
    about: 'Fashion-MNIST (Zalando, 2017): 60,000 training and 10,000 test images of clothing, 28×28 grey, 10 classes',
  },
] as const;

/** Where such packages put them: VGGLAB_DATASETS_PATH (folders separated by the path delimiter), else Debian's /usr/share/datasets. */
export function datasetRoots(): string[] {
  const env = process.env.VGGLAB_DATASETS_PATH;
  return env ? env.split(path.delimiter).filter(Boolean) : ['/usr/share/datasets'];
}

/** The well-known datasets present under `roots`, their files recognised by their kind. */
export function offeredDatasets(roots = datasetRoots()): OfferedDataset[] {
  const found: OfferedDataset[] = [];
  for (const w of WELL_KNOWN) {
    const source = SOURCES.find((s) => s.kind === w.kind)!;
    const dir = roots.map((r) => path.join(r, w.folder)).find((d) => fs.existsSync(d) && source.detect?.(d));
    if (dir) found.push({ name: w.name, spec: `${w.kind}:${dir}`, about: w.about });
  }
  return found;
}
