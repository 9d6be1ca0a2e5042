// Every native kernel against TF.js's pure-JS CPU backend: forward outputs and gradients.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { mulberry32, gaussian } from '../../src/main/data/rng';
import { registerCountedNative } from '../addon';
import { need } from '../require';

const counted = registerCountedNative(tf);
const { calls, addon } = counted;
const reason = need('native', counted.reason);
const noOneDnn = reason ?? need('onednn', addon?.info().onednn ? null : 'the native addon was built without oneDNN (libdnnl-dev)');

const rng = mulberry32(42);
const rand = (shape: number[]) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => gaussian(rng));

/** Runs fn on both backends with the same inputs; returns [cpu, native] results as arrays. */
async function both(inputs: { shape: number[]; data: number[] }[], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]) {
  const out: Float32Array[][] = [];
  for (const backend of ['cpu', 'native']) {
    await tf.setBackend(backend);
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
    const r = fn(...xs);
    const rs = Array.isArray(r) ? r : [r];
    out.push(await Promise.all(rs.map(async (t) => (await t.data()) as Float32Array)));
    tf.dispose([...xs, ...rs]);
  }
  return out as [Float32Array[], Float32Array[]];
}

function expectClose(got: Float32Array[], want: Float32Array[]) {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i]!;
    expect(g.length).toBe(w.length);
    let scale = 1;
    let worst = 0;
    for (let j = 0; j < w.length; j++) {
      scale = Math.max(scale, Math.abs(w[j]!));
      worst = Math.max(worst, Math.abs(g[j]! - w[j]!));
    }
    expect(worst / scale).toBeLessThan(1e-4);
  });
}

const convCases: [string, number[], number[], number, 'same' | 'valid'][] = [
  ['3×3 same, batch 1', [1, 7, 5, 3], [3, 3, 3, 4], 1, 'same'],
  ['3×3 same, odd sizes', [3, 9, 11, 5], [3, 3, 5, 7], 1, 'same'],
  ['1×1 pointwise', [2, 6, 6, 8], [1, 1, 8, 5], 1, 'same'],
  ['3×3 valid, stride 2', [2, 10, 9, 4], [3, 3, 4, 6], 2, 'valid'],
  ['5×5 same, stride 2', [1, 13, 8, 2], [5, 5, 2, 3], 2, 'same'],
];

