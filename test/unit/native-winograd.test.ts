// The native backend's Winograd convolutions (addon/src/onednn-conv.inc, oneDNN 2.6's F(4×4, 3×3)
// kernels) against a float64 reference on VGG's 3×3 shapes, every pass, within the error bound that
// Winograd's transforms imply; and the choice between direct and Winograd: forced, timed, pinned.
import { describe, expect, it } from 'vitest';
import { loadNativeAddon, type ConvGeom, type NativeAddon } from '../../src/main/addon';
import { gaussian, mulberry32 } from '../../src/main/data/rng';
import { need } from '../require';

const found = loadNativeAddon();
const addon: NativeAddon | null = 'addon' in found ? found.addon : null;
const missing = need('native', addon ? null : (found as { reason: string }).reason) ?? need('onednn', addon?.info().onednn ? null : 'the native addon was built without oneDNN (libdnnl-dev)');

/*
 * The transforms of oneDNN's F(4×4, 3×3) (interpolation points 0, ±5/8, ±3/2 and ∞), as its
 * benchmark's reference implementation of the algorithm writes them (benchdnn, conv/ref_wino.cpp):
 * forward and input gradient Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over 6×6 input tiles giving 4×4 outputs;
 * weight gradient dW = A_wᵀ[(G_w dy G_wᵀ) ⊙ (Bᵀ x B)]A_w, 4×4 tiles of dy against 6×6 of x giving
 * the 3×3 kernel. The first test checks these in float64 against the direct sums, so a slip in
 * copying them shows.
 */
const BT = [
  [0.87890625, 0, -2.640625, 0, 1, 0],
  [0, -1.40625, -2.25, 0.625, 1, 0],
  [0, 1.40625, -2.25, -0.625, 1, 0],
  [0, -0.5859375, -0.390625, 1.5, 1, 0],
  [0, 0.5859375, -0.390625, -1.5, 1, 0],
  [0, 0.87890625, 0, -2.640625, 0, 1],
];
const G = [
  [1.13777777777778, 0, 0],
  [-0.688403361344538, -0.430252100840336, -0.26890756302521],
  [-0.688403361344538, 0.430252100840336, -0.26890756302521],
  [0.119514472455649, 0.179271708683473, 0.26890756302521],
  [0.119514472455649, -0.179271708683473, 0.26890756302521],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 1, 1, 0],
  [0, 0.625, -0.625, 1.5, -1.5, 0],
  [0, 0.390625, 0.390625, 2.25, 2.25, 0],
  [0, 0.244140625, -0.244140625, 3.375, -3.375, 1],
];
const GW = [
  [1.13777777777778, 0, 0, 0],
  [-0.688403361344538, -0.430252100840336, -0.26890756302521, -0.168067226890756],
  [-0.688403361344538, 0.430252100840336, -0.26890756302521, 0.168067226890756],
  [0.119514472455649, 0.179271708683473, 0.26890756302521, 0.403361344537815],
  [0.119514472455649, -0.179271708683473, 0.26890756302521, -0.403361344537815],
  [0, 0, 0, 1],
];
const AWT = [
  [1, 1, 1, 1, 1, 0],
  [0, 0.625, -0.625, 1.5, -1.5, 0],
  [0, 0.390625, 0.390625, 2.25, 2.25, 1],
];
const abs = (m: number[][]) => m.map((r) => r.map(Math.abs));
/** L·X·Rᵀ for small dense matrices (so Bᵀ d B is sandwich(Bᵀ, d, Bᵀ)). */
function sandwich(l: number[][], x: number[][], r: number[][]): number[][] {
  const lx = l.map((row) => x[0]!.map((_, j) => row.reduce((s, v, k) => s + v * x[k]![j]!, 0)));
  return lx.map((row) => r.map((rr) => row.reduce((s, v, k) => s + v * rr[k]!, 0)));
}

const U32 = 2 ** -24;
const gamma = (n: number) => (n * U32) / (1 - n * U32);
/**
 * The rounding bound. Each stage (the two 1-D passes of each transform, the elementwise product,
 * the sum over K channels or tiles, the two passes of the output transform) is a sum of products
 * with no two paths to one term (checked on the transforms above: each entry reaches an output
 * once), so its error is at most γ of its depth times the same computation in absolute values
 * (Higham, Accuracy and Stability, §3.5), and the stages chain: |Ŷ − Y| ≤ γ_{K+D}·|Aᵀ|[Σ(|G||g||Gᵀ|)
 * ⊙ (|Bᵀ||d||B|)]|A|. D = 64 covers the depth of the six transform passes (at most three roundings
 * each, plus two for constants such as 0.6884… that f32 cannot hold exactly) and the product, twice
 * over: the bound holds by construction, in any order of summation, with or without FMA.
 */
