// Entry of a training worker thread: one run per worker, typed messages both ways.
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { FromWorker, ToWorker } from './messages';
import { activateBackend } from './backend';
import { train } from './trainer';
import { loadDataset } from '../data';

if (!parentPort) throw new Error('worker.ts must run in a worker thread');
const port = parentPort;
const post = (msg: FromWorker) => port.postMessage(msg);
let stop = false;

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'stop') stop = true;
  else if (msg.type === 'start') void run(msg);
});

async function run(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { params } = msg;
  const emptyData = { train: 0, val: 0, classes: 0, skipped: 0 };
  try {
    const active = await activateBackend(tf, msg.backend);
    const data = loadDataset({
      spec: params.dataset,
      size: params.inputSize,
      seed: params.seed,
      classes: params.classes,
      train: params.trainSamples,
      val: params.valSamples,
    });
    const dataInfo = { train: data.train.count, val: data.val.count, classes: data.classes, skipped: data.skipped };
    post({ type: 'started', backend: active.name, device: active.device, data: dataInfo });
    const done = await train({ tf, params, data, post, stopRequested: () => stop, checkDevice: active.checkErrors });
    post(done);
  } catch (err) {
    const e = err as Error;
    post({
      type: 'done',
      status: 'failed',
      error: e.message || String(err),
      result: { epochs: 0, train: { loss: null, top1: null }, val: { loss: null, top1: null, top5: null }, lrDrops: [], imagesPerSec: null, data: emptyData },
    });
  }
}
