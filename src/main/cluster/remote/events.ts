// What a cluster worker reports about itself, as data: `vgglab worker` prints each as a line of
// text on stderr, or with --json as one JSON object per line on stdout (for a lab's log collector or
// a supervisor script). The queue URL is always redacted.

export type WorkerEvent =
  | { event: 'started'; worker: string; host: string; backend: string; device: string; queue: string; artifacts: string }
  | { event: 'run-started'; worker: string; runId: number; store: string; fromStep: number }
  | { event: 'epoch'; worker: string; runId: number; epoch: number; step: number; lr: number; imagesPerSec: number; trainLoss: number | null; valTop1: number | null }
  | { event: 'run-ended'; worker: string; runId: number; status: string; error: string | null }
  | { event: 'refused'; worker: string; runId: number; reason: string }
  | { event: 'lost-lock'; worker: string; runId: number }
  | { event: 'handback'; worker: string; runId: number }
  | { event: 'stopping'; worker: string; signal: string }
  | { event: 'stopped'; worker: string };

const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(2)}%`);

/** The line of text an event prints as without --json. */
export function describe(e: WorkerEvent): string {
  switch (e.event) {
    case 'started':
      return `worker ${e.worker} on ${e.host}: ${e.backend} (${e.device}), queue ${e.queue}, artifacts ${e.artifacts}`;
    case 'run-started':
      return `worker ${e.worker}: run ${e.runId} (${e.store}) ${e.fromStep ? `resumed from step ${e.fromStep}` : 'started'}`;
    case 'epoch':
      return `worker ${e.worker}: run ${e.runId} epoch ${e.epoch} (step ${e.step}): train loss ${e.trainLoss?.toFixed(4) ?? '-'}, val top-1 ${pct(e.valTop1)}, lr ${e.lr.toPrecision(3)}, ${Math.round(e.imagesPerSec)} images/s`;
    case 'run-ended':
      return `worker ${e.worker}: run ${e.runId} ${e.status}${e.error ? `: ${e.error}` : ''}`;
    case 'refused':
      return `worker ${e.worker}: refused run ${e.runId}: ${e.reason}`;
    case 'lost-lock':
      return `worker ${e.worker}: lost the lock on run ${e.runId}; stopping it here`;
    case 'handback':
      return `worker ${e.worker}: run ${e.runId} checkpointed and given back to the queue`;
    case 'stopping':
      return `worker ${e.worker}: ${e.signal}: finishing the current step, checkpointing, and giving the run back to the queue…`;
    case 'stopped':
      return `worker ${e.worker}: stopped`;
  }
}

/** Where a worker's events go: text lines on stderr, or JSON lines (with the time) on stdout. */
export function eventPrinter(json: boolean): (e: WorkerEvent) => void {
  if (json) return (e) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
  return (e) => process.stderr.write(`${describe(e)}\n`);
}