describe.skipIf(Boolean(reason))(`native kernels agree with the CPU backend ${reason ? `(skipped: ${reason})` : ''}`, () => {
  it.each(convCases)('conv2d forward and gradients: %s', async (_name, xs, ws, stride, pad) => {
    const ys = [xs[0]!, 1, 1, ws[3]!];
    const [cpu, nat] = await both([{ shape: xs, data: rand(xs) }, { shape: ws, data: rand(ws) }], (x, w) => {
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);
      const r = tf.randomNormal(y.shape, 0, 1, 'float32', 7);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), r)));
      return [y, ...g([x!, w!])];
    });
    void ys;
    expectClose(nat, cpu);
  });

  it('fused conv2d with bias and relu, and its gradients', async () => {
    const xs = [2, 8, 8, 3];
    const ws = [3, 3, 3, 6];
    const [cpu, nat] = await both([{ shape: xs, data: rand(xs) }, { shape: ws, data: rand(ws) }, { shape: [6], data: rand([6]) }], (x, w, b) => {
      const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.fused.conv2d({ x: a as tf.Tensor4D, filter: c as tf.Tensor4D, bias: d, strides: 1, pad: 'same', activation: 'relu' });
      const y = f(x!, w!, b!);
      return [y, ...tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.square(f(a, c, d))))([x!, w!, b!])];
    });
    expectClose(nat, cpu);
  });

  // 5 rows, and 20 (a transposed B of 16 rows or more runs on oneDNN's matmul primitive, fewer on its sgemm).
  it.each([
    [false, false, 5],
    [true, false, 5],
    [false, true, 5],
    [true, true, 5],
    [false, true, 20],
    [true, false, 20],
  ])('matMul transposeA=%s transposeB=%s, %i rows, with gradients', async (ta, tb, rows) => {
    const as = ta ? [7, rows] : [rows, 7];
    const bs = tb ? [3, 7] : [7, 3];
    const [cpu, nat] = await both([{ shape: as, data: rand(as) }, { shape: bs, data: rand(bs) }], (a, b) => {
      const y = tf.matMul(a!, b!, ta, tb);
      return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, ta, tb))))([a!, b!])];
    });
    expectClose(nat, cpu);
  });

  it('batched matMul, with a broadcast batch', async () => {
    const [cpu, nat] = await both([{ shape: [4, 3, 5], data: rand([4, 3, 5]) }, { shape: [1, 5, 2], data: rand([1, 5, 2]) }, { shape: [4, 5, 2], data: rand([4, 5, 2]) }], (a, b, c) => [tf.matMul(a!, b!), tf.matMul(a!, c!)]);
    expectClose(nat, cpu);
  });

  it.skipIf(!!noOneDnn)('matrix products run on oneDNN\'s GEMM where the addon has it (one call per product in the batch)', async () => {
    const before = addon!.info().onednnCalls!;
    const [cpu, nat] = await both([{ shape: [3, 4, 6], data: rand([3, 4, 6]) }, { shape: [3, 5, 6], data: rand([3, 5, 6]) }], (a, b) => tf.matMul(a!, b!, false, true));
    expect(addon!.info().onednnCalls! - before).toBe(3);
    expectClose(nat, cpu);
  });

  it('fused matMul with bias and relu (a dense layer), with gradients', async () => {
    const [cpu, nat] = await both([{ shape: [1, 9], data: rand([1, 9]) }, { shape: [9, 4], data: rand([9, 4]) }, { shape: [4], data: rand([4]) }], (a, b, c) => {
      const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: r, activation: 'relu' });
      return [f(a!, b!, c!), ...tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.square(f(p, q, r))))([a!, b!, c!])];
    });
    expectClose(nat, cpu);
  });

  it.each([
    ['2×2 stride 2', [2, 8, 6, 3], 2, 2, 'valid'],
    ['odd input, 2×2 stride 2', [1, 7, 5, 4], 2, 2, 'valid'],
    ['3×3 stride 2 same', [2, 9, 9, 2], 3, 2, 'same'],
  ] as const)('maxPool forward and gradient: %s', async (_n, xs, f, s, pad) => {
    const [cpu, nat] = await both([{ shape: [...xs], data: rand([...xs]) }], (x) => {
      const y = tf.maxPool(x as tf.Tensor4D, f, s, pad);
      const r = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
      return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, f, s, pad), r)))(x!)];
    });
    expectClose(nat, cpu);
  });

  it('LRN (AlexNet settings, as A-LRN) forward and gradient, with channel counts below and above the window', async () => {
    for (const c of [3, 8]) {
      const xs = [2, 4, 5, c];
      const [cpu, nat] = await both([{ shape: xs, data: rand(xs).map((v) => 20 * v) }], (x) => {
        const f = (a: tf.Tensor) => tf.localResponseNormalization(a as tf.Tensor4D, 2, 2, 1e-4, 0.75);
        return [f(x!), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), tf.reshape(tf.range(0, 40 * c), xs))))(x!)];
      });
      expectClose(nat, cpu);
    }
  });

  // The input gradient has two routes on oneDNN (onednn.inc's DataRoute): the backward-data primitive,
  // and a forward convolution of dy over the kernel turned 180° with its channels swapped, which the
  // addon picks by timing for large shapes only. Each is forced here on small ones, against TF.js.
  const routeCases: [string, number[], number[], number, 'same' | 'valid'][] = [
    ...convCases,
    ['3×3 valid, stride 1', [2, 8, 7, 4], [3, 3, 4, 6], 1, 'valid'],
    ['5×5 same, stride 1', [1, 9, 8, 2], [5, 5, 2, 3], 1, 'same'],
    ['4×4 same (uneven padding)', [2, 7, 6, 3], [4, 4, 3, 2], 1, 'same'],
  ];
  it.each(routeCases)('conv2d input gradient on each route: %s', async (_name, xs, ws, stride, pad) => {
    const [n, h, w, c] = xs as [number, number, number, number];
    const [kh, kw, , co] = ws as [number, number, number, number];
    const oh = pad === 'same' ? Math.ceil(h / stride) : Math.ceil((h - kh + 1) / stride);
    const ow = pad === 'same' ? Math.ceil(w / stride) : Math.ceil((w - kw + 1) / stride);
    const pt = pad === 'same' ? Math.floor(Math.max((oh - 1) * stride + kh - h, 0) / 2) : 0;
    const pl = pad === 'same' ? Math.floor(Math.max((ow - 1) * stride + kw - w, 0) / 2) : 0;
    const geom = { n, h, w, c, kh, kw, co, oh, ow, sh: stride, sw: stride, pt, pl };
    const wData = Float32Array.from(rand(ws));
    const dyData = Float32Array.from(rand([n, oh, ow, co]));
    await tf.setBackend('cpu');
    const want = tf.tidy(() => {
      const filter = tf.tensor4d(wData, ws as [number, number, number, number]);
      const dy = tf.tensor4d(dyData, [n, oh, ow, co]);
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, filter, stride, pad), dy)))(tf.zeros([n, h, w, c]));
    });
    const wantData = (await want.data()) as Float32Array;
    want.dispose();
    for (const route of [1, 2] as const) {
      const before = addon!.info().inputGradientsAsForward ?? 0;
      const dx = new Float32Array(n * h * w * c).fill(Number.NaN);
      addon!.conv2dBackpropInput(dyData, wData, dx, geom, route);
      expectClose([dx], [wantData]);
      const turned = (addon!.info().inputGradientsAsForward ?? 0) - before;
      // The forward route takes stride 1 only; elsewhere the primitive answers.
      if (addon!.info().onednn) expect(turned, `route ${route}`).toBe(route === 2 && stride === 1 ? 1 : 0);
    }
  });

  it('rejects a route it does not know, naming the accepted ones', () => {
    const g = { n: 1, h: 3, w: 3, c: 1, kh: 3, kw: 3, co: 1, oh: 3, ow: 3, sh: 1, sw: 1, pt: 1, pl: 1 };
    expect(() => addon!.conv2dBackpropInput(new Float32Array(9), new Float32Array(9), new Float32Array(9), g, 3 as never)).toThrow(/route must be 0 \(chosen\), 1 .* or 2/);
  });

  it('ran every native kernel (no silent fallback)', () => {
    for (const k of ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'matmul', 'maxPool', 'maxPoolGrad', 'lrn', 'lrnGrad']) expect(calls[k], k).toBeGreaterThan(0);
    // Built with oneDNN, the convolutions above ran on it: the addon counts its oneDNN calls.
    const info = addon?.info();
    if (info?.onednn) expect(info.onednnCalls).toBeGreaterThan(0);
  });
});

