// A data-pipeline worker: decodes image files into the shared store, and builds augmented batches
// from it. Runs off the training thread; one job at a time, answered in order.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { buildBatch, type AugmentOptions } from './augment';
import { imageAt } from '../geometry';
import { decodeImage } from './decode';
import type { FromPipelineWorker, PixelSums, ToPipelineWorker } from './messages';
import { threadPriority, yieldToBackend } from './priority';
import { StoreAccess } from './store';
import { windowKernel } from './window';

if (!parentPort) throw new Error('pipeline worker must run in a worker thread');
const port = parentPort;
const post = (msg: FromPipelineWorker) => port.postMessage(msg);
// One libvips thread per worker: the pool, not libvips, spreads work over the cores.
sharp.concurrency(1);
sharp.cache(false);

let access: StoreAccess | null = null;
let augment: AugmentOptions | null = null;
/** The coordinator's shared batch arrays, by index. */
const slots: Float32Array[] = [];

async function decode(items: number[]): Promise<Extract<FromPipelineWorker, { type: 'decoded' }>> {
  const t0 = performance.now();
  const store = access!.store;
  if (store.kind !== 'files') throw new Error('decode needs an image-folder store');
  const sums = emptySums();
  const broken: number[] = [];
  // One decode at a time, the next one started before this thread stores and sums the last.
  const start = (k: number) => {
    if (k >= items.length) return null;
    const { h, w } = imageAt(items[k]!, store.side, store.layout);
    return decodeImage(store.files[items[k]!]!, w, h).catch(() => null);
  };
  let next = start(0);
  for (let k = 0; k < items.length; k++) {
    const px = await next;
    next = start(k + 1);
    if (!px) {
      broken.push(items[k]!);
      continue;
    }
    access!.write(items[k]!, px);
    addSums(sums, px);
  }
  return { type: 'decoded', id: 0, broken, sums, ms: performance.now() - t0 };
}

export function emptySums(): PixelSums {
  return { pixels: 0, sum: [0, 0, 0], covPixels: 0, covSum: [0, 0, 0], cross: [0, 0, 0, 0, 0, 0, 0, 0, 0] };
}

/** Adds one image's pixels to the running sums: all of them for the mean, every 4th for the covariance. */
function addSums(sums: PixelSums, px: Uint8Array): void {
  let r = 0, g = 0, b = 0;
  for (let p = 0; p < px.length; p += 3) {
    r += px[p]!;
    g += px[p + 1]!;
    b += px[p + 2]!;
  }
  let cr = 0, cg = 0, cb = 0, rr = 0, rg = 0, rb = 0, gg = 0, gb = 0, bb = 0;
  for (let p = 0; p < px.length; p += 12) {
    const R = px[p]!, G = px[p + 1]!, B = px[p + 2]!;
    cr += R; cg += G; cb += B;
    rr += R * R; rg += R * G; rb += R * B; gg += G * G; gb += G * B; bb += B * B;
  }
  sums.pixels += px.length / 3;
  sums.sum[0] += r;
  sums.sum[1] += g;
  sums.sum[2] += b;
  sums.covPixels += Math.ceil(px.length / 12);
  sums.covSum[0] += cr;
  sums.covSum[1] += cg;
  sums.covSum[2] += cb;
  const c = sums.cross;
  c[0]! += rr; c[1]! += rg; c[2]! += rb; c[3]! += rg; c[4]! += gg; c[5]! += gb; c[6]! += rb; c[7]! += gb; c[8]! += bb;
}

function batch(epoch: number, first: number, items: Int32Array, slot: number): number {
  const t0 = performance.now();
  const out = slots[slot];
  if (!out) throw new Error(`no batch slot ${slot}`);
  buildBatch((i) => access!.read(i), items, augment!, { epoch, first }, out);
  return performance.now() - t0;
}

port.on('message', (msg: ToPipelineWorker) => {
  if (msg.type === 'init') {
    access = new StoreAccess(msg.store);
    augment = msg.augment;
    post({ type: 'ready', id: 0, crops: windowKernel().route, thread: msg.yieldToBackend ? yieldToBackend() : threadPriority() });
  } else if (msg.type === 'close') {
    access?.close();
    port.close();
  } else if (msg.type === 'decode') {
    decode(msg.items).then(
      (r) => post({ ...r, id: msg.id }),
      (err: Error) => post({ type: 'error', id: msg.id, message: err.message }),
    );
  } else if (msg.type === 'slot') {
    slots[msg.index] = msg.array;
  } else {
    try {
      post({ type: 'batch', id: msg.id, ms: batch(msg.epoch, msg.first, msg.items, msg.slot) });
    } catch (err) {
      post({ type: 'error', id: msg.id, message: (err as Error).message });
    }
  }
});
