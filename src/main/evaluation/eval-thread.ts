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
import { imageAt } from '../data/geometry';
import type { Split } from '../data/types';
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
  /** The split as the last scale saw it, and its mean: the mistakes' thumbnails come from it. */
  let seen: { split: Split; mean: readonly number[] } | null = null;
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
      seen = { split: data.val, mean: m.meanRgb };
    }
    perMember.push(averagePosteriors(perScale));
    model.dispose();
  }
  const metrics = computeMetrics(averagePosteriors(perMember), labels!, msg.members[0]!.classes);
  for (const w of metrics.confidentMistakes) w.image = await thumbnail(seen!.split, w.index, seen!.mean).catch(() => undefined);
  post({ type: 'done', metrics, backend: active.name, device: active.device, seconds: (performance.now() - t0) / 1000, protocolSeconds: protocolMs / 1000, route, split });
}

/** Image i of a split as the net saw it (the mean added back): its centre square as a 64 px PNG data: URL. */
async function thumbnail(split: Split, i: number, mean: readonly number[]): Promise<string> {
  const { base, h, w } = imageAt(i, split.side, split.layout);
  const side = Math.min(h, w);
  const [oy, ox] = [(h - side) >> 1, (w - side) >> 1];
  const rgb = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side * 3; x++) rgb[y * side * 3 + x] = Math.max(0, Math.min(255, Math.round(split.images[base + ((oy + y) * w) * 3 + ox * 3 + x]! + mean[x % 3]!)));
  const { default: sharp } = await import('sharp');
  const out = await sharp(rgb, { raw: { width: side, height: side, channels: 3 } }).resize(64, 64, { kernel: side < 64 ? 'nearest' : 'lanczos3' }).png().toBuffer();
  return `data:image/png;base64,${out.toString('base64')}`;
}