describe.skipIf(Boolean(reason))(`native element-wise kernels agree with the CPU backend${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it.each([
    ['same shape', [3, 4, 5], [3, 4, 5]],
    ['bias over the last axis', [2, 3, 4, 6], [6]],
    ['bias as [1,1,1,C]', [2, 3, 4, 6], [1, 1, 1, 6]],
    ['scalar', [5, 7], []],
    ['scalar first', [], [5, 7]],
    ['general broadcast (falls back)', [3, 1], [1, 4]],
  ])('add, sub, mul, div: %s', async (_n, as, bs) => {
    const [cpu, nat] = await both([{ shape: as, data: rand(as) }, { shape: bs, data: rand(bs).map((v) => v + 3) }], (a, b) => [tf.add(a!, b!), tf.sub(a!, b!), tf.mul(a!, b!), tf.div(a!, b!)]);
    expectClose(nat, cpu);
  });

  it('relu, step and floor, with NaN kept', async () => {
    const data = rand([4, 5]).map((v) => 3 * v);
    data[3] = Number.NaN;
    data[4] = -2;
    const [cpu, nat] = await both([{ shape: [4, 5], data }], (x) => [tf.relu(x!), tf.step(x!, 0.25), tf.floor(x!)]);
    expect(Number.isNaN(nat[0]![3]!)).toBe(Number.isNaN(cpu[0]![3]!));
    nat.forEach((a) => (a[3] = 0));
    cpu.forEach((a) => (a[3] = 0));
    expectClose(nat, cpu);
  });

  it.each([
    ['leading axes (bias gradient)', [4, 5, 6, 3], [0, 1, 2], false],
    ['trailing axis', [4, 7], [1], false],
    ['all axes', [3, 4, 5], [0, 1, 2], false],
    ['keepDims', [3, 4, 5], [0], true],
    ['middle axis (falls back)', [3, 4, 5], [1], false],
  ] as const)('sum over %s', async (_n, xs, axes, keep) => {
    const [cpu, nat] = await both([{ shape: [...xs], data: rand([...xs]) }], (x) => {
      const y = tf.sum(x!, [...axes], keep);
      expect(y.shape).toEqual(tf.tidy(() => tf.sum(tf.zeros([...xs]), [...axes], keep).shape));
      return y;
    });
    expectClose(nat, cpu);
  });

  it('ran the element-wise kernels natively', () => {
    for (const k of ['binary', 'unary', 'sum']) expect(calls[k], k).toBeGreaterThan(0);
  });
});

describe.skipIf(Boolean(reason))(`native fused kernels${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('the ReLU gradient (one fused pass) equals step-then-multiply on the CPU backend', async () => {
    const [cpu, nat] = await both([{ shape: [3, 5, 5, 4], data: rand([3, 5, 5, 4]) }], (x) => [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), tf.reshape(tf.range(0, 300), [3, 5, 5, 4]))))(x!)]);
    expectClose(nat, cpu);
    expect(calls.reluGrad).toBeGreaterThan(0);
  });

  it('the fused SGD update equals v ← μv − lr(g + λw), w ← w + v', async () => {
    await tf.setBackend('native');
    const n = 1000;
    const [w, g, v] = [rand([n]), rand([n]), rand([n])];
    const [nw, nv] = tf.engine().runKernel('VggSgdUpdate', { w: tf.tensor(w), g: tf.tensor(g), v: tf.tensor(v) }, { lr: 0.01, mu: 0.9, wd: 5e-4 }) as tf.Tensor[];
    const [gw, gv] = [await nw!.data(), await nv!.data()];
    for (let i = 0; i < n; i++) {
      const want = 0.9 * v[i]! - 0.01 * (g[i]! + 5e-4 * w[i]!);
      expect(gv[i]).toBeCloseTo(want, 5);
      expect(gw[i]).toBeCloseTo(w[i]! + want, 5);
    }
  });
});

