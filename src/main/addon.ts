// Loads VGG Lab's C++ addon (addon/, built by `npm install`), or says why it cannot. On the ground
// floor (beside paths.ts): the `native` backend's kernels (training/backends/native/) and the data
// pipeline's crops (data/pipeline/window.ts) both use it. In this code base "native" names only that
// backend; the compiled module is "the addon".
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConvGeom {
  n: number; h: number; w: number; c: number;
  kh: number; kw: number; co: number;
  oh: number; ow: number; sh: number; sw: number; pt: number; pl: number;
}
export interface PoolGeom {
  n: number; h: number; w: number; c: number; oh: number; ow: number;
  fh: number; fw: number; sh: number; sw: number; pt: number; pl: number;
}

/** One layer of a whole-step plan: kind 0 conv (3×3 or k×k, stride 1, 'same'), 1 max-pool (valid), 2 LRN, 3 flatten, 4 FC, 5 dropout. */
export interface StepLayer {
  kind: 0 | 1 | 2 | 3 | 4 | 5;
  /** Index of the kernel among the weights; the bias follows it. */
  weight?: number;
  units?: number;
  /** FC: the kernel's rows (its inputs). */
  rows?: number;
  kernel?: number;
  stride?: number;
  relu?: boolean;
  /** Dropout: index of its seed among the seeds. */
  mask?: number;
  /** Dropout: 1 − rate. */
  keep?: number;
  radius?: number;
  bias?: number;
  alpha?: number;
  beta?: number;
}

export interface NativeAddon {
  conv2d(x: Float32Array, w: Float32Array, out: Float32Array, g: ConvGeom, bias: Float32Array | null, relu: boolean): void;
  /** route: 0 (default) lets the addon choose, 1 forces oneDNN's backward-data primitive, 2 the forward convolution over the turned kernel (oneDNN builds; elsewhere ignored). */
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvGeom, route?: 0 | 1 | 2): void;
  /** precision: 0 (default) in bf16 threads, the precision timed for the shape; 1 the thread's precision as it is. */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvGeom, precision?: 0 | 1): void;
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batchA: number, batchB: number, m: number, n: number, k: number, transA: boolean, transB: boolean, bias: Float32Array | null, relu: boolean): void;
  maxPool(x: Float32Array, out: Float32Array, g: PoolGeom): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, g: PoolGeom): void;
  /** op: 0 add, 1 sub, 2 mul, 3 div; the smaller operand repeats over the larger. */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** op: 0 relu, 1 step(alpha). */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  sum(x: Float32Array, out: Float32Array, outer: number, inner: number, leading: boolean): void;
  reluGrad(dy: Float32Array, x: Float32Array, out: Float32Array): void;
  sgdUpdate(w: Float32Array, g: Float32Array, v: Float32Array, outW: Float32Array, outV: Float32Array, lr: number, mu: number, wd: number): void;
  lrn(x: Float32Array, y: Float32Array, channels: number, radius: number, bias: number, alpha: number, beta: number): void;
  lrnGrad(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, channels: number, radius: number, bias: number, alpha: number, beta: number): void;
  /** A whole training step (addon/src/vgg-step.inc): result ← [mean loss, correct]; out* ← the SGD update. */
  vggStep(layers: StepLayer[], x: Float32Array, shape: number[], labels: Int32Array, weights: Float32Array[], velocities: Float32Array[], outWeights: Float32Array[], outVelocities: Float32Array[], decay: boolean[], seeds: string[], lr: number, mu: number, wd: number, result: Float32Array): void;
  /**
   * Evaluation's forward pass (addon/src/vgg-forward.inc): logits of crops, or with `dense` the score
   * map of whole images (FC layers as convolutions); shape [n, h', w', classes].
   */
  vggForward(layers: StepLayer[], x: Float32Array, shape: number[], weights: Float32Array[], dense: boolean): { data: Float32Array; shape: number[] };
  /** The data pipeline's pixel work (addon/src/window.inc; data/pipeline/window.ts says what it does). */
  cutWindow(src: Float32Array | Uint8Array, base: number, stride: number, oy: number, ox: number, w: number, size: number, flip: boolean, d0: number, d1: number, d2: number, out: Float32Array, at: number): void;
  setThreads(n: number): void;
  /**
   * How this thread's convolutions compute from now on: 'bf16' takes bf16 copies of their inputs and
   * weights and accumulates in f32 (onednn.inc); throws, saying why, where the build or CPU lacks it.
   */
  setPrecision(precision: 'fp32' | 'bf16'): void;
  /**
   * How this thread's convolutions are computed from now on (onednn-conv.inc's ConvAlg), and a new
   * record of the choices made; 'winograd' throws without oneDNN, or where oneDNN has no Winograd kernels for the CPU (AVX2).
   */
  setConvAlgorithm(algorithm: 'auto' | 'direct' | 'winograd'): void;
  /** Each convolution pass computed since setConvAlgorithm: its key (pass:shape|ways on offer) → the way it took (choose.inc). */
  convChoices(): Record<string, string>;
  /** Those passes are computed that way from now on, untimed (a resumed run keeps its choices). */
  pinConvChoices(choices: Record<string, string>): void;
  /** The BLAS, threads and OpenMP; with oneDNN, its version and ISA ("2.6.3 avx512_core") and how many primitives and GEMMs it ran. */
  /** onednnCalls: calls into oneDNN so far; inputGradientsAsForward: convolution input gradients computed as a forward convolution (onednn.inc's DataRoute). */
  /**
   * bf16: whether setPrecision('bf16') is accepted here; bf16Convolutions: convolution passes computed
   * in bf16 so far; winograd: whether setConvAlgorithm('winograd') is accepted here; winogradConvolutions:
   * passes computed by Winograd's algorithm so far.
   */
  info(): { blas: string; threads?: number; openmp: boolean; onednn?: string; onednnCalls?: number; inputGradientsAsForward?: number; bf16: boolean; bf16Convolutions?: number; winograd: boolean; winogradConvolutions?: number };
}

