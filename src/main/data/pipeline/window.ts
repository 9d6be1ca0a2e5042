// The pixel work of augmentation: a w×w window of a stored HWC image written at size×size into a
// batch, mirrored where asked, with an offset per channel (colour shift minus the mean) added. The
// native addon does it where it is built (addon/src/window.inc), to the same floats bit for bit;
// JavaScript otherwise. On a machine whose cores the backend keeps busy, the pipeline's own CPU
// time is taken from training: in JavaScript a W2 batch (32 crops of 32 px) costs 0.4–0.7 ms.
import { requireNativeAddon } from '../../addon';
import { resampleWindow } from '../resize';

export type Pixels = Float32Array | Uint8Array;

export type CutWindow = (
  src: Pixels, base: number, stride: number, oy: number, ox: number, w: number, size: number,
  flip: boolean, d0: number, d1: number, d2: number, out: Float32Array, at: number,
) => void;

/** The window at (oy, ox) of the image starting at src[base] (`stride` pixels wide): copied where w = size, else resampled bilinearly. */
export const cutWindowJs: CutWindow = (src, base, stride, oy, ox, w, size, flip, d0, d1, d2, out, at) => {
  if (w !== size) {
    resampleWindow(src, base, stride, oy, ox, w, size, flip, out, at);
    if (d0 !== 0 || d1 !== 0 || d2 !== 0)
      for (let p = at; p < at + size * size * 3; p += 3) {
        out[p]! += d0;
        out[p + 1]! += d1;
        out[p + 2]! += d2;
      }
    return;
  }
  const row = size * 3;
  for (let r = 0; r < size; r++) {
    let s = base + ((oy + r) * stride + ox) * 3;
    const d = at + r * row;
    if (!flip)
      for (let k = d; k < d + row; k += 3, s += 3) {
        out[k] = src[s]! + d0;
        out[k + 1] = src[s + 1]! + d1;
        out[k + 2] = src[s + 2]! + d2;
      }
    else
      for (let k = d + row - 3; k >= d; k -= 3, s += 3) {
        out[k] = src[s]! + d0;
        out[k + 1] = src[s + 1]! + d1;
        out[k + 2] = src[s + 2]! + d2;
      }
  }
};

let chosen: { route: 'addon' | 'JavaScript'; cut: CutWindow } | undefined;

/** The implementation this thread uses: the addon's where it loads (and is new enough to have it), else JavaScript. */
export function windowKernel(): { route: 'addon' | 'JavaScript'; cut: CutWindow } {
  if (!chosen) {
    const found = requireNativeAddon();
    chosen = 'addon' in found && typeof found.addon.cutWindow === 'function'
      ? { route: 'addon', cut: found.addon.cutWindow.bind(found.addon) }
      : { route: 'JavaScript', cut: cutWindowJs };
  }
  return chosen;
}
