// An in-memory split: images as HWC float32 (mean already subtracted), labels as ints.
import type { TrainParams } from '../../shared/domain';
import type { Layout } from './geometry';

export interface Split {
  images: Float32Array;
  labels: Int32Array;
  count: number;
  /** The scale: the stored images' smallest side (S in training, Q in evaluation). */
  side: number;
  /** Each image's own size where the images keep their aspect ratio (evaluation of folders); absent: side×side each. */
  layout?: Layout;
}

export interface LoadedDataset {
  name: string;
  /** Side of the stored images (S). */
  side: number;
  classes: number;
  classNames: string[];
  train: Split;
  val: Split;
  meanRgb: [number, number, number];
  /** Principal axes of the training pixels' RGB, for AlexNet's colour shift; null where it does not apply. */
  pca: { eigenvalues: [number, number, number]; eigenvectors: [number, number, number][] } | null;
  /**
   * The split evaluation reports: 'test' where the data has its own test set (MNIST t10k, CIFAR's test
   * batch, a folder's test/), then validation is carved from train; else 'val'. In evaluation mode
   * (DatasetRequest.evalWithMean) the `val` slot holds this split.
   */
  evalSplit: 'val' | 'test';
  /** Whether a horizontal flip keeps the label (natural images: yes; oriented synthetic stripes: no). */
  flipInvariant: boolean;
  skipped: number;
  /** The first few unreadable files, for the run's log. */
  skippedFiles: string[];
}

/** Raw decoded images before mean subtraction: HWC bytes at scale S (side×side each unless a layout says otherwise). */
export interface RawSplit {
  pixels: Uint8Array | Float32Array;
  labels: Int32Array;
  count: number;
  side: number;
  layout?: Layout;
}

/**
 * What a training run or an evaluation asks of a dataset: the run's own parameters, under their
 * names in TrainParams, and the scale to store the images at.
 */
export type DatasetRequest = Pick<TrainParams, 'dataset' | 'seed'> &
  Partial<Pick<TrainParams, 'classes' | 'trainSamples' | 'valSamples' | 'valFraction' | 'flip'>> & {
    /** Scale S: the stored images' smallest side; crops of the input size are cut from them. */
    side: number;
    /** Evaluation: load only the split evaluation reports and subtract this (the training run's) mean. */
    evalWithMean?: [number, number, number];
  };
