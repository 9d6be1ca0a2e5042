// The whole journey in Chromium through `vgglab serve`: create A and B, compare them with their
// LR-drop markers, export CSV, JSON and a chart PNG and read them back, evaluate, delete a run.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { outputDir, skipNote, tempDir } from '../helpers';
import { apiCall, launchChromium, noChromium, serve, type Served } from './serve';
import { need } from '../require';

const chromiumMissing = need('chromium', noChromium);

let browser: Browser;
let served: Served;
let page: Page;
let dataDir: string;
const dialogs: string[] = [];

async function startRun(config: 'A' | 'B') {
  await page.goto(served.url + '#/new');
  await page.locator(`input[name="config"][value="${config}"]`).check({ force: true });
  for (const [label, value] of [['Epochs', '3'], ['Width multiplier', '0.0625'], ['At most N training images (empty: all)', '128'], ['At most N validation images (empty: all)', '64'], ['Plateau patience (epochs)', '1'], ['Plateau: minimum improvement of top-1', '1']])
    await page.getByLabel(label!, { exact: true }).fill(value!);
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/#\/run\/\d+$/);
  await page.getByTestId('run-status').filter({ hasText: 'completed' }).waitFor({ timeout: 240_000 });
  return Number(/#\/run\/(\d+)$/.exec(page.url())![1]);
}

async function downloadOf(click: () => Promise<void>): Promise<{ name: string; body: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const file = path.join(outputDir(), dl.suggestedFilename());
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), body: fs.readFileSync(file) };
}

