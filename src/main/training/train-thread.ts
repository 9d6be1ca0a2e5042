// Entry of a training worker thread: one run at a time (a worker may be kept for the next run of the
// same backend), typed messages both ways.
import os from 'node:os';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { FromWorker, ToWorker } from './messages';
import { activateBackend, onHardwareGpu } from './backends';
import { readCheckpoint, writeCheckpoint } from './checkpoint';
import { train } from './trainer';
import { defaultPipelineWorkers, openTrainingSet, type TrainingSet } from '../data/pipeline/open';

if (!parentPort) throw new Error('train-thread.ts must run in a worker thread');
const port = parentPort;
const post = (msg: FromWorker) => port.postMessage(msg);
let stop = false;
let paused = false;
let wake: (() => void) | null = null;

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'stop') stop = true;
  else if (msg.type === 'pause') paused = true;
  else if (msg.type === 'unpause') paused = false;
  else if (msg.type === 'start') void run(msg);
  if (msg.type !== 'start') wake?.();
});

/** Holds the trainer between steps while paused; a stop ends the pause. */
async function waitWhilePaused(): Promise<boolean> {
  if (!paused || stop) return false;
  while (paused && !stop) await new Promise<void>((r) => (wake = r));
  wake = null;
  return true;
}

async function run(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  stop = false;
  paused = false;
  const { params } = msg;
  const emptyData = { train: 0, val: 0, classes: 0, skipped: 0 };
  let set: TrainingSet | null = null;
  let done: Extract<FromWorker, { type: 'done' }>;
  try {
    // Read checkpoints before anything slow, so a damaged one fails the run at once.
    const resumeFrom = msg.resume ? readCheckpoint(msg.resume.file, msg.resume.sha256) : undefined;
    const warm = msg.warmStart ? readCheckpoint(msg.warmStart.file, msg.warmStart.sha256) : undefined;
    const active = await activateBackend(tf, msg.backend);
    const scales = msg.scales;
    set = await openTrainingSet(
      { ...params, side: scales.max },
      {
        workers: params.dataWorkers ?? defaultPipelineWorkers(!onHardwareGpu(active)),
        yieldToBackend: !onHardwareGpu(active),
        decodeWorkers: os.availableParallelism(),
        cacheBytes: params.cacheMb * 2 ** 20,
        cacheDir: path.join(msg.runDir, 'cache'),
        seed: params.seed,
        size: params.inputSize,
        jitter: scales.min < scales.max ? scales : null,
        log: (message) => post({ type: 'log', level: 'note', message }),
      },
    );
    const { data, feed } = set;
    if (data.skipped)
      post({ type: 'log', level: 'warn', message: `skipped ${data.skipped} unreadable image file(s): ${data.skippedFiles.map((f) => path.basename(f)).join(', ')}${data.skipped > data.skippedFiles.length ? ', …' : ''}` });
    post({ type: 'started', backend: active.name, device: active.device, data: { train: data.train.count, val: data.val.count, classes: data.classes, skipped: data.skipped } });
    done = await train({
      tf,
      params,
      scales,
      data,
      feed,
      post,
      stopRequested: () => stop,
      pauseRequested: () => paused,
      waitWhilePaused,
      checkDevice: active.checkErrors,
      maxBufferBytes: Number.isFinite(active.maxBufferBytes) ? active.maxBufferBytes : undefined,
      resumeFrom,
      warmStart: warm && msg.warmStart ? { runId: msg.warmStart.runId, layers: msg.warmStart.layers, weights: warm.weights } : undefined,
      saveCheckpoint: (kind, ck) => {
        const completed = ck.state.epoch - 1;
        const file = path.join(msg.runDir, 'checkpoints', `step-${String(ck.state.step).padStart(9, '0')}-${kind}.ckpt`);
        const sha256 = writeCheckpoint(file, { ...ck, runId: msg.runId });
        post({ type: 'checkpoint', kind, epoch: completed, step: ck.state.step, file, sha256, valTop1: ck.state.bestValTop1 });
      },
    });
  } catch (err) {
    const e = err as Error;
    const oom = /out of memory|allocation failed|Array buffer allocation|Invalid typed array length|RangeError/i.test(e.message);
    done = {
      type: 'done',
      status: 'failed',
      error: oom ? `out of memory: ${e.message}; try a smaller batch size or width multiplier` : e.message || String(err),
      result: { epochs: 0, train: { loss: null, top1: null }, val: { loss: null, top1: null, top5: null }, lrDrops: [], imagesPerSec: null, data: emptyData },
    };
  }
  // The pipeline's threads and disk cache go before the run is reported done (the worker may be ended then).
  await set?.close().catch(() => undefined);
  post(done);
}
