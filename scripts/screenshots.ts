// The README's screenshots, taken in Chromium through the served UI on a real data folder (the
// Fashion-MNIST study of "Reproducing Table 3"): the Runs page with parameter columns, a run page
// with its evaluation and "Try the model", Compare with Table 3, and Analyse.
//   npx tsx scripts/screenshots.ts DATA_DIR [RUN]
// DATA_DIR is used as is: the script evaluates RUN (centre crop) once, which adds an evaluation.
// The tests take their own screenshots of every page into test-output/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { createApp } from '../src/main/app';
import { rendererDir } from '../src/main/cli/commands/serve';
import { loadMnist } from '../src/main/data/sources/mnist/idx';
import { specPath } from '../src/main/data/spec';
import { startServer } from '../src/main/transports/http';

const [dataDir, runArg] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: npx tsx scripts/screenshots.ts DATA_DIR [RUN]');
const out = path.resolve('docs/screenshots');
const app = createApp({ dataDir, concurrency: 0 });
const server = await startServer(app, { host: '127.0.0.1', port: 0, token: 'shots', staticDir: rendererDir()! });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
try {
  const runs = app.runs.list();
  const evaluated = runs.filter((r) => r.evaluation?.top1Error != null).sort((a, b) => a.evaluation!.top1Error! - b.evaluation!.top1Error!);
  const id = Number(runArg ?? evaluated[0]?.id ?? runs[0]!.id);

  // Runs: parameter and result columns, grouped by experiment.
  await page.goto(server.url + '#/runs');
  await page.evaluate(() => localStorage.setItem('vgglab.runs.columns', JSON.stringify(['epoch', 'scale', 'lr', 'seed', 'best', 'evalTop1', 'duration'])));
  await page.reload();
  await page.getByTestId('runs-table').waitFor();
  await page.locator('input[name="group-by-experiment"]').check();
  await page.screenshot({ path: path.join(out, 'runs-page.png') });

  // A run page: evaluated (the mistakes with their images) and tried on a few test images.
  await app.evaluations.evaluate([id], 'center');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-shots-'));
  const files: string[] = [];
  const root = specPath(app.runs.get(id).dataset);
  if (root) {
    const d = loadMnist(root, 28, true);
    for (const i of [0, 1, 2, 3, 4, 5]) {
      const px = Uint8Array.from(d.test.pixels.subarray(i * 28 * 28 * 3, (i + 1) * 28 * 28 * 3), (v) => Math.round(v));
      const file = path.join(dir, `test-${i}.png`);
      await sharp(px, { raw: { width: 28, height: 28, channels: 3 } }).resize(112, 112, { kernel: 'nearest' }).png().toFile(file);
      files.push(file);
    }
  }
  await page.goto(server.url + `#/run/${id}`);
  await page.getByTestId('evaluation-details').first().waitFor();
  if (files.length) {
    await page.locator('input[name="try-files"]').setInputFiles(files);
    await page.getByTestId('prediction').nth(files.length - 1).waitFor({ timeout: 120_000 });
  }
  await page.screenshot({ path: path.join(out, 'run-evaluated.png'), fullPage: true });
  await page.getByTestId('try-model').screenshot({ path: path.join(out, 'try-model.png') });

  // Compare with Table 3, and Analyse on test error.
  const ids = evaluated.slice(0, 12).map((r) => r.id);
  await page.goto(server.url + `#/compare/${ids.join(',')}`);
  await page.locator('canvas').first().waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'compare.png'), fullPage: true });
  await page.goto(server.url + '#/analyse');
  await page.getByTestId('parallel-coords').waitFor();
  await page.locator('select[name="analysis-metric"]').selectOption('evalTop1');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'analyse.png'), fullPage: true });
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`screenshots of run ${id} and ${runs.length} runs in ${out}`);
} finally {
  await browser.close();
  await server.close();
  await app.close();
}