const DEPTH = 64;

const geomOf = (n: number, hw: number, c: number, co: number): ConvGeom => ({ n, h: hw, w: hw, c, kh: 3, kw: 3, co, oh: hw, ow: hw, sh: 1, sw: 1, pt: 1, pl: 1 });
const rng = mulberry32(17);
const rand = (len: number) => Float32Array.from({ length: len }, () => gaussian(rng));

/** A 6×6 tile of an NHWC map's channel c at rows/cols from (y0, x0), zero outside the map; |·| where asked. */
function tile(a: Float32Array, g: { h: number; w: number; c: number }, n: number, c: number, y0: number, x0: number, size: number, absolute = false): number[][] {
  return Array.from({ length: size }, (_, i) =>
    Array.from({ length: size }, (_, j) => {
      const y = y0 + i, x = x0 + j;
      if (y < 0 || y >= g.h || x < 0 || x >= g.w) return 0;
      const v = a[((n * g.h + y) * g.w + x) * g.c + c]!;
      return absolute ? Math.abs(v) : v;
    }),
  );
}
/** A 3×3 kernel w[o][c] (HWIO), turned 180° where asked; |·| where asked. */
const kernel = (w: Float32Array, g: ConvGeom, c: number, o: number, turned: boolean, absolute: boolean) =>
  Array.from({ length: 3 }, (_, i) => Array.from({ length: 3 }, (_, j) => {
    const [y, x] = turned ? [2 - i, 2 - j] : [i, j];
    const v = w[(y * 3 + x) * g.c * g.co + c * g.co + o]!;
    return absolute ? Math.abs(v) : v;
  }));

/**
 * F(4×4, 3×3) of `src` (channels cin) with kernel(ci, co) into an NHWC output of channels cout, in
 * float64: the value (exact transforms) and the bound's magnitude (the same in absolute values);
 * `kernels` gives the kernel for (input channel, output channel) as the transform reads it.
 */
function winogradForward(src: Float32Array, sg: { n: number; h: number; w: number; c: number }, cout: number, kernels: (ci: number, co: number, absolute: boolean) => number[][][]) {
  const out = new Float64Array(sg.n * sg.h * sg.w * cout), mag = new Float64Array(out.length);
  const [aBT, aG, aAT] = [abs(BT), abs(G), abs(AT)];
  for (let n = 0; n < sg.n; n++)
    for (let ty = 0; ty < Math.ceil(sg.h / 4); ty++)
      for (let tx = 0; tx < Math.ceil(sg.w / 4); tx++) {
        const V: number[][][] = [], aV: number[][][] = [];
        for (let c = 0; c < sg.c; c++) {
          V.push(sandwich(BT, tile(src, sg, n, c, 4 * ty - 1, 4 * tx - 1, 6), BT));
          aV.push(sandwich(aBT, tile(src, sg, n, c, 4 * ty - 1, 4 * tx - 1, 6, true), aBT));
        }
        for (let o = 0; o < cout; o++) {
          const M = zeros(6), aMs = kernels(0, o, true).map(() => zeros(6));
          for (let c = 0; c < sg.c; c++) {
            const U = sandwich(G, kernels(c, o, false)[0]!, G);
            for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) M[i]![j]! += U[i]![j]! * V[c]![i]![j]!;
            kernels(c, o, true).forEach((k, v) => {
              const aU = sandwich(aG, k, aG);
              for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) aMs[v]![i]![j]! += aU[i]![j]! * aV[c]![i]![j]!;
            });
          }
          const Y = sandwich(AT, M, AT);
          const aYs = aMs.map((aM) => sandwich(aAT, aM, aAT));
          for (let i = 0; i < 4; i++)
            for (let j = 0; j < 4; j++) {
              const y = 4 * ty + i, x = 4 * tx + j;
              if (y >= sg.h || x >= sg.w) continue;
              const at = ((n * sg.h + y) * sg.w + x) * cout + o;
              out[at] = Y[i]![j]!;
              mag[at] = Math.max(...aYs.map((a) => a[i]![j]!));
            }
        }
      }
  return { out, mag };
}
const zeros = (k: number) => Array.from({ length: k }, () => new Array<number>(k).fill(0));

