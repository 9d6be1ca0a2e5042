// What one kind of dataset tells the registry (./index.ts): how its SPEC is written, how a folder
// of it is recognised, and how its images are reached — held in memory (load) or as image files
// decoded by the input pipeline (scan).
import type { ImageFileScan } from '../image-files';
import type { ClassSamples } from '../thumbnails';
import type { DatasetRequest, LoadedDataset } from '../types';

export interface DataSource {
  kind: string;
  /** How a SPEC of this kind is written, e.g. 'folder:PATH'. */
  usage: string;
  /** SPECs offered in the New-run form, each with what it is. */
  examples: { spec: string; label: string }[];
  /** What PATH must hold (named when it is missing); absent where the kind takes no path. */
  pathHolds?: string;
  /** Images are drawn at the input size (no crop unless --scale asks for one); else S = input × 256/224. */
  drawnAtInputSize?: boolean;
  /** Training images an epoch when the kind makes its own (the built-in data) and no limit is set. */
  madeTrainImages?: number;
  /** Recognises a folder of this kind when it is registered (the image-folder kind accepts anything, last). */
  detect?(dir: string): boolean;
  /** In-memory kinds: the splits at scale req.side, mean subtracted. */
  load?(arg: string | undefined, req: DatasetRequest): Promise<LoadedDataset> | LoadedDataset;
  /** Image-file kinds: the files of each split; training decodes them in the pipeline, evaluation in loadDataset. */
  scan?(arg: string, req: DatasetRequest): ImageFileScan;
  /** The class names, read cheaply (without the images), where the kind knows them. */
  classNames?(arg: string): string[];
  /** A few images per class, for the Datasets page. */
  samples(arg: string | undefined, classNames: string[] | null, perClass: number): Promise<ClassSamples[]>;
}
