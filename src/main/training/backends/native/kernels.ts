// The `native` TF.js backend: the CPU backend's tensor storage and kernels, with the heavy
// kernels (convolutions and their gradients, matrix products, max-pooling) replaced by the addon's
// code on oneDNN (or BLAS where the build found no oneDNN), and the whole VGG training step and
// forward pass as single calls. Anything a native kernel does not cover falls back to the CPU kernel.
// Why one file of ~300 lines: each kernel is a short adapter of one shape (read the inputs' buffers,
// call the addon, hand back a pooled output) over geometry helpers they share, and the list that
// registers them is the one place that says which kernels the backend replaces.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { ConvGeom, NativeAddon, PoolGeom, StepLayer } from '../../../addon';
import { FORWARD, NATIVE_BACKEND, RELU_GRAD, SGD_UPDATE, TRAIN_STEP } from './names';
import { BufferPool, PooledCpuBackend } from './pool';

/** Output buffers of the native kernels (see pool.ts). */
export const pool = new BufferPool();

type Tf = typeof TfCore;
type Conv2DInfo = ReturnType<Tf['backend_util']['computeConv2DInfo']>;
type Args = Parameters<KernelFunc>[0];


function values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

const channelsLast = (fmt: unknown) => fmt === undefined || fmt === 'NHWC' || fmt === 'channelsLast';
const unitDilation = (d: unknown) => d === undefined || d === 1 || (Array.isArray(d) && d.every((x) => x === 1));
const allFloat = (...ts: (TensorInfo | undefined)[]) => ts.every((t) => !t || t.dtype === 'float32');

function convGeom(info: Conv2DInfo): ConvGeom {
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, c: info.inChannels,
    kh: info.filterHeight, kw: info.filterWidth, co: info.outChannels,
    oh: info.outHeight, ow: info.outWidth, sh: info.strideHeight, sw: info.strideWidth,
    pt: info.padInfo.top, pl: info.padInfo.left,
  };
}

function poolGeom(info: Conv2DInfo): PoolGeom {
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, c: info.inChannels, oh: info.outHeight, ow: info.outWidth,
    fh: info.filterHeight, fw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth, pt: info.padInfo.top, pl: info.padInfo.left,
  };
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** True when `small` repeats exactly over `big`: a scalar, or `big`'s trailing dimensions. */
function repeatsOver(small: readonly number[], big: readonly number[]): boolean {
  if (small.length > big.length) return false;
  const first = small.findIndex((d) => d !== 1);
  const core = first < 0 ? [] : small.slice(first);
  return core.every((d, j) => d === big[big.length - core.length + j]);
}