/** F(3×3, 4×4) weight gradient in float64: the value and the bound's magnitude, HWIO. */
function winogradWeights(x: Float32Array, dy: Float32Array, g: ConvGeom) {
  const dw = new Float64Array(9 * g.c * g.co), mag = new Float64Array(dw.length);
  const [aBT, aGW, aAWT] = [abs(BT), abs(GW), abs(AWT)];
  const dyg = { h: g.oh, w: g.ow, c: g.co };
  for (let c = 0; c < g.c; c++)
    for (let o = 0; o < g.co; o++) {
      const M = zeros(6), aM = zeros(6);
      for (let n = 0; n < g.n; n++)
        for (let ty = 0; ty < Math.ceil(g.oh / 4); ty++)
          for (let tx = 0; tx < Math.ceil(g.ow / 4); tx++) {
            const xt = tile(x, g, n, c, 4 * ty - 1, 4 * tx - 1, 6), axt = tile(x, g, n, c, 4 * ty - 1, 4 * tx - 1, 6, true);
            const dt = tile(dy, dyg, n, o, 4 * ty, 4 * tx, 4), adt = tile(dy, dyg, n, o, 4 * ty, 4 * tx, 4, true);
            const V = sandwich(BT, xt, BT), aV = sandwich(aBT, axt, aBT);
            const U = sandwich(GW, dt, GW), aU = sandwich(aGW, adt, aGW);
            for (let i = 0; i < 6; i++)
              for (let j = 0; j < 6; j++) {
                M[i]![j]! += U[i]![j]! * V[i]![j]!;
                aM[i]![j]! += aU[i]![j]! * aV[i]![j]!;
              }
          }
      const W = sandwich(AWT, M, AWT), aW = sandwich(aAWT, aM, aAWT);
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          dw[(i * 3 + j) * g.c * g.co + c * g.co + o] = W[i]![j]!;
          mag[(i * 3 + j) * g.c * g.co + c * g.co + o] = aW[i]![j]!;
        }
    }
  return { dw, mag };
}

/** The direct sums in float64 (the exact values to rounding of float64). */
function direct(g: ConvGeom, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const y = new Float64Array(g.n * g.oh * g.ow * g.co), dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  for (let n = 0; n < g.n; n++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = oy + ky - 1, ix = ox + kx - 1;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
            const xb = ((n * g.h + iy) * g.w + ix) * g.c, wb = (ky * 3 + kx) * g.c * g.co, yb = ((n * g.oh + oy) * g.ow + ox) * g.co;
            for (let c = 0; c < g.c; c++)
              for (let o = 0; o < g.co; o++) {
                y[yb + o]! += x[xb + c]! * w[wb + c * g.co + o]!;
                dx[xb + c]! += dy[yb + o]! * w[wb + c * g.co + o]!;
                dw[wb + c * g.co + o]! += x[xb + c]! * dy[yb + o]!;
              }
          }
  return { y, dx, dw };
}

/** The three passes in float64 by Winograd's algebra, each with the magnitude its bound scales. */
function winograd(g: ConvGeom, x: Float32Array, w: Float32Array, dy: Float32Array) {
  // The forward pass reads the kernel as it is; the input gradient is F(4×4, 3×3) of dy over the
  // kernel turned 180° with its channels swapped. Which way round oneDNN transforms that kernel is
  // its own affair, so the bound takes the larger of both orientations.
  const fwd = winogradForward(x, g, g.co, (c, o, absolute) => [kernel(w, g, c, o, false, absolute)]);
  const bwd = winogradForward(dy, { n: g.n, h: g.oh, w: g.ow, c: g.co }, g.c, (o, c, absolute) => (absolute ? [kernel(w, g, c, o, true, true), kernel(w, g, c, o, false, true)] : [kernel(w, g, c, o, true, false)]));
  const wts = winogradWeights(x, dy, g);
  return { y: [fwd.out, fwd.mag, g.c], dx: [bwd.out, bwd.mag, g.co], dw: [wts.dw, wts.mag, g.n * Math.ceil(g.oh / 4) * Math.ceil(g.ow / 4)] } as Record<string, [Float64Array, Float64Array, number]>;
}

