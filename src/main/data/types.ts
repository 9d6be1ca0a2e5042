// An in-memory split: images as NHWC float32 (mean already subtracted), labels as ints.
export interface Split {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface LoadedDataset {
  name: string;
  size: number;
  classes: number;
  classNames: string[];
  train: Split;
  val: Split;
  meanRgb: [number, number, number];
  skipped: number;
}
