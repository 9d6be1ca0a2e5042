// Starts `vgglab serve` as a user would and opens Debian's Chromium on it.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { repoRoot } from '../helpers';
import { launch } from '../processes';
import { until } from '../wait';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
/** Why the browser tests cannot run here, or null. */
export const noChromium = hasChromium ? null : `no Chromium at ${CHROMIUM}; install it with scripts/install-system-deps.sh or set CHROMIUM_PATH`;

export interface Served {
  url: string;
  proc: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `vgglab serve` on a free port; `args` replace the default `--dataset-folders` (the temp folder).
 * It lives until stopped or until its test file ends (a test may restart the server of its file's tests).
 */
export function serve(dataDir: string, token = 'e2e-token', opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Served> {
  // The token as a user should pass it: in the environment, not on the command line where `ps` shows it.
  const proc = launch(process.execPath, [path.join(repoRoot, 'bin', 'vgglab.mjs'), '--data-dir', dataDir, 'serve', '--port', '0', ...(opts.args ?? ['--dataset-folders', os.tmpdir()])], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VGGLAB_TOKEN: token, ...opts.env },
    what: 'vgglab serve',
    scope: 'file',
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not print a URL: ${out}`)), 60_000);
    proc.stderr!.on('data', (d) => (out += d));
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /serving at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          proc,
          output: () => out,
          stop: () =>
            new Promise((done) => {
              if (proc.exitCode !== null) return done();
              proc.once('exit', () => done());
              proc.kill('SIGTERM');
            }),
        });
      }
    });
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/**
 * `vgglab serve` on `dataDir` and a Chromium page, for the tests of one describe block: started before
 * them and closed after. A test may restart the server by assigning `served`.
 */
export function servedPage(dataDir: string, token = 'e2e-token', viewport = { width: 1280, height: 900 }): { served: Served; browser: Browser; page: Page } {
  const s = {} as { served: Served; browser: Browser; page: Page };
  beforeAll(async () => {
    s.served = await serve(dataDir, token);
    s.browser = await launchChromium();
    s.page = await s.browser.newPage({ viewport });
  });
  afterAll(async () => {
    await s.browser?.close();
    await s.served?.stop();
  });
  return s;
}

/** One call of the HTTP API with the token, as the page makes it; a refusal throws its message. */
export async function apiCall<T = any>(served: Served, token: string, method: string, args: unknown = {}): Promise<T> {
  const res = await fetch(new URL('/api/call', served.url), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ method, args }) });
  const body = (await res.json()) as { ok: boolean; result: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${method}: ${body.error!.message}`);
  return body.result;
}

/** Waits until a run is neither queued nor running; returns its status. */
export async function untilFinished(served: Served, token: string, id: number): Promise<string> {
  let status = '';
  await until(
    `run ${id} to finish`,
    async () => {
      status = (await apiCall<{ status: string }>(served, token, 'runs.get', { id })).status;
      return !['queued', 'running'].includes(status);
    },
    { everyMs: 100, watch: { 'vgglab serve': served.proc } },
  );
  return status;
}