// The first layer (RGB in), VGG widths at ¼ width, and a map that is not a whole number of 4×4 tiles.
const SHAPES: [string, ConvGeom][] = [
  ['conv1_1 (3 → 16 channels, 16×16, batch 2)', geomOf(2, 16, 3, 16)],
  ['16 → 32 channels, 12×12, batch 2', geomOf(2, 12, 16, 32)],
  ['32 → 32 channels, 14×14 (partial tiles), batch 2', geomOf(2, 14, 32, 32)],
  ['64 → 64 channels, 8×8, batch 2', geomOf(2, 8, 64, 64)],
  ['128 → 128 channels, 4×4, batch 2', geomOf(2, 4, 128, 128)],
];

describe.skipIf(!!missing)(`native Winograd convolutions${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('the transforms as written compute the convolution exactly (in float64)', () => {
    const g = geomOf(1, 10, 3, 4);
    const x = rand(g.n * g.h * g.w * g.c), w = rand(9 * g.c * g.co), dy = rand(g.n * g.oh * g.ow * g.co);
    const want = direct(g, x, w, dy), got = winograd(g, x, w, dy);
    const worst = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    // Exact to the transform constants' 15 printed digits.
    expect(worst(got.y![0], want.y)).toBeLessThan(1e-11);
    expect(worst(got.dx![0], want.dx)).toBeLessThan(1e-11);
    expect(worst(got.dw![0], want.dw)).toBeLessThan(1e-11);
  });

  it('direct runs no Winograd, and an unknown algorithm is refused, naming the accepted ones', () => {
    const a = addon!;
    const g = geomOf(1, 8, 16, 16);
    const before = a.info().winogradConvolutions!;
    a.setConvAlgorithm('direct');
    try {
      a.conv2d(rand(64 * 16), rand(9 * 256), new Float32Array(64 * 16), g, null, false);
      expect(a.convChoices()).toEqual({ 'fwd:1,8,8,16,3,3,16,8,8,1,1,1,1:0|direct': 'direct' });
    } finally {
      a.setConvAlgorithm('auto');
    }
    expect(a.info().winogradConvolutions!).toBe(before);
    expect(() => a.setConvAlgorithm('fft' as 'auto')).toThrow(/conv algorithm must be auto, direct or winograd, not fft/);
  });
});

// oneDNN 2.6 has Winograd kernels for AVX-512 CPUs only (on an AVX2 one, e.g. AMD Zen 3, it refuses them).
const noKernels = missing ?? (addon!.info().winograd ? null : `oneDNN ${addon!.info().onednn} has no Winograd kernels for this CPU (they need AVX-512)`);

describe.skipIf(!!noKernels)(`oneDNN's Winograd kernels${noKernels ? ` (skipped: ${noKernels})` : ''}`, () => {
  it.each(SHAPES)('%s: every pass by Winograd, within its bound of float64', (_name, g) => {
    const a = addon!;
    const x = rand(g.n * g.h * g.w * g.c), w = rand(9 * g.c * g.co), dy = rand(g.n * g.oh * g.ow * g.co);
    const want = direct(g, x, w, dy), bound = winograd(g, x, w, dy);
    const y = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
    const before = a.info().winogradConvolutions!;
    a.setConvAlgorithm('winograd');
    try {
      a.conv2d(x, w, y, g, null, false);
      a.conv2dBackpropInput(dy, w, dx, g);
      a.conv2dBackpropFilter(x, dy, dw, g);
    } finally {
      a.setConvAlgorithm('auto');
    }
    // All three passes ran on oneDNN's Winograd kernels (none fell back to direct).
    expect(a.info().winogradConvolutions! - before).toBe(3);
    const check: [string, Float32Array, Float64Array, [Float64Array, Float64Array, number]][] = [
      ['forward', y, want.y, bound.y!],
      ['input gradient', dx, want.dx, bound.dx!],
      ['weight gradient', dw, want.dw, bound.dw!],
    ];
    for (const [pass, got, exact, [, mag, k]] of check) {
      let worst = 0; // the largest error as a share of the bound
      for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(got[i]! - exact[i]!) / (gamma(k + DEPTH) * mag[i]! + Number.MIN_VALUE));
      expect(worst, `${pass}: worst error ${worst.toFixed(3)} of the bound`).toBeLessThanOrEqual(1);
      console.log(`${_name} ${pass}: worst error ${worst.toFixed(4)} of the bound`);
    }
  });

  it('auto times direct and Winograd once per shape and pass, keeps one, and computes the same way after', () => {
    const a = addon!;
    const g = geomOf(2, 8, 32, 32);
    const x = rand(g.n * g.h * g.w * g.c), w = rand(9 * g.c * g.co), y1 = new Float32Array(g.n * g.oh * g.ow * g.co), y2 = new Float32Array(y1.length);
    a.setConvAlgorithm('auto');
    a.conv2d(x, w, y1, g, null, false);
    const choices = a.convChoices();
    expect(Object.keys(choices)).toEqual(['fwd:2,8,8,32,3,3,32,8,8,1,1,1,1:0|direct,winograd']);
    const way = Object.values(choices)[0]!;
    expect(['direct', 'winograd']).toContain(way);
    // Later calls take the kept way, untimed: one pass each, and bit for bit the same output.
    const before = a.info().winogradConvolutions!;
    a.conv2d(x, w, y2, g, null, false);
    expect(a.info().winogradConvolutions! - before).toBe(way === 'winograd' ? 1 : 0);
    expect(Buffer.from(y2.buffer).equals(Buffer.from(y1.buffer))).toBe(true);
  });

  it('a pinned choice is taken as it is, untimed (as a resumed run pins its first run’s choices)', () => {
    const a = addon!;
    const g = geomOf(2, 8, 48, 48);
    const key = 'fwd:2,8,8,48,3,3,48,8,8,1,1,1,1:0|direct,winograd';
    const x = rand(g.n * g.h * g.w * g.c), w = rand(9 * g.c * g.co), y = new Float32Array(g.n * g.oh * g.ow * g.co);
    for (const way of ['winograd', 'direct']) {
      a.setConvAlgorithm('auto');
      a.pinConvChoices({ [key]: way });
      const before = a.info().winogradConvolutions!;
      a.conv2d(x, w, y, g, null, false);
      // Timed, it would have run Winograd three times (a warm-up and two timings) before its answer.
      expect(a.info().winogradConvolutions! - before).toBe(way === 'winograd' ? 1 : 0);
      expect(a.convChoices()).toEqual({ [key]: way });
    }
  });

});

