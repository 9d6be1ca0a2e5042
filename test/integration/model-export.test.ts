// The trained model in TF.js Layers format reloads with tf.loadLayersModel to the same predictions.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createApp } from '../../src/main/app';
import { bestCheckpoint } from '../../src/main/store/checkpoints';
import { readCheckpoint } from '../../src/main/training/checkpoint';
import { importWeights } from '../../src/main/training/sgd';
import { buildVgg } from '../../src/main/vgg/model';
import { repoRoot, tempDir, startRun } from '../helpers';

describe('model export', () => {
  it('vgglab export --format tfjs writes model.json + weights.bin that reload to the same predictions', async () => {
    const dataDir = tempDir();
    const app = createApp({ dataDir });
    const { id } = await startRun(app, { config: 'B', inputSize: 32, width: 0.0625, batch: 16, trainSamples: 64, valSamples: 16, epochs: 1 });
    expect(await app.runs.waitFor(id)).toBe('completed');
    const run = app.runs.get(id);
    const ck = bestCheckpoint(app.db, id)!;
    await app.close();

    const out = path.join(tempDir(), 'model');
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgglab.mjs'), '--data-dir', dataDir, 'export', String(id), '--format', 'tfjs', '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    const weights = fs.readFileSync(path.join(out, 'weights.bin'));

    await tf.setBackend('cpu');
    const loaded = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }),
    );
    const original = buildVgg({ config: 'B', inputSize: 32, width: 0.0625, classes: 10 });
    importWeights(tf, original, readCheckpoint(ck.path, ck.sha256).weights);
    const x = tf.randomNormal([4, 32, 32, 3], 0, 50, 'float32', 9);
    const [a, b] = await Promise.all([(original.predict(x) as tf.Tensor).data(), (loaded.predict(x) as tf.Tensor).data()]);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(loaded.layers.map((l) => l.name)).toContain('block1_conv2');
    expect(run.config).toBe('B');
  });

  it('refuses tfjs export of several runs, naming the rule', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgglab.mjs'), '--data-dir', tempDir(), 'export', '1', '2', '--format', 'tfjs', '--out', tempDir()], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/name exactly one run/);
  });
});
