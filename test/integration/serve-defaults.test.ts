// `vgglab serve` as started with no options but a port: the content security policy on every
// answer, the default data root (the user's home folder), the warning when bound beyond loopback,
// and what an interrupt does to the runs it trains.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSP } from '../../src/main/window-security';
import { serve, type Served } from '../e2e/serve';
import { makeImageFolder } from '../fixtures/datasets';
import { waitInDb } from '../cli-process';
import { repoRoot, tempDir } from '../helpers';

const token = 'defaults-token';
const home = tempDir('vgglab-home-');
let served: Served;
const get = (p: string, auth = true) => fetch(new URL(p, served.url), { headers: auth ? { authorization: `Bearer ${token}` } : {} });
const call = (method: string, args: unknown) =>
  fetch(new URL('/api/call', served.url), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ method, args }) });

beforeAll(async () => {
  await makeImageFolder(path.join(home, 'pets'), { perClass: 3 });
  // No --dataset-folders: the default applies, the home folder (HOME set to a folder of the test's own).
  served = await serve(tempDir(), token, { args: [], env: { HOME: home } });
});
afterAll(() => served?.stop());

describe('serve defaults', () => {
  it('sends the content security policy with every page, asset and API answer, refusals included', async () => {
    const assets = fs.readdirSync(path.join(repoRoot, 'out', 'renderer', 'assets')).map((f) => `/assets/${f}`);
    expect(assets.length).toBeGreaterThan(0);
    for (const p of ['/', '/index.html', ...assets]) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-security-policy'), p).toBe(CSP);
      expect(res.headers.get('x-frame-options'), p).toBe('DENY');
    }
    for (const res of [await get('/', false), await get('/no-such-file.js'), await call('runs.list', {}), await call('nope', {})])
      expect(res.headers.get('content-security-policy'), `${res.url} ${res.status}`).toBe(CSP);
    expect(CSP).toMatch(/script-src 'self'/);
    expect(CSP).toMatch(/object-src 'none'/);
  });

  it('hands the page its token as an HttpOnly, same-site cookie (never readable by a script), on the page only', async () => {
    for (const p of ['/', '/index.html']) {
      const cookie = (await get(p)).headers.get('set-cookie');
      expect(cookie, p).toBe(`vgglab_token=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    const asset = fs.readdirSync(path.join(repoRoot, 'out', 'renderer', 'assets'))[0]!;
    expect((await get(`/assets/${asset}`)).headers.get('set-cookie')).toBeNull();
    expect((await call('runs.list', {})).headers.get('set-cookie')).toBeNull();
  });

  it('reads datasets under the home folder by default and refuses paths elsewhere', async () => {
    expect(served.output()).toContain(`datasets readable over HTTP: ${home}`);
    const ok = await call('datasets.add', { path: path.join(home, 'pets'), name: 'pets' });
    expect(ok.status).toBe(200);
    const outside = tempDir('vgglab-outside-');
    await makeImageFolder(path.join(outside, 'pets'), { perClass: 3 });
    const refused = await call('datasets.add', { path: path.join(outside, 'pets'), name: 'other' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/outside the folders this server may read/);
  });

  it('binds to loopback by default and warns when told to bind beyond it', async () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(served.output()).not.toMatch(/warning: serving on/);
    // Bound on every interface for a moment; the test talks to it over loopback only.
    const wide = await serve(tempDir(), token, { args: ['--host', '0.0.0.0'], env: { HOME: home } });
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(wide.output()).toMatch(/warning: serving on 0\.0\.0\.0, beyond this machine's loopback; anyone who can reach it and has the token can control VGG Lab/);
    } finally {
      await wide.stop();
    }
  });

  it('interrupted (SIGINT) while it trains, it stops the run after its step with a checkpoint, says so, and exits 0', async () => {
    const dataDir = tempDir();
    const own = await serve(dataDir, token, { args: ['--dataset-folders', tempDir()], env: { HOME: home } });
    try {
      const start = await fetch(new URL('/api/call', own.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ method: 'runs.start', args: { config: 'A', width: 0.0625, inputSize: 32, classes: 4, trainSamples: 256, valSamples: 32, batch: 8, epochs: 1000, backend: 'cpu' } }),
      });
      expect(start.status, await start.clone().text()).toBe(200);
      // Mid-way through its first epoch (32 steps), as a user presses Ctrl-C at any moment.
      await waitInDb(dataDir, 'steps recorded', (d) => (d.prepare("SELECT count(*) FROM metrics WHERE run_id = 1 AND name = 'loss'").pluck().get() as number) >= 8, { timeoutMs: 60_000, watch: { serve: own.proc } });
      const exited = new Promise<number | null>((r) => own.proc.once('exit', (code) => r(code)));
      own.proc.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(own.output()).toMatch(/stopping run #1 after the current step, with a checkpoint \(interrupt again to quit at once\)/);
      const db = new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });
      try {
        expect(db.prepare('SELECT status FROM runs WHERE id = 1').pluck().get()).toBe('stopped');
        // Its checkpoint is at the step it stopped after, within the first epoch: resumable exactly there.
        const ck = db.prepare("SELECT kind, epoch, step FROM checkpoints WHERE run_id = 1 ORDER BY step DESC LIMIT 1").get() as { kind: string; epoch: number; step: number };
        expect(ck.kind).toBe('stop');
        expect(ck.step).toBeGreaterThanOrEqual(8);
        expect(ck.step).toBeLessThan(32 * 1000);
      } finally {
        db.close();
      }
    } finally {
      await own.stop();
    }
  });
});
