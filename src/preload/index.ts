// Exposes the contract as window.api and nothing else: call(method, args) and on(event, fn).
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { Api, EventName, Events } from '../shared/contract';
import { CallError, IPC, type CallResult } from '../shared/wire';

const api: Api = {
  async call(method, args) {
    const out = (await ipcRenderer.invoke(IPC.call, method, args)) as CallResult;
    if (!out.ok) throw new CallError(out.error.message, out.error.code, out.error.issues);
    return out.result as never;
  },
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
    const handler = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload as Events[E]);
    };
    ipcRenderer.on(IPC.event, handler);
    return () => {
      ipcRenderer.off(IPC.event, handler);
    };
  },
};

contextBridge.exposeInMainWorld('api', api);
