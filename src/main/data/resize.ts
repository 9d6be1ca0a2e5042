// Bilinear resizing of HWC RGB images held in memory (CIFAR and MNIST to the training scale;
// windows of stored images for scale jittering).

/** The whole `from`-sided image at `to`×`to`. */
export function resizeSquare(src: Float32Array, from: number, to: number, out: Float32Array, outOffset: number): void {
  resampleWindow(src, 0, from, 0, 0, from, to, false, out, outOffset);
}

/**
 * Bilinear resample of a w×w window at (oy, ox) of an HWC image `stride` pixels wide into size×size,
 * optionally mirrored. Rescaling an image to S and cutting a crop equals cutting a window of
 * size·S₀/S of the image stored at S₀ and rescaling it — which is how scale jittering stays cheap on
 * images stored once at SMAX.
 */
export function resampleWindow(src: ArrayLike<number>, base: number, stride: number, oy: number, ox: number, w: number, size: number, flip: boolean, out: Float32Array, at: number): void {
  const scale = w / size;
  for (let y = 0; y < size; y++) {
    const sy = Math.min(w - 1, Math.max(0, (y + 0.5) * scale - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(w - 1, y0 + 1);
    const fy = sy - y0;
    const r0 = base + ((oy + y0) * stride + ox) * 3;
    const r1 = base + ((oy + y1) * stride + ox) * 3;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(w - 1, Math.max(0, (x + 0.5) * scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = sx - x0;
      const o = at + (y * size + (flip ? size - 1 - x : x)) * 3;
      for (let c = 0; c < 3; c++) {
        const top = src[r0 + x0 * 3 + c]! * (1 - fx) + src[r0 + x1 * 3 + c]! * fx;
        const bottom = src[r1 + x0 * 3 + c]! * (1 - fx) + src[r1 + x1 * 3 + c]! * fx;
        out[o + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
}