export function nativeKernels(tf: Tf, addon: NativeAddon): Record<string, (args: Args, fallback: KernelFunc) => TensorInfo | TensorInfo[]> {
  const bu = tf.backend_util;

  const conv = (args: Args, fallback: KernelFunc, fused: boolean) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const a = args.attrs as NamedAttrMap & { activation?: string };
    const activation = a.activation ?? 'linear';
    const okBias = !bias || (bias.shape.length === 1 && bias.shape[0] === filter!.shape[3]);
    if (!allFloat(x, filter, bias) || !channelsLast(a.dataFormat) || !unitDilation(a.dilations) || preluActivationWeights || !okBias || (fused && activation !== 'linear' && activation !== 'relu'))
      return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const info = bu.computeConv2DInfo(x!.shape as [number, number, number, number], filter!.shape as [number, number, number, number], a.strides as [number, number], 1, a.pad as 'same', a.dimRoundingMode as 'floor', false, 'channelsLast');
    const out = pool.alloc(size(info.outShape));
    addon.conv2d(values(backend, x!), values(backend, filter!), out, convGeom(info), bias ? values(backend, bias) : null, fused && activation === 'relu');
    return backend.makeTensorInfo(info.outShape, 'float32', out);
  };

  const matmul = (args: Args, fallback: KernelFunc, fused: boolean) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const at = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
    const activation = at.activation ?? 'linear';
    if (!allFloat(a, b, bias) || preluActivationWeights || (fused && activation !== 'linear' && activation !== 'relu')) return fallback(args);
    const ra = a!.shape.length;
    const rb = b!.shape.length;
    const m = at.transposeA ? a!.shape[ra - 1]! : a!.shape[ra - 2]!;
    const k = at.transposeA ? a!.shape[ra - 2]! : a!.shape[ra - 1]!;
    const n = at.transposeB ? b!.shape[rb - 2]! : b!.shape[rb - 1]!;
    const outerA = a!.shape.slice(0, -2);
    const outerB = b!.shape.slice(0, -2);
    const batchA = size(outerA);
    const batchB = size(outerB);
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (!(sameOuter || batchA === 1 || batchB === 1)) return fallback(args);
    if (bias && !(bias.shape.length === 1 && bias.shape[0] === n)) return fallback(args);
    const outer = batchA >= batchB ? (outerA.length >= outerB.length ? outerA : outerB) : outerB;
    const backend = args.backend as MathBackendCPU;
    const outShape = [...outer, m, n];
    const out = pool.alloc(Math.max(batchA, batchB) * m * n);
    addon.matmul(values(backend, a!), values(backend, b!), out, batchA, batchB, m, n, k, at.transposeA, at.transposeB, bias ? values(backend, bias) : null, fused && activation === 'relu');
    return backend.makeTensorInfo(outShape, 'float32', out);
  };

  const binary = (op: number) => (args: Args, fallback: KernelFunc) => {
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    if (!allFloat(a, b) || a!.dtype !== 'float32' || b!.dtype !== 'float32') return fallback(args);
    const [big, small] = size(a!.shape) >= size(b!.shape) ? [a!, b!] : [b!, a!];
    if (!repeatsOver(small.shape, big.shape)) return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const out = pool.alloc(size(big.shape));
    addon.binary(op, values(backend, a!), values(backend, b!), out);
    return backend.makeTensorInfo(big.shape, 'float32', out);
  };

  const unary = (op: number) => (args: Args, fallback: KernelFunc) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (x!.dtype !== 'float32') return fallback(args);
    const backend = args.backend as MathBackendCPU;
    const out = pool.alloc(size(x!.shape));
    addon.unary(op, values(backend, x!), out, Number((args.attrs as { alpha?: number } | undefined)?.alpha ?? 0));
    return backend.makeTensorInfo(x!.shape, 'float32', out);
  };

  return {
    Add: binary(0),
    Sub: binary(1),
    Multiply: binary(2),
    RealDiv: binary(3),
    Relu: unary(0),
    Step: unary(1),
    // Dropout's mask (floor of keep-probability + uniform noise): pure JS cost W1 5 % of its step.
    Floor: unary(2),
    Sum: (args, fallback) => {
      const { x } = args.inputs as Record<string, TensorInfo>;
      const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
      if (x!.dtype !== 'float32') return fallback(args);
      const rank = x!.shape.length;
      const axes = tf.util.parseAxisParam(axis, x!.shape).sort((p, q) => p - q);
      const leading = axes.every((ax, i) => ax === i);
      const trailing = axes.every((ax, i) => ax === rank - axes.length + i);
      if (!leading && !trailing) return fallback(args);
      const [outShape] = bu.computeOutAndReduceShapes(x!.shape, axes);
      const reduced = size(axes.map((ax) => x!.shape[ax]!));
      const kept = size(x!.shape) / Math.max(reduced, 1);
      const backend = args.backend as MathBackendCPU;
      const out = pool.alloc(Math.max(size(outShape), 1));
      // leading: sum over the first axes (outer = reduced); trailing: row sums (inner = reduced).
      if (leading && !(trailing && axes.length === rank)) addon.sum(values(backend, x!), out, reduced, kept, true);
      else addon.sum(values(backend, x!), out, kept, reduced, false);
      const shape = keepDims ? bu.expandShapeToKeepDim(outShape, axes) : outShape;
      return backend.makeTensorInfo(shape, 'float32', out);
    },
    Conv2D: (args, fb) => conv(args, fb, false),
    FusedConv2D: (args, fb) => conv(args, fb, true),
    Conv2DBackpropInput: (args, fallback) => {
      const { dy, filter } = args.inputs as Record<string, TensorInfo>;
      const a = args.attrs as NamedAttrMap;
      if (!allFloat(dy, filter) || !channelsLast(a.dataFormat)) return fallback(args);
      const backend = args.backend as MathBackendCPU;
      const inShape = a.inputShape as [number, number, number, number];
      const info = bu.computeConv2DInfo(inShape, filter!.shape as [number, number, number, number], a.strides as [number, number], 1, a.pad as 'same', a.dimRoundingMode as 'floor', false, 'channelsLast');
      const dx = pool.alloc(size(inShape));
      addon.conv2dBackpropInput(values(backend, dy!), values(backend, filter!), dx, convGeom(info));
      return backend.makeTensorInfo(inShape, 'float32', dx);
    },
    Conv2DBackpropFilter: (args, fallback) => {
      const { x, dy } = args.inputs as Record<string, TensorInfo>;
      const a = args.attrs as NamedAttrMap;
      if (!allFloat(x, dy) || !channelsLast(a.dataFormat)) return fallback(args);
      const backend = args.backend as MathBackendCPU;
      const filterShape = a.filterShape as [number, number, number, number];
      const info = bu.computeConv2DInfo(x!.shape as [number, number, number, number], filterShape, a.strides as [number, number], 1, a.pad as 'same', a.dimRoundingMode as 'floor', false, 'channelsLast');
      const dw = pool.alloc(size(filterShape));
      addon.conv2dBackpropFilter(values(backend, x!), values(backend, dy!), dw, convGeom(info));
      return backend.makeTensorInfo(filterShape, 'float32', dw);
    },
    BatchMatMul: (args, fb) => matmul(args, fb, false),
    _FusedMatMul: (args, fb) => matmul(args, fb, true),
    MaxPool: (args, fallback) => {
      const { x } = args.inputs as Record<string, TensorInfo>;
      const a = args.attrs as NamedAttrMap;
      if (!allFloat(x) || x!.shape.length !== 4) return fallback(args);
      const backend = args.backend as MathBackendCPU;
      const info = bu.computePool2DInfo(x!.shape as [number, number, number, number], a.filterSize as number, a.strides as number, 1, a.pad as 'same', a.dimRoundingMode as 'floor');
      const out = pool.alloc(size(info.outShape));
      addon.maxPool(values(backend, x!), out, poolGeom(info));
      return backend.makeTensorInfo(info.outShape, 'float32', out);
    },
    LRN: (args, fallback) => {
      const { x } = args.inputs as Record<string, TensorInfo>;
      const a = args.attrs as { depthRadius: number; bias: number; alpha: number; beta: number };
      if (x!.dtype !== 'float32' || x!.shape.length !== 4) return fallback(args);
      const backend = args.backend as MathBackendCPU;
      const y = pool.alloc(size(x!.shape));
      addon.lrn(values(backend, x!), y, x!.shape[3]!, a.depthRadius, a.bias, a.alpha, a.beta);
      return backend.makeTensorInfo(x!.shape, 'float32', y);
    },
    LRNGrad: (args, fallback) => {
      const { x, y, dy } = args.inputs as Record<string, TensorInfo>;
      const a = args.attrs as { depthRadius: number; bias: number; alpha: number; beta: number };
      if (!allFloat(x, y, dy) || x!.shape.length !== 4) return fallback(args);
      const backend = args.backend as MathBackendCPU;
      const dx = pool.alloc(size(x!.shape));
      addon.lrnGrad(values(backend, x!), values(backend, y!), values(backend, dy!), dx, x!.shape[3]!, a.depthRadius, a.bias, a.alpha, a.beta);
      return backend.makeTensorInfo(x!.shape, 'float32', dx);
    },
    MaxPoolGrad: (args, fallback) => {
      const { dy, input } = args.inputs as Record<string, TensorInfo>;
      const a = args.attrs as NamedAttrMap;
      if (!allFloat(dy, input) || input!.shape.length !== 4) return fallback(args);
      const backend = args.backend as MathBackendCPU;
      const info = bu.computePool2DInfo(input!.shape as [number, number, number, number], a.filterSize as number, a.strides as number, 1, a.pad as 'same', a.dimRoundingMode as 'floor');
      const dx = pool.alloc(size(input!.shape));
      addon.maxPoolGrad(values(backend, dy!), values(backend, input!), dx, poolGeom(info));
      return backend.makeTensorInfo(input!.shape, 'float32', dx);
    },
  };
}

