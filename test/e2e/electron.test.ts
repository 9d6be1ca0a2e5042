// The desktop window through Playwright's Electron driver, where Electron's binary exists.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { _electron } from 'playwright-core';
import { outputDir, repoRoot, tempDir } from '../helpers';
import { launch, track } from '../processes';
import { until } from '../wait';
import { electronBinary } from '../../scripts/electron-binary.mjs';

const bin = electronBinary(repoRoot);
const canDisplay = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const reason = !bin
  ? "skipped: Electron's binary is not installed (its download failed at npm install; offline machine)"
  : !canDisplay
    ? 'skipped: no display (set DISPLAY, e.g. run under xvfb-run)'
    : '';

if (reason) console.warn(`Electron end-to-end test ${reason}`);

describe('Electron window', () => {
  it.skipIf(Boolean(reason))(`opens the app window with the run list ${reason ? `(${reason})` : ''}`, async () => {
    // The data folder and Electron's own profile (its userData, under XDG_CONFIG_HOME on Linux, and
    // Chromium's --user-data-dir) in temporary folders: never the user's real config folder.
    const profile = tempDir('vgglab-electron-profile-');
    const app = await _electron.launch({
      executablePath: bin!,
      args: [`--user-data-dir=${profile}`, repoRoot],
      env: { ...process.env, VGGLAB_HOME: tempDir(), XDG_CONFIG_HOME: profile } as Record<string, string>,
    });
    track(app.process(), 'electron');
    try {
      const win = await app.firstWindow();
      await win.getByTestId('no-runs').waitFor({ timeout: 60_000 });
      // The renderer has the bridge and nothing of Node.
      expect(await win.evaluate(() => typeof (window as unknown as { api?: unknown }).api)).toBe('object');
      expect(await win.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe('undefined');
      await win.screenshot({ path: path.join(outputDir(), 'electron.png') });
    } finally {
      await app.close();
    }
  });

  it.skipIf(Boolean(reason))(`behaves as a desktop app: one instance, the window's size kept, the Go menu ${reason ? `(${reason})` : ''}`, async () => {
    const profile = tempDir('vgglab-electron-profile-');
    const env = { ...process.env, VGGLAB_HOME: tempDir(), XDG_CONFIG_HOME: profile } as Record<string, string>;
    const args = [`--user-data-dir=${profile}`, repoRoot];
    const open = async () => {
      const app = await _electron.launch({ executablePath: bin!, args, env });
      track(app.process(), 'electron');
      const win = await app.firstWindow();
      await win.getByTestId('no-runs').waitFor({ timeout: 60_000 });
      return { app, win };
    };
    let { app, win } = await open();
    try {
      // The menu: the standard roles and a Go menu whose items show the pages.
      const menus = await app.evaluate(({ Menu }) => Menu.getApplicationMenu()!.items.map((i) => i.label));
      expect(menus).toEqual(expect.arrayContaining(['File', 'Go']));
      await app.evaluate(({ Menu }) => Menu.getApplicationMenu()!.items.find((i) => i.label === 'Go')!.submenu!.items.find((i) => i.label === 'Analyse')!.click());
      await win.waitForURL(/#\/analyse$/);
      // A second launch on the same profile hands over to this one and ends by itself; one window stays.
      const second = launch(bin!, args, { env, what: 'second electron' });
      await until('the second launch to end', () => second.exitCode !== null, { timeoutMs: 60_000 });
      expect(second.exitCode).toBe(0);
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
      // The window's size comes back at the next launch.
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.setSize(900, 700));
      await app.close();
      ({ app, win } = await open());
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.getSize())).toEqual([900, 700]);
    } finally {
      await app.close();
    }
  });
});
