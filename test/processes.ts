// Every process a test starts goes through here, so that none outlives the test that started it,
// even when that test fails or times out (a test's own `finally` never runs after a vitest timeout;
// hooks do). Processes started while a test runs are ended after that test (test/setup.ts's
// afterEach); those started in a beforeAll, after the file. Whatever is still registered when the
// test process exits is SIGKILLed there, and test/global-setup.ts's teardown ends anything that
// carries this suite's mark in its environment and still lives (a test process killed outright).
//
// Each process leads a process group of its own (detached), and the whole group is signalled:
// a trainer's or a worker's own children (the bench's bare loop, a Python engine) go with it.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

interface Entry {
  proc: ChildProcess;
  what: string;
  /** Started during a test (ended after it) rather than in a beforeAll (ended after the file). */
  perTest: boolean;
}

const live = new Set<Entry>();
/** Processes that lead a group of their own (launched here). */
const groups = new WeakSet<ChildProcess>();
let testRunning = false;

/** Set by test/setup.ts around each test. */
export function testStarted(running: boolean): void {
  testRunning = running;
}

export const alive = (proc: ChildProcess): boolean => proc.exitCode === null && proc.signalCode === null;

/** How a watched process stands, for a wait's error message. */
export function describeProcess(proc: ChildProcess, what = 'process'): string {
  if (alive(proc)) return `${what} (pid ${proc.pid}) is still alive`;
  return `${what} (pid ${proc.pid}) has exited (${proc.signalCode ? `signal ${proc.signalCode}` : `code ${proc.exitCode}`})`;
}

/** Signals the process's group (launched here) or the process alone (registered); what has gone is skipped. */
function signal(proc: ChildProcess, sig: NodeJS.Signals, group = groups.has(proc)): void {
  if (!proc.pid) return;
  try {
    if (group) process.kill(-proc.pid, sig);
    else if (alive(proc)) proc.kill(sig);
  } catch {
    /* already gone */
  }
}

/**
 * How long a process may live: 'test' (the default while a test runs) ends it after that test;
 * 'file' after the file, for servers that the tests of a file share even when one test restarts them.
 */
export type Scope = 'test' | 'file';

/** Registers a process started elsewhere (Playwright's Electron, for one). */
export function track<P extends ChildProcess>(proc: P, what: string, scope: Scope = testRunning ? 'test' : 'file'): P {
  const entry: Entry = { proc, what, perTest: scope === 'test' };
  live.add(entry);
  proc.once('exit', () => live.delete(entry));
  return proc;
}

/** `spawn` in a process group of its own, registered. */
export function launch(cmd: string, args: string[], opts: SpawnOptions & { what?: string; scope?: Scope } = {}): ChildProcess {
  const { what, scope, ...rest } = opts;
  const proc = spawn(cmd, args, { ...rest, detached: true });
  groups.add(proc);
  return track(proc, what ?? `${cmd} ${args.slice(0, 4).join(' ')}`, scope);
}

/** Ends a process and its group: SIGTERM, then SIGKILL once `graceMs` has passed; resolves when it has exited. */
export function end(proc: ChildProcess, graceMs = 3000): Promise<void> {
  if (!alive(proc)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signal(proc, 'SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      // The leader is gone; anything left in its group goes too.
      signal(proc, 'SIGKILL');
      resolve();
    });
    signal(proc, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  });
}

/** Ends the registered processes (those of the finished test only, or all); returns what was still running. */
export async function endAll(scope: 'test' | 'all'): Promise<string[]> {
  const left = [...live].filter((e) => alive(e.proc) && (scope === 'all' || e.perTest));
  await Promise.all(left.map((e) => end(e.proc)));
  return left.map((e) => `${e.what} (pid ${e.proc.pid})`);
}

process.on('exit', () => {
  for (const e of live) signal(e.proc, 'SIGKILL');
});
