// The batch threads' scheduling priority. Where the backend's own threads keep every core busy (a
// CPU backend), a batch thread woken by a request takes a core from them at once, often the
// trainer's own, mid-step; at a lower priority the scheduler lets it run in the gaps instead. W2 on
// 2 cores (trainer-side time per 300 steps, in requests and waits for batches): 58–95 ms at the
// same priority, 36–46 ms at nice 10, 121–144 ms at nice 19 (the thread then falls behind).
import fs from 'node:fs';
import os from 'node:os';

/** How much lower than the process a batch thread runs where it yields to the backend. */
export const BATCH_THREAD_NICE = 10;

export interface ThreadPriority {
  /** The thread's id (Linux: its task under /proc/<pid>/task). */
  tid: number;
  nice: number;
}

/** This thread's id and nice value: Linux only (elsewhere a thread has no priority of its own to read here). */
export function threadPriority(): ThreadPriority | null {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return { tid, nice: os.getPriority(tid) };
  } catch {
    return null;
  }
}

/** Lowers this thread's priority to BATCH_THREAD_NICE (never raises it; Linux only); returns what it is now. */
export function yieldToBackend(): ThreadPriority | null {
  const now = threadPriority();
  if (!now || now.nice >= BATCH_THREAD_NICE) return now;
  try {
    os.setPriority(now.tid, BATCH_THREAD_NICE);
  } catch {
    /* not permitted here: it keeps its priority */
  }
  return threadPriority();
}
