// Both transports reject bad payloads and unknown methods without touching the database;
// HTTP refuses requests without the token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApp, type App } from '../../src/main/app';
import { createDispatcher } from '../../src/main/transports/dispatch';
import { startServer, type RunningServer } from '../../src/main/transports/http';
import { tempDir } from '../helpers';

let app: App;
let server: RunningServer;
const token = 'test-token-123';
const base = () => `http://127.0.0.1:${server.port}`;
const runCount = () => (app.db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;

const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
  fetch(`${base()}/api/call`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  app = createApp({ dataDir: tempDir() });
  server = await startServer(app, { host: '127.0.0.1', port: 0, token, staticDir: null });
});
afterAll(async () => {
  await server.close();
  await app.close();
});

describe('in-process contract', () => {
  it('rejects an unknown method and a bad payload, naming the field, and changes nothing', async () => {
    const dispatch = createDispatcher(app.handlers);
    expect(await dispatch('runs.explode', {})).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('unknown method') } });
    const bad = await dispatch('runs.start', { config: 'Z', epochs: -1 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.message).toContain('config');
      expect(bad.error.message).toContain('epochs');
    }
    expect(await dispatch('runs.start', { config: 'A', inputSize: 33 })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/inputSize: accepted: a multiple of 32 from 32 to 1024/) } });
    expect(await dispatch('runs.start', { config: 'A', surprise: 1 })).toMatchObject({ ok: false, error: { message: expect.stringContaining('surprise') } });
    expect(runCount()).toBe(0);
  });

  it('answers a good call', async () => {
    const dispatch = createDispatcher(app.handlers);
    const res = await dispatch('models.list', { inputSize: 224, width: 1, classes: 1000 });
    expect(res.ok).toBe(true);
  });
});

describe('HTTP + WebSocket transport', () => {
  it('answers 401 without the token, for the API, static files and the event socket', async () => {
    expect((await post({ method: 'runs.list' }, {})).status).toBe(401);
    expect((await post({ method: 'runs.list' }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await fetch(`${base()}/`)).status).toBe(401);
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(code).toBe(401);
  });

  it('rejects a bad payload, an unknown method and broken JSON with 4xx and a clear message', async () => {
    const unknown = await post({ method: 'nope', args: {} });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toContain('unknown method');
    const bad = await post({ method: 'runs.start', args: { config: 'A', batch: 0 } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('batch');
    const broken = await post('{not json');
    expect(broken.status).toBe(400);
    expect(runCount()).toBe(0);
  });

  it('serves calls and streams events to an authorised socket', async () => {
    const res = await post({ method: 'runs.list', args: {} });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, result: [] });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${token}`);
    await new Promise((r) => ws.on('open', r));
    const got = new Promise<{ event: string; payload: { runId: number } }>((r) => ws.on('message', (m) => r(JSON.parse(String(m)))));
    app.bus.emit('run.progress', { runId: 7, epoch: 1, epochs: 2, step: 3, stepInEpoch: 3, stepsPerEpoch: 4, imagesPerSec: 10, lr: 0.01 });
    expect(await got).toMatchObject({ event: 'run.progress', payload: { runId: 7 } });
    ws.close();
  });
});
