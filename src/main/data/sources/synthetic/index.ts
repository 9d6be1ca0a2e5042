// synthetic[:basic|hard]: the built-in dataset, drawn in memory from the seed.
import { fromMemory } from '../../thumbnails';
import { loadSynthetic, parseSyntheticVariant } from './draw';
import type { DataSource } from '../types';

const TRAIN_IMAGES = 2000;

export const synthetic: DataSource = {
  kind: 'synthetic',
  usage: 'synthetic[:basic|hard]',
  examples: [
    { spec: 'synthetic', label: 'built in' },
    { spec: 'synthetic:hard', label: 'built in, harder' },
  ],
  drawnAtInputSize: true,
  madeTrainImages: TRAIN_IMAGES,
  load: (variant, req) => loadSynthetic({ variant: parseSyntheticVariant(variant), size: req.side, classes: req.classes ?? 10, train: req.evalWithMean ? 0 : (req.trainSamples ?? TRAIN_IMAGES), val: req.valSamples ?? 500, seed: req.seed, mean: req.evalWithMean }),
  samples(variant, classNames, perClass) {
    // No mean subtracted: the images as the network's input sees them before centring.
    const classes = classNames?.length ?? 10;
    const d = loadSynthetic({ variant: parseSyntheticVariant(variant), size: 64, classes, train: 0, val: classes * perClass, seed: 1, mean: [0, 0, 0] });
    return fromMemory(d.classNames, d.val.images, d.val.labels, 64, perClass);
  },
};
