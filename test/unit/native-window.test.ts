// The data pipeline's pixel work in the native addon against its JavaScript version: the same floats,
// bit for bit (a batch must not depend on which build made it), on random windows of both kinds of store.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/main/data/rng';
import { cutWindowJs, windowKernel, type Pixels } from '../../src/main/data/pipeline/window';
import { requireNativeAddon } from '../../src/main/addon';
import { need } from '../require';

const found = requireNativeAddon();
const reason = need('native', 'addon' in found ? null : found.reason) ?? '';
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.skipIf(reason !== '')(`native window kernel${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('is the one the pipeline uses where the addon is built', () => {
    expect(windowKernel().route).toBe('addon');
  });

  it('writes the JavaScript version’s floats bit for bit: copies, resamples, mirrors, offsets, 8-bit and float stores', () => {
    const { addon } = found as Extract<typeof found, { addon: unknown }>;
    const rng = mulberry32(16);
    const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
    const kinds = { copy: 0, up: 0, down: 0 };
    for (let t = 0; t < 300; t++) {
      const size = int(1, 40);
      // Windows equal to the output (a copy), smaller (upsampled) and larger (downsampled).
      const w = [size, int(1, size), int(size, 2 * size + 3)][t % 3]!;
      kinds[w === size ? 'copy' : w < size ? 'up' : 'down'] += 1;
      const width = w + int(0, 5), height = w + int(0, 5);
      const images = int(1, 3);
      const u8 = t % 2 === 0;
      const src: Pixels = u8 ? new Uint8Array(images * width * height * 3) : new Float32Array(images * width * height * 3);
      for (let i = 0; i < src.length; i++) src[i] = u8 ? int(0, 255) : i % 53 === 0 ? -0 : (rng() - 0.5) * 300;
      const base = int(0, images - 1) * width * height * 3;
      const [oy, ox] = [int(0, height - w), int(0, width - w)];
      const flip = rng() < 0.5;
      // Offsets: none (some −0, as 0 − mean gives), or a colour shift minus a mean.
      const d = t % 4 === 0 ? [0, -0, 0] : [rng() * 10 - 120, rng() * 10 - 115, rng() - 100];
      const at = int(0, 2) * size * size * 3;
      const want = new Float32Array(at + size * size * 3 + 5).fill(7);
      const got = want.slice();
      cutWindowJs(src, base, width, oy, ox, w, size, flip, d[0]!, d[1]!, d[2]!, want, at);
      addon.cutWindow(src, base, width, oy, ox, w, size, flip, d[0]!, d[1]!, d[2]!, got, at);
      expect(bytes(got).equals(bytes(want)), `case ${t}: size ${size}, window ${w} at (${oy}, ${ox}) of ${height}×${width}, ${u8 ? '8-bit' : 'float'}, flip ${flip}`).toBe(true);
    }
    expect(Math.min(kinds.copy, kinds.up, kinds.down)).toBeGreaterThan(50);
  });

  it('refuses windows and outputs outside their arrays, and pixels of another type', () => {
    const { addon } = found as Extract<typeof found, { addon: unknown }>;
    const src = new Float32Array(10 * 10 * 3);
    const out = new Float32Array(8 * 8 * 3);
    expect(() => addon.cutWindow(src, 0, 10, 3, 0, 8, 8, false, 0, 0, 0, out, 0)).toThrow(/outside its array/);
    expect(() => addon.cutWindow(src, 0, 10, 0, 3, 8, 8, false, 0, 0, 0, out, 0)).toThrow(/outside its array/);
    expect(() => addon.cutWindow(src, 0, 10, 0, 0, 8, 8, false, 0, 0, 0, out, 1)).toThrow(/outside its array/);
    expect(() => addon.cutWindow(new Int32Array(300) as unknown as Float32Array, 0, 10, 0, 0, 8, 8, false, 0, 0, 0, out, 0)).toThrow(/Float32Array or a Uint8Array/);
    addon.cutWindow(src, 0, 10, 2, 2, 8, 8, true, 0, 0, 0, out, 0);
  });
});
