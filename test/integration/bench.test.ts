// `vgglab bench` as a user runs it: W2 for one second on the fastest backend here prints one JSON
// object with every documented key. Figures are printed, never asserted against a target.
import { describe, expect, it } from 'vitest';
import { chooseBackend, listBackends } from '../../src/main/training/backends';
import { vgglabSync } from '../cli-process';
import { skipNote, tempDir } from '../helpers';
import { redisMissing } from '../redis';
import { need } from '../require';

const all = await listBackends();
const fastest = chooseBackend('auto', all);
const nativeInfo = all.find((b) => b.name === 'native')!;
const noNative = need('native', nativeInfo.available ? null : nativeInfo.reason);

describe('vgglab bench', () => {
  it(`runs W2 for a second in four windows on the fastest backend here (${fastest.name}) and prints valid JSON with all keys`, () => {
    const r = vgglabSync(tempDir(), ['bench', '--backend', fastest.name, '--workload', 'W2', '--seconds', '1', '--windows', '4', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json, r.stdout.slice(-2000)).not.toBeNull();
    expect(Object.keys(r.json).sort()).toEqual(['data', 'evaluation', 'workloads']);
    expect(r.json.workloads).toHaveLength(1);
    const row = r.json.workloads[0];
    expect(Object.keys(row).sort()).toEqual(
      ['backend', 'bareImagesPerSec', 'bareWindows', 'convAlgorithm', 'dataWait', 'device', 'engineEpochs', 'engineImagesPerSec', 'gflops', 'name', 'peakGflops', 'precision', 'pytorchImagesPerSec', 'pytorchPairedRatio', 'pytorchSettings', 'pytorchWindows', 'ratio'].concat(row.note ? ['note'] : []).sort(),
    );
    // Four measured engine epochs (--windows 4), and a bare-loop window taken while the run was
    // paused in each: each figure is the best of its four.
    expect(row.engineEpochs).toHaveLength(4);
    expect(row.bareWindows).toHaveLength(4);
    expect(row.engineImagesPerSec).toBe(Math.max(...row.engineEpochs));
    expect(row.bareImagesPerSec).toBe(Math.max(...row.bareWindows));
    expect(row).toMatchObject({ name: 'W2', backend: fastest.name, device: fastest.device, precision: 'fp32', convAlgorithm: 'auto' });
    expect(row.note).toBeUndefined();
    for (const k of ['engineImagesPerSec', 'bareImagesPerSec', 'ratio', 'gflops']) expect(row[k], k).toBeGreaterThan(0);
    expect(row.ratio).toBeCloseTo(row.engineImagesPerSec / row.bareImagesPerSec, 10);
    // The native backend measures its GEMM peak, the scale for gflops; other backends have none.
    if (fastest.name === 'native') expect(row.peakGflops).toBeGreaterThan(0);
    else expect(row.peakGflops).toBeNull();
    expect(row.dataWait).toBeGreaterThanOrEqual(0);
    expect(row.dataWait).toBeLessThan(1);
    // The PyTorch reference is there only where python3-torch is installed.
    expect(row.pytorchImagesPerSec === null || row.pytorchImagesPerSec > 0).toBe(true);
    // …and says how it ran (threads, the faster layout of the two timed); its windows, like the bare
    // loop's, were taken while the engine's run was paused, one in each measured epoch.
    if (row.pytorchImagesPerSec !== null) {
      expect(row.pytorchSettings).toMatch(/thread\(s\), (nchw|channels_last) \(layouts timed in turns, best window: NCHW [\d.]+, channels_last [\d.]+ img\/s\).*freed memory kept.*between the engine's epochs/);
      expect(row.pytorchWindows).toHaveLength(4);
      expect(row.pytorchImagesPerSec).toBe(Math.max(...row.pytorchWindows));
      // The paired figure: the median of the four epochs' engine ÷ PyTorch ratios (the mean of the
      // middle two), each epoch with the window taken in it.
      const ratios = row.engineEpochs.map((e: number, i: number) => e / row.pytorchWindows[i]).sort((a: number, b: number) => a - b);
      expect(row.pytorchPairedRatio).toBeCloseTo((ratios[1] + ratios[2]) / 2, 12);
    } else {
      expect(row.pytorchSettings).toBeNull();
      expect(row.pytorchWindows).toEqual([]);
      expect(row.pytorchPairedRatio).toBeNull();
    }
    expect(r.json.data).toEqual([]);
    expect(r.json.evaluation).toEqual([]);
  });

  it('refuses --windows outside 1 to 50, saying what it takes', () => {
    for (const bad of ['0', '2.5', 'many', '51']) {
      const r = vgglabSync(tempDir(), ['bench', '--workload', 'W2', '--windows', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain(`--windows ${bad}: accepted values are integers from 1 to 50`);
    }
  });

  it.skipIf(!!noNative)(`--precision fp32,bf16: a row for each, bf16 measured where the CPU has it, else saying so${skipNote(noNative)}`, () => {
    const r = vgglabSync(tempDir(), ['bench', '--backend', 'native', '--workload', 'W2', '--precision', 'fp32,bf16', '--seconds', '0.5', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const rows = r.json.workloads as { precision: string; engineImagesPerSec: number | null; bareImagesPerSec: number | null; note?: string }[];
    expect(rows.map((x) => x.precision)).toEqual(['fp32', 'bf16']);
    if (nativeInfo.precisions?.includes('bf16')) {
      expect(rows[1]!.note).toBeUndefined();
      expect(rows[1]!.engineImagesPerSec).toBeGreaterThan(0);
      expect(rows[1]!.bareImagesPerSec).toBeGreaterThan(0);
    } else {
      expect(rows[1]).toMatchObject({ engineImagesPerSec: null, bareImagesPerSec: null, note: 'native does not compute in bf16 here (it takes: fp32)' });
    }
  });

  it.skipIf(!!noNative)(`--precision fp32,bf16 --conv-algorithm direct,winograd: a row for each pair, Winograd's in bf16 saying it computes in fp32 only${skipNote(noNative)}`, () => {
    const r = vgglabSync(tempDir(), ['bench', '--backend', 'native', '--workload', 'W2', '--precision', 'fp32,bf16', '--conv-algorithm', 'direct,winograd', '--seconds', '0.5', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const rows = r.json.workloads as { precision: string; convAlgorithm: string; engineImagesPerSec: number | null; note?: string }[];
    expect(rows.map((x) => `${x.precision} ${x.convAlgorithm}`)).toEqual(['fp32 direct', 'fp32 winograd', 'bf16 direct', 'bf16 winograd']);
    // bf16 with Winograd: never (and on a CPU without bf16, bf16 at all).
    const bf16 = nativeInfo.precisions?.includes('bf16');
    expect(rows[3]).toMatchObject({ engineImagesPerSec: null, note: bf16 ? 'Winograd computes in fp32 only' : 'native does not compute in bf16 here (it takes: fp32)' });
    // Without oneDNN, or on a CPU it has no Winograd kernels for (AVX2), the row says so.
    if (nativeInfo.convAlgorithms?.includes('winograd')) expect(rows[1]!.engineImagesPerSec).toBeGreaterThan(0);
    else expect(rows[1]).toMatchObject({ engineImagesPerSec: null, note: 'native has no Winograd convolutions here (it takes: auto, direct)' });
  });

  it('--conv-algorithm refuses an algorithm it does not know, naming the accepted ones', () => {
    const r = vgglabSync(tempDir(), ['bench', '--conv-algorithm', 'auto,fft']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--conv-algorithm auto,fft: accepted: auto, direct, winograd \(comma-separated\)/);
  });

  it('--precision refuses a precision it does not know, naming the accepted ones', () => {
    const r = vgglabSync(tempDir(), ['bench', '--precision', 'fp32,fp8']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--precision fp32,fp8: accepted: fp32, bf16, fp16 \(comma-separated\)/);
  });

  it(`--workload eval: each test protocol's images × scales per second on W2's model (${fastest.name}), beside its training speed`, () => {
    const r = vgglabSync(tempDir(), ['bench', '--backend', fastest.name, '--workload', 'eval', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json.workloads).toEqual([]);
    const rows = r.json.evaluation as { protocol: string; images: number; scales: number[]; imagesScalesPerSec: number; viewsPerSec: number; seconds: number; trainImagesPerSec: number; workload: string; backend: string; route: string }[];
    expect(rows.map((x) => x.protocol)).toEqual(['center', 'dense', 'multicrop']);
    for (const row of rows) {
      expect(row).toMatchObject({ workload: 'W2', backend: fastest.name, images: 256 });
      expect(row.scales.length).toBeGreaterThan(0);
      for (const k of ['imagesScalesPerSec', 'viewsPerSec', 'seconds', 'trainImagesPerSec'] as const) expect(row[k], `${row.protocol} ${k}`).toBeGreaterThan(0);
      // The native backend runs VGG's plan in its own forward kernel; other backends through TF.js layers.
      expect(row.route).toBe(fastest.name === 'native' ? 'whole-network native kernel' : 'TF.js layers');
    }
    // A centre crop is one pass per image and scale; multi-crop 5×5 positions × 2 flips.
    const [center, , multicrop] = rows;
    expect(center!.viewsPerSec / center!.imagesScalesPerSec).toBeCloseTo(1, 6);
    expect(multicrop!.viewsPerSec / multicrop!.imagesScalesPerSec).toBeCloseTo(50, 6);
  });

  it(`--workload order: W2, then W1 and an evaluation, then W2 again, in one process (${fastest.name})`, () => {
    const r = vgglabSync(tempDir(), ['bench', '--backend', fastest.name, '--workload', 'order', '--seconds', '0.5', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.json.workloads).toEqual([]);
    expect(r.json.evaluation).toEqual([]);
    const o = r.json.order;
    expect(o).toMatchObject({ backend: fastest.name, evaluation: { protocol: 'dense' } });
    // Three measured epochs of each W2 run (the first of four warms up); each figure the best of them.
    expect(o.firstEpochs).toHaveLength(3);
    expect(o.afterEpochs).toHaveLength(3);
    expect(o.firstImagesPerSec).toBe(Math.max(...o.firstEpochs));
    expect(o.afterImagesPerSec).toBe(Math.max(...o.afterEpochs));
    for (const k of ['firstImagesPerSec', 'w1ImagesPerSec', 'afterImagesPerSec', 'ratio']) expect(o[k], k).toBeGreaterThan(0);
    expect(o.evaluation.seconds).toBeGreaterThan(0);
    expect(o.ratio).toBeCloseTo(o.afterImagesPerSec / o.firstImagesPerSec, 10);
  });

  const noRedis = need('redis', redisMissing());
  it.skipIf(!!noRedis)(`--on cluster: W2 here and through a local worker and a scratch Redis, with the point latency${skipNote(noRedis)}`, () => {
    const r = vgglabSync(tempDir(), ['bench', '--on', 'cluster', '--backend', fastest.name, '--seconds', '0.5', '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const row = r.json?.cluster;
    expect(row, r.stdout.slice(-2000)).toBeTruthy();
    expect(row).toMatchObject({ workload: 'W2', backend: fastest.name, queue: 'a scratch redis-server on this machine' });
    for (const k of ['localImagesPerSec', 'clusterImagesPerSec', 'ratio', 'localWallSeconds', 'clusterWallSeconds', 'wallRatio']) expect(row[k], k).toBeGreaterThan(0);
    // A latency may round to 0 ms on a fast machine; it is a number for every batch measured.
    expect(row.latencyP50Ms).toBeGreaterThanOrEqual(0);
    expect(row.ratio).toBeCloseTo(row.clusterImagesPerSec / row.localImagesPerSec, 10);
    expect(row.latencyP95Ms).toBeGreaterThanOrEqual(row.latencyP50Ms);
    expect(row.batches).toBeGreaterThan(0);
  });
});
