// Electron entry: one window, sandboxed renderer, the contract over IPC, training in workers.
import { app as electronApp, BrowserWindow, ipcMain, session, shell } from 'electron';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import workerPath from './training/train-thread?modulePath';
import evalWorkerPath from './evaluation/eval-thread?modulePath';
import pipelineWorkerPath from './data/pipeline/pipeline-thread?modulePath';
import { createApp, type App } from './app';
import { useNativeBinding } from './store/db';
import { resolveDataDir } from './paths';
import { registerIpc } from './transports/ipc';
import { CSP, guardNavigation, secureWebPreferences } from './window-security';

const here = path.dirname(fileURLToPath(import.meta.url));
// Training workers start the data pipeline's own workers; worker threads inherit this environment.
process.env.VGGLAB_PIPELINE_WORKER = pipelineWorkerPath;

// better-sqlite3 built for Electron's ABI lives beside the system Node build (scripts/postinstall.mjs).
const electronSqlite = path.resolve(here, '../../.electron-native/better_sqlite3.node');
if (fs.existsSync(electronSqlite)) useNativeBinding(electronSqlite);


let win: BrowserWindow | null = null;
let core: App | null = null;

function createWindow(): void {
  win = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'VGG Lab',
    show: false,
    webPreferences: secureWebPreferences(path.join(here, '../preload/index.cjs')),
  });
  win.once('ready-to-show', () => win?.show());
  guardNavigation(win.webContents, (url) => shell.openExternal(url));
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(path.join(here, '../renderer/index.html'));
}

electronApp.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, cb) =>
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } }),
  );
  core = createApp({
    dataDir: resolveDataDir(),
    workerFactory: () => new Worker(workerPath),
    evalWorkerFactory: () => new Worker(evalWorkerPath),
    transport: 'electron-ipc',
    connectCluster: true,
  });
  registerIpc(core, ipcMain, () => win?.webContents ?? null);
  createWindow();
});

electronApp.on('window-all-closed', () => {
  void core?.close().finally(() => electronApp.quit());
});
