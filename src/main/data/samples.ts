// A few images of each class as small PNGs, for the Datasets page's sample grid.
import { parseSpec } from './spec';
import type { ClassSamples } from './thumbnails';

export type { ClassSamples } from './thumbnails';

/** A few images per class of a dataset SPEC. */
export async function sampleImages(spec: string, classNames: string[] | null, perClass: number): Promise<ClassSamples[]> {
  const { source, arg } = parseSpec(spec);
  return source.samples(arg, classNames, perClass);
}
