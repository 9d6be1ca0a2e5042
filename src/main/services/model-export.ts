// Saves a run's trained model in TF.js Layers format (model.json + weights.bin), which
// tf.loadLayersModel reloads anywhere TF.js runs. A-LRN needs the LocalResponseNorm class registered.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ContractError } from '../../shared/contract';
import type { RunDetail } from '../../shared/domain';
import type { Db } from '../store/db';
import { bestCheckpoint } from '../store/checkpoints';
import { readCheckpoint } from '../training/checkpoint';
import { importWeights } from '../training/sgd';
import { buildVgg } from '../vgg/model';

export async function exportModel(db: Db, run: RunDetail, outDir: string): Promise<{ modelJson: string; weightsBin: string; bytes: number }> {
  const ck = bestCheckpoint(db, run.id);
  if (!ck) throw new ContractError(`run ${run.id} has no checkpoint to export (it has not finished an epoch)`, 'conflict');
  const classes = run.summary?.data.classes ?? run.params.classes ?? 10;
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  const model = buildVgg({ config: run.config, inputSize: run.params.inputSize, width: run.params.width, classes, fcWidth: run.params.fcWidth, dropout: run.params.dropout, portable: true });
  try {
    importWeights(tf, model, readCheckpoint(ck.path, ck.sha256).weights);
    fs.mkdirSync(outDir, { recursive: true });
    const modelJson = path.join(outDir, 'model.json');
    const weightsBin = path.join(outDir, 'weights.bin');
    let bytes = 0;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer[]);
        bytes = data.byteLength;
        fs.writeFileSync(weightsBin, Buffer.from(data));
        const json = {
          format: 'layers-model',
          generatedBy: `VGG Lab, run ${run.id} (${run.config}), checkpoint at step ${ck.step}`,
          convertedBy: null,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
          userDefinedMetadata: { meanRgb: run.summary?.data.meanRgb ?? null, inputSize: run.params.inputSize, note: 'inputs: RGB 0–255 minus meanRgb; outputs: logits (apply softmax)' },
        };
        fs.writeFileSync(modelJson, JSON.stringify(json));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: bytes } };
      }),
    );
    return { modelJson, weightsBin, bytes };
  } finally {
    model.dispose();
  }
}
