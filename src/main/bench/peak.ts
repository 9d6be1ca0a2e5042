// The machine's GEMM peak, the roofline of every backend that computes on CPU cores, as the native
// addon measures it: a large single-precision matrix product (1024³ on the addon's GEMM: oneDNN's
// where it has it, else the BLAS's; all its threads), best of repeated runs. Workload GFLOP/s are reported as a share of it.
import { loadNativeAddon } from '../addon';

export function gemmPeakGflops(seconds = 1): number | null {
  const found = loadNativeAddon();
  if (!('addon' in found)) return null;
  const n = 1024;
  const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = new Float32Array(n * n).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(n * n);
  const once = () => {
    const t = performance.now();
    found.addon.matmul(a, b, c, 1, 1, n, n, n, false, false, null, false);
    return (2 * n * n * n) / ((performance.now() - t) / 1000) / 1e9;
  };
  once();
  let best = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) best = Math.max(best, once());
  return best;
}
