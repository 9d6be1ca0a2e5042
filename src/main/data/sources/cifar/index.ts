// cifar10:PATH and cifar100:PATH: the binary distributions, with their own test set.
import fs from 'node:fs';
import path from 'node:path';
import { loadCifar } from './read';
import { fromMemory } from '../../thumbnails';
import { threeSplits } from '../../splits';
import type { DataSource } from '../types';

function cifar(kind: 'cifar10' | 'cifar100', marker: string[], folder: string): DataSource {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `class_${i}`);
  return {
    kind,
    usage: `${kind}:PATH`,
    examples: [{ spec: `${kind}:/path/to/${folder}`, label: `the ${kind === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} binary version` }],
    pathHolds: 'the folder of the binary distribution',
    detect: (dir) => marker.every((f) => fs.existsSync(path.join(dir, f))),
    load(dir, req) {
      const d = loadCifar(dir!, kind, req.side, Boolean(req.evalWithMean));
      return threeSplits(req.dataset, names(d.classes), d, req, true);
    },
    async samples(dir, classNames, perClass) {
      const d = loadCifar(dir!, kind, 32, true);
      return fromMemory(classNames ?? names(d.classes), d.test.pixels as Float32Array, d.test.labels, 32, perClass);
    },
  };
}

export const cifar10 = cifar('cifar10', ['data_batch_1.bin'], 'cifar-10-batches-bin');
export const cifar100 = cifar('cifar100', ['train.bin', 'test.bin'], 'cifar-100-binary');
