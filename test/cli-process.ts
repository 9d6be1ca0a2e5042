// `vgglab` as a user runs it: a real process on a data folder, waited for or killed. Every process
// started here is registered (test/processes.ts) and ends with its test at the latest.
import Database from 'better-sqlite3';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers';
import { end, launch } from './processes';
import { until, type WaitOptions } from './wait';

export const VGGLAB = path.join(repoRoot, 'bin', 'vgglab.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, or null. */
  json: any;
}

function lastJson(stdout: string): unknown {
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    return null;
  }
}

/** Runs `vgglab --data-dir DIR ARGS…` to its end (killed after 280 s: a test's own limit is 300 s). */
export function vgglabSync(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const res = spawnSync(process.execPath, [VGGLAB, '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 280_000, killSignal: 'SIGKILL', env: { ...process.env, ...env } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr, json: lastJson(res.stdout) };
}

/**
 * `vgglab ARGS…` called in this process (the CLI's `main`), its output captured: for checks of what
 * the CLI says and returns that need no process of their own (usage errors); exit codes and
 * everything that trains are tested through real processes too.
 */
export async function vgglabInProcess(dataDir: string, args: string[]): Promise<CliResult> {
  const { main } = await import('../src/main/cli/index');
  let stdout = '';
  let stderr = '';
  const [out, err] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['--data-dir', dataDir, ...args]);
    return { code, stdout, stderr, json: lastJson(stdout) };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** The same, without blocking the test's event loop (so it can watch the database meanwhile). */
export function vgglab(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; done: Promise<CliResult> } {
  const proc = launch(process.execPath, [VGGLAB, '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, what: `vgglab ${args[0]}` });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d) => (stdout += d));
  proc.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr, json: lastJson(stdout) })));
  return { proc, done };
}

/**
 * Polls a read-only connection to the data folder's database until `ready` returns true.
 * The database must already exist (migrated): any error while reading is a test failure, not a retry.
 */
export async function waitInDb(dataDir: string, what: string, ready: (db: Database.Database) => boolean, opts: WaitOptions = {}): Promise<void> {
  const file = path.join(dataDir, 'vgglab.db');
  if (!fs.existsSync(file)) throw new Error(`no database at ${file}: create it before watching`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    await until(what, () => ready(db), { everyMs: 5, ...opts });
  } finally {
    db.close();
  }
}

/** SIGKILLs a process (and its group) and resolves once it has exited. */
export const killed = (proc: ChildProcess): Promise<void> => end(proc, 0);
