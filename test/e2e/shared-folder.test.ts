// `vgglab serve` and a CLI run on one data folder: the UI follows the CLI run live, shows it
// interrupted within one sweep after its process is SIGKILLed, and resumes it without duplicates.
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { killed, vgglab, waitInDb } from '../cli-process';
import { outputDir, skipNote, tempDir } from '../helpers';
import { noChromium, servedPage } from './serve';
import { need } from '../require';

const chromiumMissing = need('chromium', noChromium);

const dataDir = tempDir();
let s: ReturnType<typeof servedPage>;
const points = () => s.page.locator('canvas[aria-label="Training loss"]').getAttribute('data-points').then(Number);

describe.skipIf(!!chromiumMissing)(`serve beside a CLI run on one data folder${skipNote(chromiumMissing)}`, () => {
  s = servedPage(dataDir);

  it('follows the CLI run live, shows it interrupted within a sweep of its SIGKILL, and resumes it with every step once', async () => {
    const cli = vgglab(dataDir, ['train', '--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '64', '--val-samples', '16', '--epochs', '100000', '--schedule', 'none']);
    try {
      await waitInDb(dataDir, 'the CLI run eight steps in', (db) => (db.prepare("SELECT count(*) FROM metrics WHERE run_id = 1 AND split = 'train' AND name = 'loss'").pluck().get() as number) >= 8, { watch: { 'CLI trainer': cli.proc } });
      await s.page.goto(`${s.served.url}#/run/1`);
      await s.page.getByTestId('run-status').filter({ hasText: 'running' }).waitFor();
      // Its points reach this page although another process trains it.
      const first = await points();
      await s.page.waitForFunction((n) => Number(document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-points')) > n, first, { timeout: 30_000 });
      await expect(s.page.getByTestId('resume-run').count()).resolves.toBe(0);
    } finally {
      await killed(cli.proc);
    }
    const t0 = Date.now();
    // The sweep runs every 10 s: the status changes on the open page within one interval (plus slack).
    await s.page.getByTestId('run-status').filter({ hasText: 'interrupted' }).waitFor({ timeout: 25_000 });
    console.log(`shared folder: a SIGKILLed CLI run showed as interrupted in the open UI after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await s.page.getByTestId('resume-run').click();
    await s.page.getByTestId('run-status').filter({ hasText: /queued|running/ }).waitFor({ timeout: 60_000 });
    const db = new Database(path.join(dataDir, 'vgglab.db'), { readonly: true });
    try {
      const before = db.prepare("SELECT max(step) FROM checkpoints WHERE run_id = 1").pluck().get() as number;
      await waitInDb(dataDir, 'eight steps past the resumed checkpoint', (d) => (d.prepare("SELECT max(step) FROM metrics WHERE run_id = 1 AND split = 'train' AND name = 'loss'").pluck().get() as number) > before + 8);
      await s.page.getByTestId('stop-run').click();
      await s.page.getByTestId('run-status').filter({ hasText: 'stopped' }).waitFor({ timeout: 60_000 });
      expect(db.prepare('SELECT count(*) FROM (SELECT 1 FROM metrics GROUP BY run_id, split, name, step HAVING count(*) > 1)').pluck().get()).toBe(0);
      const steps = db.prepare("SELECT step FROM metrics WHERE run_id = 1 AND split = 'train' AND name = 'loss' ORDER BY step").pluck().all() as number[];
      expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
      expect(db.prepare("SELECT payload_json FROM events WHERE run_id = 1 AND kind = 'resume'").pluck().all().map((p) => JSON.parse(p as string).previousStatus)).toEqual(['interrupted']);
    } finally {
      db.close();
    }
    await s.page.screenshot({ path: path.join(outputDir(), 'resumed-cli-run.png'), fullPage: true });
  });
});
