// Runs the bare loop in its own worker thread, as the engine's training runs in one: the two
// figures then differ only by what the engine adds (data, messages, recording). The loop stays
// open between windows, so that the bench can measure it between the engine's epochs.
import { parentPort } from 'node:worker_threads';
import type { BackendInfo } from '../../shared/domain';
import { openBareLoop, type BareLoop } from './bare';
import type { Workload } from './workloads';

export type ToBare = { type: 'open'; w: Workload; backend: BackendInfo; warmSeconds: number } | { type: 'window'; seconds: number };
export type FromBare = { ok: true; imagesPerSec?: number } | { ok: false; error: string };

let loop: BareLoop | null = null;
const reply = (m: FromBare) => parentPort!.postMessage(m);

parentPort!.on('message', (msg: ToBare) => {
  const work = msg.type === 'open'
    ? openBareLoop(msg.w, msg.backend, msg.warmSeconds).then((l) => { loop = l; return {}; })
    : loop ? loop.window(msg.seconds).then((imagesPerSec) => ({ imagesPerSec })) : Promise.reject(new Error('the bare loop is not open'));
  work.then((r) => reply({ ok: true, ...r }), (err: Error) => reply({ ok: false, error: err.message }));
});
