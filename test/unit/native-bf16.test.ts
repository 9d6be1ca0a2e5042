// The native backend's bf16 convolutions (addon/src/onednn.inc) against a float64 reference on
// VGG's 3×3 shapes, every pass, with the error bound that rounding both operands to bf16 and
// summing in f32 implies; then the precision reset to fp32 gives fp32's very numbers again.
import { describe, expect, it } from 'vitest';
import { loadNativeAddon, type ConvGeom, type NativeAddon } from '../../src/main/addon';
import { gaussian, mulberry32 } from '../../src/main/data/rng';
import { need } from '../require';

const found = loadNativeAddon();
const addon: NativeAddon | null = 'addon' in found ? found.addon : null;
const missing = need('native', addon ? null : (found as { reason: string }).reason) ?? need('onednn', addon?.info().onednn ? null : 'the native addon was built without oneDNN (libdnnl-dev)');
// bf16 depends on the CPU, not on what CI installs: a CPU without AVX512_BF16 or AMX skips, saying so.
const noBf16 = missing ?? (addon!.info().bf16 ? null : `this CPU has no AVX512_BF16 or AMX (oneDNN finds ${addon!.info().onednn})`);

// Unit roundoffs: bf16 keeps 8 significant bits, f32 24 (round to nearest).
const U16 = 2 ** -8;
const U32 = 2 ** -24;
/**
 * Each of the K products x·w is of operands rounded to bf16: x(1+δ₁)·w(1+δ₂), |δ| ≤ u, so off by at
 * most (2u + u²)|xw|; summing them in f32 in any order adds at most γ_K = Ku₃₂/(1 − Ku₃₂) of the
 * sum of the (rounded) magnitudes. So |ŷ − y| ≤ β·Σ|x||w| with β below: a bound by construction,
 * whatever order the kernel sums in.
 */
const beta = (k: number) => 2 * U16 + U16 * U16 + ((k * U32) / (1 - k * U32)) * (1 + U16) ** 2;

const geomOf = (n: number, hw: number, c: number, co: number): ConvGeom => ({ n, h: hw, w: hw, c, kh: 3, kw: 3, co, oh: hw, ow: hw, sh: 1, sw: 1, pt: 1, pl: 1 });
const rng = mulberry32(11);
const rand = (len: number) => Float32Array.from({ length: len }, () => gaussian(rng));

/** For every (image, y, x, out-channel, in-channel, kernel tap) of a same-padded 3×3 convolution, calls f with the flat indices of x, w and y. */
function taps(g: ConvGeom, f: (xi: number, wi: number, yi: number) => void) {
  for (let n = 0; n < g.n; n++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let ky = 0; ky < 3; ky++) {
          const iy = oy + ky - 1;
          if (iy < 0 || iy >= g.h) continue;
          for (let kx = 0; kx < 3; kx++) {
            const ix = ox + kx - 1;
            if (ix < 0 || ix >= g.w) continue;
            const xBase = ((n * g.h + iy) * g.w + ix) * g.c;
            const wBase = (ky * 3 + kx) * g.c * g.co;
            const yBase = ((n * g.oh + oy) * g.ow + ox) * g.co;
            for (let c = 0; c < g.c; c++) for (let o = 0; o < g.co; o++) f(xBase + c, wBase + c * g.co + o, yBase + o);
          }
        }
}

/** The float64 value and Σ|a||b| of each output of a pass: forward (y), input gradient (dx) or weight gradient (dw). */
function reference(g: ConvGeom, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const ny = g.n * g.oh * g.ow * g.co;
  const y = new Float64Array(ny), ys = new Float64Array(ny);
  const dx = new Float64Array(x.length), dxs = new Float64Array(x.length);
  const dw = new Float64Array(w.length), dws = new Float64Array(w.length);
  taps(g, (xi, wi, yi) => {
    const a = x[xi]!, b = w[wi]!, d = dy[yi]!;
    y[yi] = y[yi]! + a * b;
    ys[yi] = ys[yi]! + Math.abs(a * b);
    dx[xi] = dx[xi]! + d * b;
    dxs[xi] = dxs[xi]! + Math.abs(d * b);
    dw[wi] = dw[wi]! + a * d;
    dws[wi] = dws[wi]! + Math.abs(a * d);
  });
  return { y: [y, ys, 9 * g.c], dx: [dx, dxs, 9 * g.co], dw: [dw, dws, g.n * g.oh * g.ow] } as Record<string, [Float64Array, Float64Array, number]>;
}

/** The addon's three passes (and the input gradient on both routes) at the thread's current precision. */
function passes(a: NativeAddon, g: ConvGeom, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const y = new Float32Array(dy.length), dxPrim = new Float32Array(x.length), dxFwd = new Float32Array(x.length), dw = new Float32Array(w.length);
  a.conv2d(x, w, y, g, null, false);
  a.conv2dBackpropInput(dy, w, dxPrim, g, 1);
  a.conv2dBackpropInput(dy, w, dxFwd, g, 2);
  a.conv2dBackpropFilter(x, dy, dw, g, 1); // at the thread's precision, not the one timed for the shape
  return { y, dxPrim, dxFwd, dw };
}

