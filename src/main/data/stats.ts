// Mean and covariance of RGB over a split, and the covariance's eigen-decomposition
// (AlexNet's PCA colour augmentation draws along these axes).
export interface RgbStats {
  mean: [number, number, number];
  /** Eigenvalues, largest first, and unit eigenvectors (rows). */
  eigenvalues: [number, number, number];
  eigenvectors: [[number, number, number], [number, number, number], [number, number, number]];
}

export function rgbStats(pixels: ArrayLike<number>, count: number): RgbStats {
  const mean = [0, 0, 0];
  const n = count;
  for (let i = 0; i < n * 3; i++) mean[i % 3]! += pixels[i]!;
  for (let c = 0; c < 3; c++) mean[c] = mean[c]! / Math.max(1, n);
  const cov = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const d = [pixels[i * 3]! - mean[0]!, pixels[i * 3 + 1]! - mean[1]!, pixels[i * 3 + 2]! - mean[2]!];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) cov[a * 3 + b]! += d[a]! * d[b]!;
  }
  for (let k = 0; k < 9; k++) cov[k] = cov[k]! / Math.max(1, n - 1);
  return eigenStats(mean as [number, number, number], cov);
}

/**
 * The same from running sums (the pipeline's workers add them up while decoding): the mean over
 * `pixels`, the covariance over a subset of `covPixels` pixels with its own sums.
 */
export function statsFromSums(s: { pixels: number; sum: number[]; covPixels: number; covSum: number[]; cross: number[] }): RgbStats {
  const mean = s.sum.map((v) => v / Math.max(1, s.pixels)) as [number, number, number];
  const n = Math.max(1, s.covPixels);
  const m = s.covSum.map((v) => v / n);
  const cov = s.cross.map((v, k) => (v - n * m[Math.floor(k / 3)]! * m[k % 3]!) / Math.max(1, n - 1));
  return eigenStats(mean, cov);
}

function eigenStats(mean: [number, number, number], cov: number[]): RgbStats {
  const { values, vectors } = jacobi3(cov);
  const order = [0, 1, 2].sort((a, b) => values[b]! - values[a]!);
  return {
    mean,
    eigenvalues: order.map((i) => Math.max(0, values[i]!)) as [number, number, number],
    eigenvectors: order.map((i) => [vectors[0]![i]!, vectors[1]![i]!, vectors[2]![i]!]) as RgbStats['eigenvectors'],
  };
}

/** Eigen-decomposition of a symmetric 3×3 matrix (row-major) by Jacobi rotations; eigenvectors are columns. */
export function jacobi3(m: number[]): { values: number[]; vectors: number[][] } {
  const a = [[m[0]!, m[1]!, m[2]!], [m[3]!, m[4]!, m[5]!], [m[6]!, m[7]!, m[8]!]];
  const v = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = Math.abs(a[0]![1]!) + Math.abs(a[0]![2]!) + Math.abs(a[1]![2]!);
    if (off < 1e-12) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      if (Math.abs(a[p]![q]!) < 1e-15) continue;
      const theta = (a[q]![q]! - a[p]![p]!) / (2 * a[p]![q]!);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[k]![p]!;
        const akq = a[k]![q]!;
        a[k]![p] = c * akp - s * akq;
        a[k]![q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p]![k]!;
        const aqk = a[q]![k]!;
        a[p]![k] = c * apk - s * aqk;
        a[q]![k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k]![p]!;
        const vkq = v[k]![q]!;
        v[k]![p] = c * vkp - s * vkq;
        v[k]![q] = s * vkp + c * vkq;
      }
    }
  }
  return { values: [a[0]![0]!, a[1]![1]!, a[2]![2]!], vectors: v };
}
