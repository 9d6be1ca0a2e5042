// Entry of an evaluation worker: loads each member's checkpoint, runs the protocol at each
// test scale, averages posteriors over scales (and over members: ConvNet fusion).
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { loadDataset } from '../data';
import { activateBackend } from '../training/backends';
import { readCheckpoint } from '../training/checkpoint';
import { importWeights } from '../training/sgd';
import { buildVgg } from '../vgg/model';
import { evaluationForward } from './forward';
import type { FromEvalWorker, ToEvalWorker } from './messages';
import { computeMetrics } from './metrics';
import { prepareFiles, topClasses } from './predict';
import { averagePosteriors, protocolPosteriors } from './protocols';

if (!parentPort) throw new Error('evaluation worker must run in a worker thread');
const port = parentPort;
const post = (m: FromEvalWorker) => port.postMessage(m);

port.on('message', (msg: ToEvalWorker) => {
  const failed = (err: Error) => post({ type: 'failed', error: err.message });
  if (msg.type === 'evaluate') void evaluate(msg).catch(failed);
  else if (msg.type === 'predict') void predict(msg).catch(failed);
});

/** Image files through the run's weights: each prepared as evaluation prepares a folder's images. */
async function predict(msg: Extract<ToEvalWorker, { type: 'predict' }>): Promise<void> {
  const t0 = performance.now();
  const active = await activateBackend(tf, msg.backend);
  const m = msg.member;
  const ck = readCheckpoint(m.checkpoint.file, m.checkpoint.sha256);
  const model = buildVgg({ config: m.params.config, inputSize: m.params.inputSize, width: m.params.width, classes: m.classes, fcWidth: m.params.fcWidth, dropout: 0 });
  importWeights(tf, model, ck.weights);
  const forward = evaluationForward(tf, model);
  const perScale: Float32Array[][] = [];
  let slots: Awaited<ReturnType<typeof prepareFiles>>['slots'] = [];
  let protocolMs = 0;
  for (const Q of msg.scales) {
    const prepared = await prepareFiles(msg.files, Q, m.meanRgb);
    slots = prepared.slots;
    const p0 = performance.now();
    if (prepared.split.count) perScale.push(await protocolPosteriors(tf, { ...forward, inputSize: m.params.inputSize, flip: m.flip }, prepared.split, msg.protocol));
    protocolMs += performance.now() - p0;
  }
  model.dispose();
  const posteriors = perScale.length ? averagePosteriors(perScale) : [];
  const results = slots.map((s) => ('at' in s ? { top: topClasses(posteriors[s.at]!) } : s));
  post({ type: 'predicted', results, backend: active.name, device: active.device, seconds: (performance.now() - t0) / 1000, protocolSeconds: protocolMs / 1000 });
}

async function evaluate(msg: Extract<ToEvalWorker, { type: 'evaluate' }>): Promise<void> {
  const t0 = performance.now();
  const active = await activateBackend(tf, msg.backend);
  const perMember: Float32Array[][] = [];
  let labels: Int32Array | null = null;
  let split: 'val' | 'test' = 'val';
  let done = 0;
  let total = 0;
  // Time in the protocols themselves, without loading data and weights (the bench's evaluation figure).
  let protocolMs = 0;
  let route = '';
  for (const m of msg.members) {
    const ck = readCheckpoint(m.checkpoint.file, m.checkpoint.sha256);
    const model = buildVgg({ config: m.params.config, inputSize: m.params.inputSize, width: m.params.width, classes: m.classes, fcWidth: m.params.fcWidth, dropout: 0 });
    importWeights(tf, model, ck.weights);
    const forward = evaluationForward(tf, model);
    route = forward.route;
    const perScale: Float32Array[][] = [];
    for (const Q of msg.scales) {
      const data = await loadDataset({ ...m.params, side: Q, evalWithMean: m.meanRgb });
      if (!total) total = data.val.count * msg.scales.length * msg.members.length;
      if (labels && (labels.length !== data.val.count || labels.some((l, i) => l !== data.val.labels[i]))) throw new Error(`run ${m.runId} sees different validation images; fusion needs the same data`);
      labels ??= data.val.labels;
      split = data.evalSplit;
      const p0 = performance.now();
      perScale.push(
        await protocolPosteriors(tf, { ...forward, inputSize: m.params.inputSize, flip: m.flip }, data.val, msg.protocol, () => {
          done += 1;
          if (done % 32 === 0) post({ type: 'progress', done, total });
        }),
      );
      protocolMs += performance.now() - p0;
    }
    perMember.push(averagePosteriors(perScale));
    model.dispose();
  }
  const metrics = computeMetrics(averagePosteriors(perMember), labels!, msg.members[0]!.classes);
  post({ type: 'done', metrics, backend: active.name, device: active.device, seconds: (performance.now() - t0) / 1000, protocolSeconds: protocolMs / 1000, route, split });
}
