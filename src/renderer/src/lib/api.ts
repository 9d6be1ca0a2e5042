// window.api in the desktop app (preload over IPC); otherwise the same contract over
// HTTP + WebSocket, for `vgglab serve` in a browser.
import type { Api, EventName, Events } from '../../../shared/contract';
import { forForm } from '../../../shared/train-fields';
import { CallError, type CallResult } from '../../../shared/wire';

declare global {
  interface Window {
    api?: Api;
  }
}

function httpApi(): Api {
  const token = new URLSearchParams(location.search).get('token');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  let socket: WebSocket | null = null;
  let retry = 500;

  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = token ? `?token=${encodeURIComponent(token)}` : '';
    socket = new WebSocket(`${proto}//${location.host}/api/events${q}`);
    socket.onopen = () => {
      retry = 500;
    };
    socket.onmessage = (m) => {
      const { event, payload } = JSON.parse(String(m.data)) as { event: EventName; payload: unknown };
      listeners.get(event)?.forEach((fn) => fn(payload));
    };
    socket.onclose = () => {
      socket = null;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  };
  connect();

  return {
    async call(method, args) {
      const res = await fetch('/api/call', { method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify({ method, args }) });
      const out = (await res.json()) as CallResult;
      if (!out.ok) throw new CallError(out.error?.message ?? `HTTP ${res.status}`, out.error?.code ?? 'internal', out.error?.issues);
      return out.result as never;
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (p: unknown) => void);
    },
  };
}

export const api: Api = window.api ?? httpApi();

/** What a person should read about a failed call: field issues under the form's labels, else the message. */
export function errorText(err: unknown): string {
  return err instanceof CallError ? forForm(err.issues) : (err as Error).message;
}
