// Image geometry under the paper's rescale: the smallest side becomes S and the aspect ratio is
// kept. Images of a split are stored one after another, each with its own height and width.

/** Longer sides are cut (centred) to this many times S, so a panorama cannot fill the cache. */
export const MAX_ASPECT = 3;

/** The stored size of an upright width×height image rescaled so its smallest side is S. */
export function rescaledSize(width: number, height: number, S: number): { h: number; w: number } {
  const k = S / Math.min(width, height);
  const cap = Math.round(MAX_ASPECT * S);
  return { h: Math.min(cap, Math.max(S, Math.round(height * k))), w: Math.min(cap, Math.max(S, Math.round(width * k))) };
}

/** Per-image sizes of a split: h, w of image i at dims[2i], dims[2i+1]; values of image i start at starts[i]. */
export interface Layout {
  dims: Int32Array;
  starts: Float64Array;
}

/** The layout of images of these sizes (h, w pairs), packed in order; starts[count] is the total. */
export function packLayout(dims: Int32Array): Layout {
  const count = dims.length / 2;
  const starts = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) starts[i + 1] = starts[i]! + dims[2 * i]! * dims[2 * i + 1]! * 3;
  return { dims, starts };
}

/** Where image i starts and its size, in a split that is square (side) unless it has a layout. */
export function imageAt(i: number, side: number, layout?: Layout): { base: number; h: number; w: number } {
  if (!layout) return { base: i * side * side * 3, h: side, w: side };
  return { base: layout.starts[i]!, h: layout.dims[2 * i]!, w: layout.dims[2 * i + 1]! };
}
