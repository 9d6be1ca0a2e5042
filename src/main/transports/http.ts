// `vgglab serve`: the contract over HTTP (POST /api/call) and WebSocket (/api/events),
// plus the built renderer as static files. Every request needs the token.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENT_NAMES } from '../../shared/contract';
import type { App } from '../app';
import { CSP } from '../window-security';
import { coalesceLive } from './coalesce';
import { createDispatcher } from './dispatch';

// Room for the images of "Try the model" (runs.predict), which come in the body as base64.
export const MAX_BODY = 64 * 1024 * 1024;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface ServeOptions {
  host: string;
  port: number;
  token: string;
  staticDir: string | null;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function tokenEquals(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

function requestToken(req: http.IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  const q = url.searchParams.get('token');
  if (q) return q;
  const cookie = req.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith('vgglab_token='));
  return cookie ? decodeURIComponent(cookie.slice('vgglab_token='.length)) : null;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  // Every answer carries the policy, errors included: a browser never renders anything under a looser one.
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

export function startServer(app: App, opts: ServeOptions): Promise<RunningServer> {
  const dispatch = createDispatcher(app.handlers);
  const staticRoot = opts.staticDir ? path.resolve(opts.staticDir) : null;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!tokenEquals(requestToken(req, url), opts.token)) {
      sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: 'missing or wrong token: open the URL that `vgglab serve` printed' } });
      return;
    }
    if (url.pathname === '/api/call') {
      if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: { code: 'bad_request', message: 'use POST' } });
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy();
        else chunks.push(c);
      });
      req.on('end', async () => {
        let body: { method?: unknown; args?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          return sendJson(res, 400, { ok: false, error: { code: 'bad_request', message: 'body is not valid JSON; expected {"method": …, "args": …}' } });
        }
        if (typeof body !== 'object' || body === null)
          return sendJson(res, 400, { ok: false, error: { code: 'bad_request', message: 'expected {"method": …, "args": …}' } });
        const out = await dispatch(body.method, body.args);
        const status = out.ok ? 200 : out.error.code === 'internal' ? 500 : out.error.code === 'not_found' ? 404 : out.error.code === 'conflict' ? 409 : 400;
        sendJson(res, status, out);
      });
      return;
    }
    if (!staticRoot) return sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'no UI build; run npm run build' } });
    serveStatic(staticRoot, url, opts.token, res);
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    const host = req.headers.host;
    const sameOrigin = !origin || (host !== undefined && new URL(origin).host === host);
    if (url.pathname !== '/api/events' || !tokenEquals(requestToken(req, url), opts.token) || !sameOrigin) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws));
  });
  const subscribers = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
  });
  const live = coalesceLive((name, payload) => {
    const msg = JSON.stringify({ event: name, payload });
    for (const ws of subscribers) if (ws.readyState === ws.OPEN) ws.send(msg);
  });
  const unsubscribe = EVENT_NAMES.map((name) =>
    app.bus.on(name, (payload) => {
      if (subscribers.size) live.push(name, payload);
    }),
  );

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      resolve({
        url: `http://${shownHost}:${port}/?token=${opts.token}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            unsubscribe.forEach((u) => u());
            live.close();
            for (const ws of subscribers) ws.terminate();
            wss.close();
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

function serveStatic(root: string, url: URL, token: string, res: http.ServerResponse): void {
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return sendJson(res, 400, { ok: false, error: { code: 'bad_request', message: 'bad path' } });
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  const file = path.resolve(root, '.' + rel);
  if (file !== root && !file.startsWith(root + path.sep)) return sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'not found' } });
  fs.readFile(file, (err, buf) => {
    if (err) return sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'not found' } });
    const headers: Record<string, string> = {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      // The same policy as the desktop window: this origin's scripts, sockets and images only.
      'content-security-policy': CSP,
      'x-frame-options': 'DENY',
    };
    // The page's own scripts and sockets then carry the token as a same-site cookie.
    if (rel === '/index.html') headers['set-cookie'] = `vgglab_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    res.end(buf);
  });
}
