// Runs the bare loop in its own worker thread, as the engine's training runs in one: the two
// figures then differ only by what the engine adds (data, messages, recording).
import { parentPort } from 'node:worker_threads';
import type { BackendInfo } from '../../shared/domain';
import { bareLoop } from './bare';
import type { Workload } from './workloads';

parentPort!.once('message', (msg: { w: Workload; backend: BackendInfo; seconds: number }) => {
  bareLoop(msg.w, msg.backend, msg.seconds).then(
    (r) => parentPort!.postMessage({ ok: true, ...r }),
    (err: Error) => parentPort!.postMessage({ ok: false, error: err.message }),
  );
});