describe.skipIf(!!chromiumMissing)(`journey: create, compare, export, evaluate, delete${skipNote(chromiumMissing)}`, () => {
  beforeAll(async () => {
    dataDir = tempDir();
    served = await serve(dataDir);
    browser = await launchChromium();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await ctx.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  let a = 0;
  let b = 0;

  it('trains A and B on the built-in data', async () => {
    a = await startRun('A');
    b = await startRun('B');
    expect(b).toBe(a + 1);
  });

  it('compares both, with their LR-drop markers and what differs', async () => {
    await page.goto(served.url + '#/runs');
    await page.getByLabel(`Select run ${a}`).check();
    await page.getByLabel(`Select run ${b}`).check();
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(new RegExp(`#/compare/(${a},${b}|${b},${a})$`));
    const chart = page.locator('canvas[aria-label="Validation top-1 per epoch"]');
    await page.waitForFunction(() => Number(document.querySelector('canvas[aria-label="Validation top-1 per epoch"]')?.getAttribute('data-points')) === 6);
    // Each run drops its rate after epochs 2 and 3.
    await expect(chart.getAttribute('data-markers')).resolves.toBe('4');
    const table = page.getByTestId('compare-table');
    await expect(table.locator('tbody tr', { hasText: `#${a}` }).count()).resolves.toBe(1);
    await expect(table.locator('tbody tr', { hasText: `#${b}` }).count()).resolves.toBe(1);
    await expect(page.getByTestId('config-diff').textContent()).resolves.toContain('config');
    // ConvNet fusion of the two, from the same page.
    await page.getByTestId('fuse').click();
    await table.locator('tbody tr', { hasText: 'fusion center' }).waitFor({ timeout: 120_000 });
    await page.screenshot({ path: path.join(outputDir(), 'compare.png'), fullPage: true });
  });

  it('exports the chart as a PNG of the canvas size', async () => {
    const canvas = page.locator('canvas[aria-label="Validation top-1 per epoch"]');
    const size = await canvas.evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    const png = await downloadOf(() => page.getByRole('button', { name: 'Save Validation top-1 per epoch as PNG' }).click());
    expect(png.body.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect([png.body.readUInt32BE(16), png.body.readUInt32BE(20)]).toEqual(size);
    // The chart is drawn, not blank: decoded, it has many pixels that differ from the background
    // (axes, grid, two curves, the markers), in more than one colour.
    const { data, info } = await sharp(png.body).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const bg = [data[0]!, data[1]!, data[2]!];
    let drawn = 0;
    const colours = new Set<string>();
    for (let i = 0; i < data.length; i += 3) {
      if (Math.abs(data[i]! - bg[0]!) + Math.abs(data[i + 1]! - bg[1]!) + Math.abs(data[i + 2]! - bg[2]!) > 60) {
        drawn += 1;
        colours.add(`${data[i]! >> 5},${data[i + 1]! >> 5},${data[i + 2]! >> 5}`);
      }
    }
    expect(drawn).toBeGreaterThan(info.width * info.height * 0.005);
    expect(colours.size).toBeGreaterThan(2);
  });

  it('exports the same chart as SVG: one path per run with every drawn point, and every marker', async () => {
    const svg = (await downloadOf(() => page.getByRole('button', { name: 'Save Validation top-1 per epoch as SVG' }).click())).body.toString('utf8');
    // Parsed by the browser's own XML parser: a well-formed SVG document.
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      if (doc.querySelector('parsererror')) return null;
      return {
        root: doc.documentElement.tagName,
        width: doc.documentElement.getAttribute('width'),
        series: [...doc.querySelectorAll('path.series')].map((p) => Number(p.getAttribute('data-points'))),
        markers: doc.querySelectorAll('line.marker').length,
      };
    }, svg);
    expect(parsed).not.toBeNull();
    expect(parsed!.root).toBe('svg');
    expect(Number(parsed!.width)).toBeGreaterThan(100);
    // Two runs × 3 epochs; two LR drops each.
    expect(parsed!.series).toEqual([3, 3]);
    expect(parsed!.markers).toBe(4);
  });

  it('exports CSV and JSON whose contents match the runs', async () => {
    await page.goto(served.url + '#/runs');
    await page.getByLabel(`Select run ${a}`).check();
    await page.getByLabel(`Select run ${b}`).check();
    const csv = await downloadOf(() => page.getByRole('button', { name: 'Export CSV' }).click());
    const lines = csv.body.toString('utf8').trim().split('\n');
    expect(lines[0]).toBe('run,config,epoch,step,split,metric,value');
    // 3 epochs × 4 steps of training loss per run, plus per-epoch metrics.
    expect(lines.filter((l) => l.startsWith(`${a},A,`) && l.includes(',train,loss,'))).toHaveLength(12);
    expect(lines.filter((l) => l.startsWith(`${b},B,`) && l.includes(',val,top1,'))).toHaveLength(3);
    const json = JSON.parse((await downloadOf(() => page.getByRole('button', { name: 'Export JSON' }).click())).body.toString('utf8'));
    expect(json.runs.map((r: { id: number }) => r.id).sort()).toEqual([a, b]);
    const ra = json.runs.find((r: { id: number }) => r.id === a);
    expect(ra.params.config).toBe('A');
    expect(ra.events.filter((e: { kind: string }) => e.kind === 'lr_drop')).toHaveLength(2);
    expect(ra.metrics.length).toBe(lines.filter((l) => l.startsWith(`${a},`)).length);
  });

  it('evaluates a run with the dense protocol from its page', async () => {
    await page.goto(served.url + `#/run/${a}`);
    await page.getByTestId('run-status').filter({ hasText: 'completed' }).waitFor();
    await page.locator('select[name="protocol"]').selectOption('dense');
    await page.getByTestId('evaluate').click();
    const row = page.getByTestId('evaluations').locator('tbody tr', { hasText: /^\d+dense/ }).first();
    await row.waitFor({ timeout: 120_000 });
    // The row shows the evaluation just recorded: its id, protocol, scales, image count and errors.
    const cells = await row.locator('td').allTextContents();
    const recorded = await page.evaluate(async ([url, id]) => {
      const res = await fetch(new URL('/api/call', url as string), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'evaluations.list', args: { id } }) });
      return (await res.json()).result;
    }, [served.url, a] as const);
    // Besides the fusion of A and B (made on the Compare page), exactly one evaluation of A.
    const own = recorded.filter((x: { runId: number | null }) => x.runId === a);
    expect(own).toHaveLength(1);
    const e = own[0];
    // The final weights, on the validation split (the built-in data has no test split), by default.
    expect(e).toMatchObject({ runId: a, protocol: 'dense', details: { checkpoint: { kind: 'last', epoch: 3 }, split: 'val' } });
    expect(e.details.count).toBe(64);
    expect(e.top5Error).toBeLessThanOrEqual(e.top1Error);
    // The centre crop at Q = S (32: the built-in data is drawn at the input size) on those weights scores
    // the validation images as the run's last epoch did (one image may differ where a near-tie falls
    // the other way under another batching).
    const center = await apiCall<{ top1Error: number; details: { count: number } }>(served, 'e2e-token', 'evaluations.run', { ids: [a], protocol: 'center', scales: [32] });
    const lastVal = (await apiCall<{ split: string; name: string; value: number }[]>(served, 'e2e-token', 'runs.metrics', { id: a })).filter((p) => p.split === 'val' && p.name === 'top1').at(-1)!.value;
    expect(Math.abs(center.top1Error - (1 - lastVal)) * center.details.count).toBeLessThanOrEqual(1 + 1e-9);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    expect(cells).toEqual([String(e.id), 'dense', e.scales.join(', '), 'final (epoch 3)', 'val', '64', pct(e.top1Error), pct(e.top5Error)]);
    // Its details: the confusion matrix as counts adds up to the images and its diagonal to the hits
    // top-1 counted; per-class accuracy, worst first.
    const details = page.getByTestId('evaluation-details').filter({ hasText: `Evaluation ${e.id}:` });
    await details.waitFor();
    await details.locator('input[name="confusion-normalised"]').uncheck();
    const grid = await details.getByTestId('confusion').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
    expect(grid.length).toBe(e.details.confusion.length);
    expect(grid).toEqual(e.details.confusion);
    expect(grid.flat().reduce((x, y) => x + y, 0)).toBe(64);
    expect(grid.reduce((sum, row, i) => sum + row[i]!, 0)).toBe(Math.round(64 * (1 - e.top1Error)));
    const accs = (await details.getByTestId('per-class').locator('.value').allTextContents()).map((t) => parseFloat(t));
    expect(accs).toEqual([...accs].sort((x, y) => x - y));
    // Each confident mistake is shown with its image as the net saw it (a 64 px PNG).
    expect(e.details.confidentMistakes.length).toBe(Math.min(10, Math.round(64 * e.top1Error)));
    for (const m of e.details.confidentMistakes) expect(m.image).toMatch(/^data:image\/png;base64,/);
    const shownImages = await details.getByTestId('mistakes').locator('tbody img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
    expect(shownImages).toEqual(e.details.confidentMistakes.map(() => 64));
    // Smoothing and the loss chart's log scale: drawn at once, and kept after a reload.
    const loss = page.locator('canvas[aria-label="Training loss"]');
    await page.locator('input[name="smoothing"]').fill('0.6');
    await page.locator('input[name="log-loss"]').check();
    await expect(loss.getAttribute('data-smoothed')).resolves.not.toBe('0');
    await expect(loss.getAttribute('data-log-y')).resolves.toBe('true');
    await page.reload();
    await expect(page.locator('input[name="smoothing"]').inputValue()).resolves.toBe('0.6');
    await expect(page.locator('canvas[aria-label="Training loss"]').getAttribute('data-log-y')).resolves.toBe('true');
    await page.locator('input[name="smoothing"]').fill('0');
    await page.locator('input[name="log-loss"]').uncheck();
    // Drag across the loss chart: the run's steps in that range, at full resolution (the zoom fields
    // follow); a double-click shows the whole run again.
    const chart = page.locator('canvas[aria-label="Training loss"]');
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 6 });
    await page.mouse.up();
    await page.waitForFunction(() => !!document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-x-range'));
    const [from, to] = (await chart.getAttribute('data-x-range'))!.split('-').map(Number);
    expect(to!).toBeGreaterThan(from!);
    await expect(page.getByLabel('Zoom from step').inputValue()).resolves.toBe(String(from));
    await expect(page.getByLabel('Zoom to step').inputValue()).resolves.toBe(String(to));
    await chart.dblclick();
    await page.waitForFunction(() => document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-x-range') === '');
    await expect(page.getByLabel('Zoom from step').inputValue()).resolves.toBe('');
    // The x axis as epochs (the loss's steps at their fractional epoch) and as training time (seconds,
    // within the run's wall time), then back to each chart's own.
    const xMax = async () => Number(await page.locator('canvas[aria-label="Training loss"]').getAttribute('data-x-max'));
    await page.locator('select[name="x-axis"]').selectOption('epoch');
    await page.waitForFunction(() => document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-x-label') === 'epoch');
    expect(await xMax()).toBeCloseTo(3, 9);
    await page.locator('select[name="x-axis"]').selectOption('time');
    await page.waitForFunction(() => document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-x-label') === 'training time (s)');
    const runA = await apiCall<{ startedAt: string; endedAt: string }>(served, 'e2e-token', 'runs.get', { id: a });
    expect(await xMax()).toBeGreaterThan(0);
    expect(await xMax()).toBeLessThanOrEqual((Date.parse(runA.endedAt) - Date.parse(runA.startedAt)) / 1000);
    await page.locator('select[name="x-axis"]').selectOption('own');
    await page.waitForFunction(() => document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-x-label') === 'step');
    // Dark mode: the charts' text and grid take the page's dark colours at once (app.css), and back.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-text-colour') === '#9aa3ad');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-text-colour') === '#5b6470');
    await page.screenshot({ path: path.join(outputDir(), 'run-evaluated.png'), fullPage: true });
  });

  it('deletes a run after asking, and it is gone', async () => {
    await page.goto(served.url + '#/runs');
    await page.getByLabel(`Select run ${b}`).check();
    const runFolder = path.join(dataDir, 'runs', String(b));
    expect(fs.readdirSync(path.join(runFolder, 'checkpoints')).length).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByLabel(`Select run ${b}`).waitFor({ state: 'detached' });
    // The confirmation was asked, naming what goes.
    expect(dialogs.at(-1)).toMatch(/Delete 1 run\(s\) with their metrics, checkpoints and evaluations\?/);
    await expect(page.getByTestId('runs-table').locator('tbody tr').count()).resolves.toBe(1);
    // Gone from the database and from the disk.
    const gone = await page.evaluate(async ([url, id]) => {
      const res = await fetch(new URL('/api/call', url as string), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'runs.get', args: { id } }) });
      return { status: res.status, body: await res.json() };
    }, [served.url, b] as const);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toMatch(new RegExp(`run ${b} does not exist`));
    expect(fs.existsSync(runFolder)).toBe(false);
    await page.screenshot({ path: path.join(outputDir(), 'runs-page.png'), fullPage: true });
    await page.goto(served.url + '#/new');
    // With finished runs on this backend, each configuration shows an estimated time per epoch.
    await page.getByTestId('epoch-estimate').first().waitFor();
    await expect(page.getByTestId('epoch-estimate').count()).resolves.toBe(6);
    await expect(page.getByTestId('memory-estimate').textContent()).resolves.toMatch(/a batch of up to \d+ fits/);
    await page.screenshot({ path: path.join(outputDir(), 'new-run-page.png'), fullPage: true });
  });
});
