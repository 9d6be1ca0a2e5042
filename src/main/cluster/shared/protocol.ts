// What travels through Redis between the desktop and its workers: the job (one per run), the run's
// event stream (the training worker's own messages, plus who holds the run), a control key for stop
// and pause, and each worker's announcement. Names are built here only.
import type { FromWorker } from '../../training/messages';
import type { WorkerInfo } from '../../../shared/domain';

export const QUEUE_NAME = 'vgglab-train';
export const PREFIX = 'vgglab';

/** BullMQ job ids may not contain ':'. */
export const jobIdOf = (store: string, runId: number) => `${store}-${runId}`;
export const streamKey = (store: string, runId: number) => `${PREFIX}:stream:${store}:${runId}`;
export const controlKey = (store: string, runId: number) => `${PREFIX}:control:${store}:${runId}`;
export const workerKey = (name: string) => `${PREFIX}:worker:${name}`;
export const WORKER_KEYS = `${PREFIX}:worker:*`;

/** A worker's announcement lives this long unless renewed (every HEARTBEAT). */
export const WORKER_TTL_MS = 10_000;
export const WORKER_HEARTBEAT_MS = 2_000;
/** How long a worker holds a job's lock between renewals; a dead worker's job is handed on after about this. */
export const LOCK_MS = 10_000;
export const STALLED_CHECK_MS = 5_000;

export interface JobData {
  store: string;
  runId: number;
  /** When the run was created: tells this run's artifacts from those of a deleted run whose id came back. */
  createdAt: string;
  /** The run's parameters as recorded (checked again by the worker against the schema). */
  params: unknown;
  /** The dataset's content fingerprint as seen by the desktop (null for built-in data). */
  fingerprint: string | null;
  /** A warm start's source checkpoint, relative to the artifacts folder. */
  warmStart?: { runId: number; file: string; sha256: string; layers: string[] };
}

export type Control = 'stop' | 'pause' | 'continue';

/** A checkpoint message with its file relative to the artifacts folder (each side mounts it where it likes). */
export type StreamMessage =
  | FromWorker
  /** A worker took the run (session: this execution; messages from any other are ignored). */
  | { type: 'assigned'; worker: string; host: string }
  /** The run continues from a checkpoint found in the artifacts folder: what came after it is dropped. */
  | { type: 'rewind'; step: number; epoch: number; checkpoint: Extract<FromWorker, { type: 'checkpoint' }> }
  /** The worker stopped (SIGTERM) and gave the run back to the queue, after a checkpoint. */
  | { type: 'handback'; worker: string; reason: string };

/**
 * Stream entry fields: the session that wrote it, its number within the session (from 1), and the
 * message as JSON. The number makes a resent entry harmless: a client that lost Redis's reply to an
 * XADD sends it again after reconnecting, and the second copy has the same number.
 */
export const encode = (session: string, seq: number, msg: StreamMessage): string[] => ['s', session, 'n', String(seq), 'm', JSON.stringify(msg)];
export function decode(fields: string[]): { session: string; seq: number; msg: StreamMessage } | null {
  const at = (k: string) => {
    const i = fields.indexOf(k);
    return i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
  };
  try {
    const seq = Number(at('n'));
    const msg = JSON.parse(at('m') ?? 'null') as StreamMessage | null;
    return msg && Number.isInteger(seq) ? { session: at('s') ?? '', seq, msg } : null;
  } catch {
    return null;
  }
}

export type WorkerAnnouncement = WorkerInfo;
