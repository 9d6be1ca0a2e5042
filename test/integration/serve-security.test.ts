// Serve mode lets a token holder read datasets only under the allowed roots: `..`, absolute paths
// elsewhere and symbolic links out are refused, and nothing is recorded for a refused request.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApp, type App } from '../../src/main/app';
import { confineTo } from '../../src/main/services/paths-policy';
import { startServer, type RunningServer } from '../../src/main/transports/http';
import { makeImageFolder } from '../fixtures/datasets';
import { tempDir } from '../helpers';

let app: App;
let server: RunningServer;
let root: string;
const token = 'sec-token';
const call = async (method: string, args: unknown) => {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/call`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ method, args }) });
  return { status: res.status, body: (await res.json()) as { ok: boolean; error?: { message: string }; result?: { name: string } } };
};

beforeAll(async () => {
  root = tempDir();
  await makeImageFolder(path.join(root, 'pets'), { perClass: 3 });
  fs.symlinkSync('/etc', path.join(root, 'escape'));
  app = createApp({ dataDir: tempDir(), pathPolicy: confineTo([root]), concurrency: 0 });
  server = await startServer(app, { host: '127.0.0.1', port: 0, token, staticDir: null });
});
afterAll(async () => {
  await server.close();
  await app.close();
});

describe('serve mode: paths from requests are confined', () => {
  it('registers a dataset inside the allowed root', async () => {
    const r = await call('datasets.add', { path: path.join(root, 'pets'), name: 'pets' });
    expect(r.status).toBe(200);
    expect(r.body.result!.name).toBe('pets');
  });

  it.each([
    ['an absolute path elsewhere', '/etc'],
    ['.. out of the root', () => path.join(root, '..', '..', 'etc')],
    ['a symbolic link out of the root', () => path.join(root, 'escape')],
    ['a relative path', 'pets'],
  ])('refuses %s, naming the allowed folders', async (_what, p) => {
    const target = typeof p === 'function' ? p() : p;
    const before = app.datasets.list().length;
    const r = await call('datasets.add', { path: target });
    expect(r.status).toBe(400);
    expect(r.body.error!.message).toMatch(/outside the folders this server may read|give an absolute path inside/);
    expect(app.datasets.list().length).toBe(before);
  });

  it('refuses a run whose dataset path is outside, and records no run', async () => {
    const r = await call('runs.start', { config: 'A', dataset: 'folder:/etc' });
    expect(r.status).toBe(400);
    expect(app.runs.list()).toHaveLength(0);
    const ok = await call('runs.start', { config: 'A', dataset: `folder:${path.join(root, 'pets')}` });
    expect(ok.status).toBe(200);
  });

  it('refuses a WebSocket from another origin even with the token', async () => {
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${token}`, { headers: { origin: 'http://evil.example' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(code).toBe(401);
  });
});