describe.skipIf(Boolean(reason))(`native output buffers are reused safely${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('reuses a freed activation buffer, but never one whose values were read out or that another tensor views', async () => {
    await tf.setBackend('native');
    const { pool } = await import('../../src/main/training/backends/native/kernels');
    const x = tf.tensor(rand([4, 16, 16, 8]), [4, 16, 16, 8]);
    // A freed output comes back for the next op of its size.
    const before = pool.reused;
    tf.dispose(tf.relu(x));
    tf.dispose(tf.relu(x));
    expect(pool.reused).toBeGreaterThan(before);
    // Values handed out stay as they were after their tensor is gone and more ops run.
    const r = tf.relu(x);
    const seen = r.dataSync();
    const copy = Float32Array.from(seen);
    r.dispose();
    for (let i = 0; i < 3; i++) tf.dispose(tf.mul(tf.relu(x), 3));
    expect(seen).toEqual(copy);
    // A view of a pooled buffer (a reshape shares data; a slice may view it) keeps its values too.
    const y = tf.relu(x);
    const flat = tf.reshape(y, [-1]);
    const part = tf.slice(flat, [0], [2048]);
    const partCopy = Float32Array.from(await part.data());
    y.dispose();
    flat.dispose();
    for (let i = 0; i < 3; i++) tf.dispose(tf.mul(tf.relu(x), -7));
    expect(await part.data()).toEqual(partCopy);
    tf.dispose([x, part]);
  });
});
