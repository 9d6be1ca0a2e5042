// Runs the bare loop, and the GEMM peak probe, in a child process of `vgglab bench`. Not in a worker
// thread of the bench's own process: the engine trains in one there, and libgomp (the OpenMP runtime
// of the native addon, oneDNN and OpenBLAS) counts the threads of every OpenMP team in a process.
// Once they outnumber the cores it stops spinning at barriers and puts waiting threads to sleep, so
// each parallel region pays a wake-up: an idle bare loop beside the engine (or the main thread's
// peak probe) slowed W2's engine from ~6,800 to ~4,300 img/s on a 2-core machine, and the bare loop
// alike. In its own process each loop has the machine's threads to itself, as a user's run does.
// The loop stays open between windows, so that the bench can measure it between the engine's epochs.
import type { BackendInfo } from '../../shared/domain';
import type { StepArithmetic } from '../training/arithmetic';
import { openBareLoop, type BareLoop } from './bare';
import { gemmPeakGflops } from './peak';
import type { Workload } from './workloads';

export type ToBare =
  | { type: 'open'; w: Workload; backend: BackendInfo; warmSeconds: number; arith: StepArithmetic }
  | { type: 'window'; seconds: number }
  | { type: 'peak' };
export type FromBare = { ok: true; imagesPerSec?: number; peakGflops?: number | null } | { ok: false; error: string };

let loop: BareLoop | null = null;
const reply = (m: FromBare) => process.send!(m);

process.on('message', (msg: ToBare) => {
  const work: Promise<Omit<FromBare & { ok: true }, 'ok'>> =
    msg.type === 'open'
      ? openBareLoop(msg.w, msg.backend, msg.warmSeconds, msg.arith).then((l) => { loop = l; return {}; })
      : msg.type === 'peak'
        ? Promise.resolve().then(() => ({ peakGflops: gemmPeakGflops() }))
        : loop ? loop.window(msg.seconds).then((imagesPerSec) => ({ imagesPerSec })) : Promise.reject(new Error('the bare loop is not open'));
  work.then((r) => reply({ ok: true, ...r }), (err: Error) => reply({ ok: false, error: err.message }));
});
// The bench gone (finished, or killed): nothing left to measure for.
process.on('disconnect', () => process.exit(0));
