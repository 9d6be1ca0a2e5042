// Electron entry: one window, sandboxed renderer, the contract over IPC, training in workers; the
// desktop's own behaviour (single instance, window state, close while training, tray, notifications,
// menu, folder picker) with its decisions in desktop/, tested without Electron.
import { app as electronApp, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, screen, session, shell, Tray } from 'electron';
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
import { closeAction, closeQuestion, CLOSE_BUTTONS } from './desktop/close-guard';
import { menuTemplate } from './desktop/menu';
import { Notices } from './desktop/notices';
import { loadWindowState, saveWindowState } from './desktop/window-state';

const here = path.dirname(fileURLToPath(import.meta.url));
// Training workers start the data pipeline's own workers; worker threads inherit this environment.
process.env.VGGLAB_PIPELINE_WORKER = pipelineWorkerPath;

// better-sqlite3 built for Electron's ABI lives beside the system Node build (scripts/postinstall.mjs).
const electronSqlite = path.resolve(here, '../../.electron-native/better_sqlite3.node');
if (fs.existsSync(electronSqlite)) useNativeBinding(electronSqlite);


let win: BrowserWindow | null = null;
let core: App | null = null;
let tray: Tray | null = null;
/** Set once the user chose to quit: the close handler lets the window go. */
let quitting = false;
const icon = path.resolve(here, '../../resources/icon.png');
const stateFile = () => path.join(electronApp.getPath('userData'), 'window-state.json');

/** Runs this process trains (not the CLI's, serve's or the cluster's: those go on whatever happens here). */
const trainingHere = (): number[] => core?.runs.trainingHere() ?? [];

function showWindow(): void {
  if (!win) return createWindow();
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

const navigate = (hash: string) => {
  showWindow();
  core?.bus.emit('app.navigate', { hash });
};

/** Stops each run this process trains with a checkpoint (the training thread saves one after its step), then quits. */
async function stopAndQuit(): Promise<void> {
  await core!.runs.stopAllHere();
  quitting = true;
  electronApp.quit();
}

function ensureTray(): void {
  if (tray) return;
  tray = new Tray(nativeImage.createFromPath(icon));
  tray.setToolTip('VGG Lab: training in the background');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Show VGG Lab', click: showWindow },
      { type: 'separator' },
      { label: 'Stop the runs with a checkpoint and quit', click: () => void stopAndQuit() },
    ]),
  );
  tray.on('click', showWindow);
}

function createWindow(): void {
  const areas = [screen.getPrimaryDisplay(), ...screen.getAllDisplays().filter((d) => d.id !== screen.getPrimaryDisplay().id)].map((d) => d.workArea);
  const state = loadWindowState(stateFile(), areas);
  win = new BrowserWindow({
    ...(state.x !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    title: 'VGG Lab',
    icon,
    show: false,
    webPreferences: secureWebPreferences(path.join(here, '../preload/index.cjs')),
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win?.show());
  // Size, place and maximised state, kept for the next launch (written when they settle and at close).
  let timer: NodeJS.Timeout | undefined;
  const remember = () => {
    if (!win || win.isDestroyed()) return;
    saveWindowState(stateFile(), { ...win.getNormalBounds(), maximized: win.isMaximized() });
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(remember, 500);
  };
  for (const e of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(e as 'resize', later);
  win.on('close', (e) => {
    remember();
    if (quitting) return;
    const training = trainingHere();
    const question = closeQuestion(training);
    if (!question) return;
    e.preventDefault();
    const button = dialog.showMessageBoxSync(win!, { type: 'question', buttons: [...CLOSE_BUTTONS], defaultId: 0, cancelId: 2, noLink: true, ...question });
    const action = closeAction(training, button);
    if (action === 'background') {
      ensureTray();
      win!.hide();
    } else if (action === 'stop-and-quit') void stopAndQuit();
  });
  win.on('closed', () => (win = null));
  guardNavigation(win.webContents, (url) => shell.openExternal(url));
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(path.join(here, '../renderer/index.html'));
}

/** A system notification when a run this process trains completes, diverges or fails; a click opens it. */
function notifyRunEnds(app: App): void {
  const notices = new Notices();
  app.bus.on('run.updated', (run) => {
    const active = run.status === 'running' || run.status === 'queued';
    const n = notices.take(run, active && run.placement === 'local' && !app.runs.ownership.ownedElsewhere(run.id));
    if (!n || !Notification.isSupported()) return;
    const note = new Notification({ title: n.title, body: n.body, icon });
    note.on('click', () => navigate(`#/run/${n.runId}`));
    note.show();
  });
}

// One window per data folder user: a second launch focuses the first (a `vgglab serve` beside it is
// another process by design, and fine).
if (!electronApp.requestSingleInstanceLock()) electronApp.quit();
else {
  electronApp.on('second-instance', showWindow);
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
      desktop: {
        pickFolder: async () => {
          const options = { title: 'A folder of images, one subfolder per class', properties: ['openDirectory' as const] };
          const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
          return r.canceled ? null : (r.filePaths[0] ?? null);
        },
      },
    });
    registerIpc(core, ipcMain, () => win?.webContents ?? null);
    notifyRunEnds(core);
    Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(navigate)));
    createWindow();
  });
}

electronApp.on('before-quit', () => (quitting = true));
electronApp.on('window-all-closed', () => {
  void core?.close().finally(() => electronApp.quit());
});