// The first layer (RGB in), and layers of the widths a ¼-width VGG has at 32 and 8 px.
const SHAPES: [string, ConvGeom][] = [
  ['conv1_1 (3 → 16 channels, 16×16, batch 4)', geomOf(4, 16, 3, 16)],
  ['16 → 32 channels, 12×12, batch 2', geomOf(2, 12, 16, 32)],
  ['64 → 64 channels, 8×8, batch 4', geomOf(4, 8, 64, 64)],
  ['128 → 128 channels, 4×4, batch 2', geomOf(2, 4, 128, 128)],
];

describe.skipIf(!!noBf16)(`native bf16 convolutions${noBf16 ? ` (skipped: ${noBf16})` : ''}`, () => {
  it.each(SHAPES)('%s: every pass within the bf16 bound of float64, and fp32 again once reset', (_name, g) => {
    const a = addon!;
    const x = rand(g.n * g.h * g.w * g.c), w = rand(9 * g.c * g.co), dy = rand(g.n * g.oh * g.ow * g.co);
    const ref = reference(g, x, w, dy);
    // Direct convolutions throughout: the fp32 bound below is direct summation's (Winograd has its own test).
    a.setConvAlgorithm('direct');
    a.setPrecision('fp32');
    const fp32 = passes(a, g, x, w, dy);
    const before = a.info().bf16Convolutions!;
    a.setPrecision('bf16');
    let low: ReturnType<typeof passes>;
    try {
      low = passes(a, g, x, w, dy);
    } finally {
      a.setPrecision('fp32');
    }
    // Four passes in bf16: forward, the input gradient on each route (the second a forward convolution), the weight gradient.
    expect(a.info().bf16Convolutions! - before).toBe(4);
    const check: [string, Float32Array, Float32Array, [Float64Array, Float64Array, number]][] = [
      ['forward', low.y, fp32.y, ref.y!],
      ['input gradient (backward-data primitive)', low.dxPrim, fp32.dxPrim, ref.dx!],
      ['input gradient (forward over the turned kernel)', low.dxFwd, fp32.dxFwd, ref.dx!],
      ['weight gradient', low.dw, fp32.dw, ref.dw!],
    ];
    for (const [pass, got, full, [want, mag, k]] of check) {
      let worst = 0; // the largest error as a share of the bound
      let beyondF32 = 0; // outputs further from float64 than fp32 arithmetic could be: proof bf16 ran
      for (let i = 0; i < want.length; i++) {
        const err = Math.abs(got[i]! - want[i]!);
        worst = Math.max(worst, err / (beta(k) * mag[i]! + Number.MIN_VALUE));
        if (err > 2 * ((k * U32) / (1 - k * U32)) * mag[i]! + 1e-30) beyondF32++;
      }
      expect(worst, `${pass}: worst error ${worst.toFixed(3)} of the bound`).toBeLessThanOrEqual(1);
      expect(beyondF32, `${pass}: no output differs from float64 by more than fp32 could`).toBeGreaterThan(0);
      // And fp32 itself stays within its own bound (the reference is right, and so is the reset).
      for (let i = 0; i < want.length; i++) expect(Math.abs(full[i]! - want[i]!)).toBeLessThanOrEqual(((k * U32) / (1 - k * U32)) * mag[i]! * 1.0001 + 1e-30);
    }
    // Back in fp32, the very numbers of the fp32 passes before bf16 (no primitive of the other precision reused).
    const again = passes(a, g, x, w, dy);
    expect(Buffer.from(again.y.buffer).equals(Buffer.from(fp32.y.buffer))).toBe(true);
    expect(Buffer.from(again.dw.buffer).equals(Buffer.from(fp32.dw.buffer))).toBe(true);
    a.setConvAlgorithm('auto');
  });
});

const noAddon = addon ? null : (found as { reason: string }).reason;
describe.skipIf(!!noAddon)(`the native backend's precision setting${noAddon ? ` (skipped: ${noAddon})` : ''}`, () => {
  it('refuses a precision it does not have, naming what it accepts', () => {
    expect(() => addon!.setPrecision('fp16' as 'bf16')).toThrow(/precision must be fp32 or bf16 on the native backend, not fp16/);
  });
  // The OpenBLAS-only build (CI builds and tests it too), or a CPU without bf16.
  it.skipIf(!!noAddon || addon!.info().bf16)('where bf16 cannot run natively, refuses it, saying what is missing', () => {
    expect(() => addon!.setPrecision('bf16')).toThrow(addon!.info().onednn ? /needs a CPU with AVX512_BF16 or AMX; oneDNN finds/ : /needs the native addon built with oneDNN/);
  });
});