let registered = false;

/** Registers backend 'native': every CPU kernel, with the heavy ones replaced. */
export function registerNativeBackend(tf: Tf, addon: NativeAddon): void {
  if (registered) return;
  tf.registerBackend(NATIVE_BACKEND, () => new PooledCpuBackend(pool), 0);
  const overrides = nativeKernels(tf, addon);
  for (const config of tf.getKernelsForBackend('cpu') as KernelConfig[]) {
    const native = overrides[config.kernelName];
    const kernelFunc: KernelFunc = native ? (args) => native(args, config.kernelFunc) : config.kernelFunc;
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND, kernelFunc });
  }
  tf.registerKernel({
    kernelName: RELU_GRAD,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as Record<string, TensorInfo>;
      const b = backend as MathBackendCPU;
      const out = pool.alloc(size(dy!.shape));
      addon.reluGrad(values(b, dy!), values(b, x!), out);
      return b.makeTensorInfo(dy!.shape, 'float32', out);
    },
  });
  tf.registerKernel({
    kernelName: SGD_UPDATE,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { w, g, v } = inputs as Record<string, TensorInfo>;
      const { lr, mu, wd } = attrs as { lr: number; mu: number; wd: number };
      const b = backend as MathBackendCPU;
      const n = size(w!.shape);
      const ow = pool.alloc(n);
      const ov = pool.alloc(n);
      addon.sgdUpdate(values(b, w!), values(b, g!), values(b, v!), ow, ov, lr, mu, wd);
      return [b.makeTensorInfo(w!.shape, 'float32', ow), b.makeTensorInfo(w!.shape, 'float32', ov)];
    },
  });
  // A whole training step: inputs x, y, then w0…, v0… (weights and momenta); attrs.seeds: this step's dropout seeds.
  tf.registerKernel({
    kernelName: TRAIN_STEP,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as { layers: StepLayer[]; decay: boolean[]; seeds: string[]; lr: number; mu: number; wd: number };
      const t = inputs as Record<string, TensorInfo>;
      const b = backend as MathBackendCPU;
      const ws = a.decay.map((_, i) => t[`w${i}`]!);
      const vs = a.decay.map((_, i) => t[`v${i}`]!);
      const outW = ws.map((w) => pool.alloc(size(w.shape)));
      const outV = ws.map((w) => pool.alloc(size(w.shape)));
      const result = new Float32Array(2);
      const labels = b.data.get(t.y!.dataId).values as Int32Array;
      addon.vggStep(a.layers, values(b, t.x!), t.x!.shape, labels, ws.map((w) => values(b, w)), vs.map((v) => values(b, v)), outW, outV, a.decay,
        a.seeds, a.lr, a.mu, a.wd, result);
      return [
        b.makeTensorInfo([], 'float32', Float32Array.of(result[0]!)),
        b.makeTensorInfo([], 'float32', Float32Array.of(result[1]!)),
        ...ws.map((w, i) => b.makeTensorInfo(w.shape, 'float32', outW[i])),
        ...vs.map((v, i) => b.makeTensorInfo(v.shape, 'float32', outV[i])),
      ];
    },
  });
  // Evaluation's forward pass: inputs x, then w0… (the model's trainable weights); attrs.dense: the whole-image score map.
  tf.registerKernel({
    kernelName: FORWARD,
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as { layers: StepLayer[]; weights: number; dense: boolean };
      const t = inputs as Record<string, TensorInfo>;
      const b = backend as MathBackendCPU;
      const ws = Array.from({ length: a.weights }, (_, i) => values(b, t[`w${i}`]!));
      const out = addon.vggForward(a.layers, values(b, t.x!), t.x!.shape, ws, a.dense);
      return b.makeTensorInfo(a.dense ? out.shape : [out.shape[0]!, out.shape[3]!], 'float32', out.data);
    },
  });
  // ReLU's gradient as one fused kernel on native (TF.js's default is step(x), then a multiply).
  // The gradient registry is per thread, so only workers running the native backend see this.
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return {
        x: () => (tf.getBackend() === NATIVE_BACKEND ? (tf.engine().runKernel(RELU_GRAD, { dy: dy as TfCore.Tensor, x: x! }) as TfCore.Tensor) : tf.mul(dy as TfCore.Tensor, tf.step(tf.cast(x!, 'float32')))),
      };
    },
  });
  registered = true;
}
