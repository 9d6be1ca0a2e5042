// mnist:PATH: IDX files (gzipped or not), with their own test set (t10k-*). Digits and text are not
// mirror-symmetric: no flips unless asked for.
import fs from 'node:fs';
import path from 'node:path';
import { loadMnist, mnistClassNames } from './idx';
import { fromMemory } from '../../thumbnails';
import { threeSplits } from '../../splits';
import type { DataSource } from '../types';


export const mnist: DataSource = {
  kind: 'mnist',
  usage: 'mnist:PATH',
  examples: [{ spec: 'mnist:/path/to/mnist', label: 'MNIST or Fashion-MNIST IDX files' }],
  pathHolds: 'the folder holding the IDX files',
  detect: (dir) => ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz'].some((f) => fs.existsSync(path.join(dir, f))),
  load(dir, req) {
    const d = loadMnist(dir!, req.side, Boolean(req.evalWithMean));
    return threeSplits(req.dataset, mnistClassNames(dir!, d.classes), d, req, false);
  },
  classNames: (dir) => mnistClassNames(dir),
  async samples(dir, classNames, perClass) {
    const d = loadMnist(dir!, 28, true);
    return fromMemory(classNames ?? mnistClassNames(dir!, d.classes), d.test.pixels as Float32Array, d.test.labels, 28, perClass);
  },
};