const ADDON = path.join('addon', 'build', 'Release', 'vgglab_native.node');

/** The project root holding addon/: found upward from this file (source tree or bundled app). */
function findNativeDir(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'addon', 'binding.gyp'))) return dir;
    dir = path.dirname(dir);
  }
  return null;
}

let loaded: { addon: NativeAddon } | { reason: string } | undefined;

/** The addon, loaded once per thread, its thread count untouched (the data pipeline's workers call it single-threaded). */
export function requireNativeAddon(): { addon: NativeAddon } | { reason: string } {
  if (loaded) return loaded;
  const root = findNativeDir();
  const file = root ? path.join(root, ADDON) : null;
  if (!file || !fs.existsSync(file)) {
    let why = 'the native addon is not built';
    try {
      const status = JSON.parse(fs.readFileSync(path.join(root ?? '.', 'addon', 'build', 'status.json'), 'utf8')) as { reason?: string };
      if (status.reason) why = status.reason;
    } catch {
      /* never attempted */
    }
    loaded = { reason: `${why}; install a C++ compiler and OpenBLAS (Debian: g++ libopenblas-dev libopenblas0-openmp), then run npm install again` };
    return loaded;
  }
  try {
    loaded = { addon: createRequire(import.meta.url)(file) as NativeAddon };
  } catch (err) {
    loaded = { reason: `the native addon failed to load: ${(err as Error).message}` };
  }
  return loaded;
}

let threaded = false;

/** The addon for the backend's kernels: with as many threads as the machine has. */
export function loadNativeAddon(): { addon: NativeAddon } | { reason: string } {
  const found = requireNativeAddon();
  if ('addon' in found && !threaded) {
    found.addon.setThreads(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
    threaded = true;
  }
  return found;
}
