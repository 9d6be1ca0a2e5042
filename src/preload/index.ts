// Exposes the contract as window.api and nothing else: call(method, args) and on(event, fn).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { Api, EventName, Events } from '../shared/contract';

const IPC_CALL = 'vgglab:call';
const IPC_EVENT = 'vgglab:event';

type CallResult = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

const api: Api = {
  async call(method, args) {
    const out = (await ipcRenderer.invoke(IPC_CALL, method, args)) as CallResult;
    if (!out.ok) throw new Error(out.error.message);
    return out.result as never;
  },
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
    const handler = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload as Events[E]);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.off(IPC_EVENT, handler);
    };
  },
};

contextBridge.exposeInMainWorld('api', api);
