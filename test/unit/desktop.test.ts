// The desktop app's decisions, without Electron: window state, closing while training, run-end
// notices, the menu. (The Electron e2e test runs the window itself where the binary exists.)
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/shared/domain';
import { closeAction, closeQuestion } from '../../src/main/desktop/close-guard';
import { menuTemplate, PAGES } from '../../src/main/desktop/menu';
import { Notices } from '../../src/main/desktop/notices';
import { DEFAULT_WINDOW, fitWindow, loadWindowState, saveWindowState } from '../../src/main/desktop/window-state';
import { createApp } from '../../src/main/app';
import { repoRoot, tempDir } from '../helpers';

const laptop = { x: 0, y: 0, width: 1920, height: 1050 };
const rightScreen = { x: 1920, y: 0, width: 2560, height: 1400 };

describe('window state', () => {
  it('comes back as saved, maximised state included, written atomically', () => {
    const file = path.join(tempDir(), 'sub', 'window-state.json');
    saveWindowState(file, { x: 100, y: 80, width: 1400, height: 900, maximized: true });
    expect(loadWindowState(file, [laptop])).toEqual({ x: 100, y: 80, width: 1400, height: 900, maximized: true });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['window-state.json']);
  });

  it('a missing or damaged file gives the default window', () => {
    const dir = tempDir();
    expect(loadWindowState(path.join(dir, 'none.json'), [laptop])).toEqual(DEFAULT_WINDOW);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"width": "wide"');
    expect(loadWindowState(path.join(dir, 'bad.json'), [laptop])).toEqual(DEFAULT_WINDOW);
    expect(fitWindow({ width: 'x', height: 3 }, [laptop])).toEqual(DEFAULT_WINDOW);
  });

  it('a window left on a screen that is gone opens centred on the primary one; one on a screen still there stays', () => {
    const saved = { x: 2200, y: 100, width: 1600, height: 1000, maximized: false };
    expect(fitWindow(saved, [laptop, rightScreen])).toMatchObject({ x: 2200, y: 100 });
    expect(fitWindow(saved, [laptop])).toEqual({ x: 160, y: 25, width: 1600, height: 1000, maximized: false });
    // Never larger than the primary screen, never smaller than usable.
    expect(fitWindow({ width: 5000, height: 100 }, [laptop])).toEqual({ width: 1920, height: 480, maximized: false });
  });
});

describe('closing the window while runs train', () => {
  it('asks only when this process trains something, and maps each answer', () => {
    expect(closeQuestion([])).toBeNull();
    expect(closeAction([], null)).toBe('close');
    expect(closeQuestion([7])!.message).toBe('Run #7 is training.');
    expect(closeQuestion([7, 9])!.message).toBe('2 runs are training (#7, #9).');
    expect([0, 1, 2, null].map((b) => closeAction([7], b))).toEqual(['background', 'stop-and-quit', 'cancel', 'cancel']);
  });
});

function run(id: number, status: RunSummary['status'], over: Partial<RunSummary> = {}): RunSummary {
  return {
    id, config: 'D', experiment: null, dataset: 'synthetic', status, backend: 'native', device: null, epoch: 12, epochs: 12, step: 1200,
    createdAt: '', startedAt: null, endedAt: null, error: null, valTop1: 0.9123, tags: [], notes: '', placement: 'local', worker: null,
    lr: 0.01, batch: 32, width: 0.125, inputSize: 32, scale: null, seed: 1, bestValTop1: 0.92, evaluation: null, ...over,
  };
}

describe('run-end notices', () => {
  it('one notice per run that trained here and then completed, diverged or failed; none for stops, old runs or other processes', () => {
    const n = new Notices();
    expect(n.take(run(1, 'running'), true)).toBeNull();
    expect(n.take(run(1, 'completed'), false)).toEqual({ runId: 1, title: 'Run #1 (VGG D) finished', body: '12 epochs · val top-1 91.2% (best 92.0%)' });
    expect(n.take(run(1, 'completed'), false)).toBeNull(); // told once
    n.take(run(2, 'running'), true);
    expect(n.take(run(2, 'diverged', { epoch: 3 }), false)!.title).toBe('Run #2 (VGG D) diverged');
    n.take(run(3, 'running'), true);
    expect(n.take(run(3, 'failed', { error: 'out of memory' }), false)).toMatchObject({ title: 'Run #3 (VGG D) failed', body: 'out of memory' });
    n.take(run(4, 'running'), true);
    expect(n.take(run(4, 'stopped'), false)).toBeNull();
    expect(n.take(run(5, 'completed'), false)).toBeNull(); // never seen training: an old run
    n.take(run(6, 'running'), false); // another process trains it
    expect(n.take(run(6, 'completed'), false)).toBeNull();
  });
});

describe('application menu', () => {
  it('has the standard roles and a way to every page', () => {
    const seen: string[] = [];
    const menu = menuTemplate((h) => seen.push(h), 'linux');
    const roles = menu.map((m) => m.role).filter(Boolean);
    expect(roles).toEqual(['editMenu', 'viewMenu', 'windowMenu']);
    const items = menu.flatMap((m) => (Array.isArray(m.submenu) ? m.submenu : []));
    for (const item of items) (item.click as (() => void) | undefined)?.();
    expect(new Set(seen)).toEqual(new Set(PAGES.map((p) => p.hash)));
    expect(items.some((i) => i.role === 'quit')).toBe(true);
    expect(menuTemplate(() => {}, 'darwin')[0]!.role).toBe('appMenu');
  });

  it('the window icon is in resources/, a square PNG', async () => {
    const meta = await sharp(path.join(repoRoot, 'resources', 'icon.png')).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 512, height: 512 });
  });
});

describe('the folder picker through the contract', () => {
  it('answers with the folder the desktop dialog chose (null when cancelled); without the desktop app it says to type the path', async () => {
    const picks = ['/data/birds', null];
    const desktop = createApp({ dataDir: tempDir(), concurrency: 0, desktop: { pickFolder: async () => picks.shift() ?? null } });
    const browser = createApp({ dataDir: tempDir(), concurrency: 0 });
    try {
      expect((await desktop.handlers['app.info']({})).desktop).toBe(true);
      expect(await desktop.handlers['app.pickFolder']({})).toEqual({ path: '/data/birds' });
      expect(await desktop.handlers['app.pickFolder']({})).toEqual({ path: null });
      expect((await browser.handlers['app.info']({})).desktop).toBe(false);
      await expect(Promise.resolve().then(() => browser.handlers['app.pickFolder']({}))).rejects.toThrow(/type the folder's path/);
    } finally {
      await desktop.close();
      await browser.close();
    }
  });
});
