// Every contract method, fed random and malformed payloads through both transports: each call
// answers with a result or a clear refusal, never a crash, and a refusal changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methods } from '../../src/shared/contract';
import { mulberry32 } from '../../src/main/data/rng';
import { createApp, type App } from '../../src/main/app';
import { createDispatcher } from '../../src/main/transports/dispatch';
import { startServer, type RunningServer } from '../../src/main/transports/http';
import { tempDir } from '../helpers';

const rng = mulberry32(20261127);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const NAMES = Object.keys(methods);
const KEYS = ['id', 'ids', 'config', 'epochs', 'batch', 'lr', 'inputSize', 'width', 'protocol', 'scales', 'path', 'name', 'format', 'tags', 'notes', 'afterStep', 'classes', 'params', 'configs', 'paper', '__proto__', 'constructor', 'dataset', 'backend', 'init', 'schedule'];

function randomValue(depth = 0): unknown {
  switch (Math.floor(rng() * (depth > 2 ? 7 : 9))) {
    case 0: return null;
    case 1: return pick([0, -1, 1, 2, 1e308, -1e308, 0.5, 2 ** 53, 32, 224, 7]);
    case 2: return pick(['', 'A', 'B', 'E', 'auto', 'center', 'csv', '../../etc/passwd', '/etc/passwd', 'x'.repeat(5000), 'from:1', 'step:1,2', '\u0000', 'synthetic', 'folder:/nope']);
    case 3: return rng() < 0.5;
    case 4: return undefined;
    case 5: return pick([[], [1], [1, 2], ['a'], [null], [-5]]);
    case 6: return pick(['NaN', 'Infinity', '1e5', '{}']);
    case 7: return Array.from({ length: Math.floor(rng() * 4) }, () => randomValue(depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rng() * 5); i > 0; i--) o[pick(KEYS)] = randomValue(depth + 1);
      return o;
    }
  }
}

function randomCall(): [unknown, unknown] {
  const r = rng();
  const method = r < 0.05 ? pick(['', 'nope', 'runs', 'runs.list.x', '__proto__', 'constructor', 42, null]) : pick(NAMES);
  return [method, randomValue()];
}

let app: App;
let server: RunningServer;
const token = 'fuzz-token';
// Nothing is trained: queued runs stay queued.
beforeAll(async () => {
  app = createApp({ dataDir: tempDir(), concurrency: 0 });
  server = await startServer(app, { host: '127.0.0.1', port: 0, token, staticDir: null });
});
afterAll(async () => {
  await server.close();
  await app.close();
});
const changes = () => app.db.prepare('SELECT total_changes()').pluck().get() as number;

describe('fuzzing the contract', () => {
  it('10,000 in-process calls: results or refusals, no crash, no change on refusal', async () => {
    const dispatch = createDispatcher(app.handlers);
    const tally = { ok: 0, refused: 0 };
    for (let i = 0; i < 10_000; i++) {
      const [method, args] = randomCall();
      const before = changes();
      const out = await dispatch(method, args);
      if (out.ok) tally.ok += 1;
      else {
        tally.refused += 1;
        expect(out.error.code, `${String(method)} ${JSON.stringify(args)?.slice(0, 200)} → ${out.error.message}`).not.toBe('internal');
        expect(out.error.message.length).toBeGreaterThan(0);
        expect(changes(), `${String(method)} changed the database although refused`).toBe(before);
      }
    }
    console.log(`fuzz in-process: ${tally.ok} answered, ${tally.refused} refused`);
    expect(tally.refused).toBeGreaterThan(5000);
    expect(app.db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
  });

  it('1,000 HTTP calls, malformed bodies included: 2xx or 4xx with a message, never 5xx', async () => {
    const tally: Record<number, number> = {};
    for (let i = 0; i < 1_000; i++) {
      const [method, args] = randomCall();
      const r = rng();
      const body = r < 0.05 ? '{"method": "runs.list", "args": ' : r < 0.08 ? '[1,2,3]' : r < 0.1 ? 'null' : JSON.stringify({ method, args });
      const before = changes();
      const res = await fetch(`http://127.0.0.1:${server.port}/api/call`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      tally[res.status] = (tally[res.status] ?? 0) + 1;
      expect(res.status, body.slice(0, 200)).toBeLessThan(500);
      const out = (await res.json()) as { ok: boolean; error?: { message: string } };
      if (!out.ok) {
        expect(out.error!.message.length).toBeGreaterThan(0);
        expect(changes()).toBe(before);
      }
    }
    console.log(`fuzz HTTP: status counts ${JSON.stringify(tally)}`);
    // An oversized body is cut off, not buffered.
    const huge = await fetch(`http://127.0.0.1:${server.port}/api/call`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'x'.repeat(3 * 1024 * 1024) }).catch(() => null);
    expect(huge === null || huge.status >= 400).toBe(true);
  });
});
