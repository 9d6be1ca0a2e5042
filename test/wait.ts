// The one wait loop of the suite: bounded, and when it gives up it says what it waited for and how
// the processes it depended on stand, so that a slow machine's failure reads differently from a
// dead trainer's.
import type { ChildProcess } from 'node:child_process';
import { alive, describeProcess } from './processes';

export interface WaitOptions {
  /** Give up after this long (default 240 s: the slowest CI machine trains the suite's runs in a fraction of it). */
  timeoutMs?: number;
  everyMs?: number;
  /** Processes that must stay alive while waiting, by name: one that exits fails the wait at once. */
  watch?: Record<string, ChildProcess>;
}

export async function until(what: string, ready: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 240_000;
  const end = Date.now() + timeoutMs;
  const watched = Object.entries(opts.watch ?? {});
  const standing = () => watched.map(([name, p]) => describeProcess(p, name)).join('; ');
  for (;;) {
    if (await ready()) return;
    const gone = watched.find(([, p]) => !alive(p));
    if (gone) throw new Error(`${describeProcess(gone[1], gone[0])} before ${what}`);
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${watched.length ? `; ${standing()}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 20));
  }
}
