// Images as the paper treats them, through real `vgglab` processes: a class cue that sits only near
// one end of 2:1 images is learned (training crops come from the whole rescaled image, not its
// central square) and found by dense evaluation on the whole image.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listBackends } from '../../src/main/training/backends';
import { vgglabSync } from '../cli-process';
import { makeEndCueFolder } from '../fixtures/datasets';
import { skipNote, tempDir } from '../helpers';
import { need } from '../require';

const native = (await listBackends()).find((b) => b.name === 'native')!;
const nativeMissing = need('native', native.available ? null : `the native backend is unavailable: ${native.reason}`);

describe('wide images', () => {
  it.skipIf(!!nativeMissing)(`a cue only near one end of 2:1 images is learnable, and dense evaluation finds it${skipNote(nativeMissing)}`, async () => {
    const root = path.join(tempDir(), 'wide');
    // 64×32 images: a red or green band 14 px wide at the left or the right end, grey noise
    // elsewhere. Cutting the central 32×32 square first (the old pipeline) leaves no cue at all, so
    // this cannot be learned that way: dense error would stay at chance, 0.5. With crops drawn from
    // the whole image, 10 training seeds × 2 OpenBLAS kernels (SkylakeX, Haswell), and 6 seeds with
    // oneDNN convolutions, all reached a dense test error of 0 after these 12 epochs; the bar of 0.25
    // leaves half the distance to chance.
    await makeEndCueFolder(root, { train: 192, test: 24 });
    const dataDir = tempDir();
    const train = vgglabSync(dataDir, ['train', '--config', 'A', '--dataset', `folder:${root}`, '--width', '0.125', '--input-size', '32', '--scale', '32', '--epochs', '12', '--batch', '16', '--lr', '1e-3', '--schedule', 'none', '--backend', 'native', '--seed', '1', '--json']);
    expect(train.code, train.stderr).toBe(0);
    expect(train.json.status).toBe('completed');
    const dense = vgglabSync(dataDir, ['eval', String(train.json.runId), '--protocol', 'dense', '--scales', '32', '--json']);
    expect(dense.code, dense.stderr).toBe(0);
    expect(dense.json.split).toBe('test');
    expect(dense.json.count).toBe(48);
    expect(dense.json.top1Error).toBeLessThan(0.25);
  }, 240_000);
});
