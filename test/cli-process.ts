// `vgglab` as a user runs it: a real process on a data folder, waited for or killed.
import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers';

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

/** Runs `vgglab --data-dir DIR ARGS…` to its end. */
export function vgglabSync(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const res = spawnSync(process.execPath, [VGGLAB, '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 280_000, env: { ...process.env, ...env } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr, json: lastJson(res.stdout) };
}

/** The same, without blocking the test's event loop (so it can watch the database meanwhile). */
export function vgglab(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; done: Promise<CliResult> } {
  const proc = spawn(process.execPath, [VGGLAB, '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
export async function waitInDb(dataDir: string, ready: (db: Database.Database) => boolean, opts: { everyMs?: number; timeoutMs?: number; exited?: () => boolean } = {}): Promise<void> {
  const file = path.join(dataDir, 'vgglab.db');
  if (!fs.existsSync(file)) throw new Error(`no database at ${file}: create it before watching`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const until = Date.now() + (opts.timeoutMs ?? 240_000);
  try {
    for (;;) {
      if (ready(db)) return;
      if (opts.exited?.()) throw new Error('the process ended before the awaited state was reached');
      if (Date.now() > until) throw new Error('timed out waiting for the database');
      await new Promise((r) => setTimeout(r, opts.everyMs ?? 5));
    }
  } finally {
    db.close();
  }
}

export function killed(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}
