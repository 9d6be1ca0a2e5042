// The desktop window through Playwright's Electron driver, where Electron's binary exists.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { _electron } from 'playwright-core';
import { outputDir, repoRoot, tempDir } from '../helpers';
import { track } from '../processes';
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
});
