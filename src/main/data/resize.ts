// Bilinear resize of square HWC images held in memory (CIFAR and MNIST to the training scale).
export function resizeSquare(src: ArrayLike<number>, from: number, to: number, channels: number, out: Float32Array, outOffset: number): void {
  const scale = from / to;
  for (let y = 0; y < to; y++) {
    const sy = Math.min(from - 1, Math.max(0, (y + 0.5) * scale - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(from - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < to; x++) {
      const sx = Math.min(from - 1, Math.max(0, (x + 0.5) * scale - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(from - 1, x0 + 1);
      const fx = sx - x0;
      for (let c = 0; c < channels; c++) {
        const a = src[(y0 * from + x0) * channels + c]!;
        const b = src[(y0 * from + x1) * channels + c]!;
        const d = src[(y1 * from + x0) * channels + c]!;
        const e = src[(y1 * from + x1) * channels + c]!;
        out[outOffset + (y * to + x) * channels + c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
      }
    }
  }
}
