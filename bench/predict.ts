// "Try the model" speed (issue: classify 1,000 32-px images at no less than the evaluation's
// images/s). Writes a folder dataset whose test split is 1,000 32-px PNG files, trains a small run on
// it, then times `predict` on those files and the run's centre-crop evaluation (the same files), at
// one scale, on the same backend. Prints figures; asserts nothing. Run: npm run bench:predict
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createApp } from '../src/main/app';
import { TrainParams } from '../src/shared/domain';

const N = Number(process.env.IMAGES ?? 1000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-predictbench-'));
const app = createApp({ dataDir });
try {
  // A folder dataset whose test split is the 1,000 files: evaluation then decodes the same files
  // predict does, and the two compare like for like.
  const root = path.join(dataDir, 'images');
  const write = async (split: string, n: number, offset: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const cls = `c${i % 2}`;
      fs.mkdirSync(path.join(root, split, cls), { recursive: true });
      const px = Buffer.alloc(32 * 32 * 3);
      for (let j = 0; j < px.length; j++) px[j] = ((i + offset) * 31 + j * 7 + (i % 2) * 90) % 251;
      const file = path.join(root, split, cls, `img${i}.png`);
      await sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(file);
      out.push(file);
    }
    return out;
  };
  await write('train', 128, 0);
  await write('val', 32, 1000);
  const files = await write('test', N, 2000);
  const { id } = await app.runs.start(TrainParams.parse({ config: 'A', dataset: `folder:${root}`, inputSize: 32, width: 0.125, epochs: 1, batch: 32, schedule: 'none', seed: 1, scale: '32' }));
  if ((await app.runs.waitFor(id)) !== 'completed') throw new Error(`the bench's run ended ${app.runs.get(id).status}: ${app.runs.get(id).error}`);
  for (let round = 1; round <= 2; round++) {
    const p = await app.evaluations.predict(id, files, 'center', [32]);
    const e = await app.evaluations.evaluate([id], 'center', [32]);
    const ok = p.results.filter((r) => 'top' in r).length;
    console.log(
      `round ${round} (${p.backend}): predict ${ok} files: ${(ok / p.seconds).toFixed(0)} images/s in all (decoding the files and loading the weights included), ` +
        `${(ok / p.protocolSeconds).toFixed(0)} images/s in the protocol | centre-crop evaluation of ${e.details.count} images: ` +
        `${(e.details.count / e.details.seconds!).toFixed(0)} images/s in all, ${(e.details.count / e.details.protocolSeconds!).toFixed(0)} images/s in the protocol`,
    );
  }
} finally {
  await app.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