// A CPU without them: 'winograd' is refused, saying why, and 'auto' offers direct alone.
const hasKernels = missing ? missing : addon!.info().winograd ? 'this CPU has them' : null;
describe.skipIf(!!hasKernels)(`a CPU oneDNN has no Winograd kernels for${hasKernels ? ` (skipped: ${hasKernels})` : ''}`, () => {
  it('refuses Winograd, naming what it needs and what it found, and auto computes direct', () => {
    const a = addon!;
    expect(() => a.setConvAlgorithm('winograd')).toThrow(/^Winograd needs a CPU with AVX-512, where oneDNN has its Winograd kernels; oneDNN finds \w+ on this one: use --conv-algorithm auto or direct$/);
    const g = geomOf(2, 8, 32, 32);
    a.setConvAlgorithm('auto');
    a.conv2d(rand(g.n * g.h * g.w * g.c), rand(9 * g.c * g.co), new Float32Array(g.n * g.oh * g.ow * g.co), g, null, false);
    expect(a.convChoices()).toEqual({ 'fwd:2,8,8,32,3,3,32,8,8,1,1,1,1:0|direct': 'direct' });
  });
});

const noAddon = addon ? null : (found as { reason: string }).reason;
// The OpenBLAS-only build (CI builds and tests it too): one algorithm, im2col and GEMM.
describe.skipIf(!!noAddon || !!addon?.info().onednn)(`without oneDNN${noAddon ? ` (skipped: ${noAddon})` : addon?.info().onednn ? ' (skipped: this build has oneDNN)' : ''}`, () => {
  it('refuses Winograd, saying what it needs, and takes auto and direct', () => {
    expect(() => addon!.setConvAlgorithm('winograd')).toThrow(/Winograd needs the native addon built with oneDNN/);
    addon!.setConvAlgorithm('direct');
    addon!.setConvAlgorithm('auto');
    expect(addon!.convChoices()).toEqual({});
  });
});
