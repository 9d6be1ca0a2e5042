// The contract over Electron IPC: one invoke channel for calls, one channel for events.
import type { IpcMain, WebContents } from 'electron';
import { EVENT_NAMES } from '../../shared/contract';
import { IPC } from '../../shared/wire';
import type { App } from '../app';
import { coalesceLive } from './coalesce';
import { createDispatcher } from './dispatch';

export function registerIpc(app: App, ipcMain: IpcMain, target: () => WebContents | null): () => void {
  const dispatch = createDispatcher(app.handlers);
  ipcMain.handle(IPC.call, (_e, method: unknown, args: unknown) => dispatch(method, args));
  const live = coalesceLive((name, payload) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(IPC.event, name, payload);
  });
  const offs = EVENT_NAMES.map((name) => app.bus.on(name, (payload) => live.push(name, payload)));
  return () => {
    live.close();
    ipcMain.removeHandler(IPC.call);
    offs.forEach((o) => o());
  };
}
