// UI benchmark (issue: 10,000 runs, a 1,000,000-point run): times what a user waits for in
// Chromium through `vgglab serve`. Prints figures; asserts nothing. Run: npm run bench:ui
// (RUNS=N and POINTS=N resize the seeded data; LIVE=0 skips the live-update rounds).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createApp } from '../src/main/app';
import { insertMetrics } from '../src/main/store/metrics';
import { insertRun, markFinished } from '../src/main/store/runs';
import { startServer } from '../src/main/transports/http';
import { rendererDir } from '../src/main/cli/commands/serve';
import { TrainParams, CONFIG_NAMES, type MetricPoint } from '../src/shared/domain';
import { thisProcess } from '../src/main/services/ownership';

const RUNS = Number(process.env.RUNS ?? 10_000);
const POINTS = Number(process.env.POINTS ?? 1_000_000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-uibench-'));
const app = createApp({ dataDir, concurrency: 0 });
const t0 = performance.now();
app.db.transaction(() => {
  for (let i = 0; i < RUNS; i++) {
    const params = TrainParams.parse({ config: CONFIG_NAMES[i % 6], seed: i, epochs: 10, lr: [0.01, 0.005, 0.02, 0.001][i % 4], batch: [16, 32, 64][i % 3], width: [0.125, 0.25][i % 2] });
    const id = insertRun(app.db, params, 'bench', thisProcess());
    markFinished(app.db, id, 'completed', { epochs: 10, train: { loss: 0.5, top1: 0.8 }, val: { loss: 0.7, top1: 0.7 + (i % 100) / 1000, top5: 0.95 }, lrDrops: [], imagesPerSec: 1000, data: { train: 1000, val: 100, classes: 10, skipped: 0 } }, null);
  }
})();
const big = insertRun(app.db, TrainParams.parse({ config: 'D', epochs: 1000 }), 'bench', thisProcess());
const steps = POINTS - 1000 * 6;
for (let from = 0; from < steps; from += 100_000) {
  const pts: MetricPoint[] = [];
  for (let s = from + 1; s <= Math.min(steps, from + 100_000); s++) pts.push({ step: s, epoch: Math.ceil(s / (steps / 1000)), split: 'train', name: 'loss', value: 2 * Math.exp(-s / steps) + 0.05 * Math.sin(s) });
  insertMetrics(app.db, big, pts);
}
const epochPts: MetricPoint[] = [];
for (let e = 1; e <= 1000; e++) {
  const step = Math.round((e * steps) / 1000);
  for (const [split, name, value] of [['train', 'epoch_loss', 2 * Math.exp(-e / 1000)], ['train', 'top1', 1 - Math.exp(-e / 300)], ['val', 'top1', 0.9 - 0.8 * Math.exp(-e / 300)], ['val', 'top5', 0.99 - 0.5 * Math.exp(-e / 200)], ['val', 'loss', 2 * Math.exp(-e / 800)], ['train', 'lr', 0.01 * 10 ** -Math.floor(e / 300)]] as const)
    epochPts.push({ step, epoch: e, split, name, value });
}
insertMetrics(app.db, big, epochPts);
markFinished(app.db, big, 'completed', null, null);
const pointCount = app.db.prepare('SELECT count(*) FROM metrics WHERE run_id = ?').pluck().get(big) as number;
console.log(`seeded ${RUNS} runs and a run of ${pointCount.toLocaleString('en-US')} metric points in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const staticDir = rendererDir();
if (!staticDir) throw new Error('build the UI first: npm run build');
const server = await startServer(app, { host: '127.0.0.1', port: 0, token: 'bench', staticDir });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const time = async (label: string, fn: () => Promise<unknown>, runs = 3) => {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label}: median ${ms[Math.floor(ms.length / 2)]!.toFixed(0)} ms (runs: ${ms.map((m) => m.toFixed(0)).join(', ')})`);
};
// In the page: when the first row enters the DOM, and the frame after it (double rAF: painted).
await page.addInitScript(() => {
  const w = window as unknown as { firstRow?: number; firstPaint?: number };
  const o = new MutationObserver(() => {
    if (w.firstRow === undefined && document.querySelector('[data-testid="runs-table"] tbody tr')) {
      w.firstRow = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => (w.firstPaint = performance.now())));
    }
  });
  document.addEventListener('DOMContentLoaded', () => o.observe(document.body, { childList: true, subtree: true }));
});
await page.goto(server.url);
const painted: number[] = [];
await time(`runs page, ${RUNS + 1} runs: first screen (Playwright sees the first row)`, async () => {
  await page.goto('about:blank');
  await page.goto(server.url.replace('/?', '/?r=' + Math.random() + '&') + '#/runs');
  await page.locator('[data-testid="runs-table"] tbody tr').first().waitFor();
  await page.waitForFunction(() => (window as unknown as { firstPaint?: number }).firstPaint !== undefined);
  painted.push(await page.evaluate(() => (window as unknown as { firstPaint: number }).firstPaint));
}, 5);
painted.sort((a, b) => a - b);
console.log(`runs page: first screen painted, from navigation start: median ${painted[2]!.toFixed(0)} ms (runs: ${painted.map((m) => m.toFixed(0)).join(', ')})`);
// Filters need the whole list, which follows the first screen.
await page.getByText(/in all\)/).waitFor();
await time('runs page: filter by text', async () => {
  await page.getByRole('searchbox').fill('');
  await page.getByRole('searchbox').fill(`#${Math.floor(RUNS / 2)}`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="runs-table"] tbody tr').length <= 11);
});
await time('runs page: filter by status', async () => {
  await page.getByRole('searchbox').fill('');
  await page.getByLabel('Status').selectOption('completed');
  await page.getByLabel('Status').selectOption('');
  await page.locator('[data-testid="runs-table"] tbody tr').first().waitFor();
});
await time(`run page, ${pointCount.toLocaleString('en-US')} points: charts drawn`, async () => {
  await page.goto('about:blank');
  await page.goto(server.url + `#/run/${big}`);
  await page.waitForFunction(() => Number(document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-points')) > 1000 && Number(document.querySelector('canvas[aria-label="Top-1 accuracy"]')?.getAttribute('data-points')) === 2000);
});
const drawn = await page.locator('canvas[aria-label="Training loss"]').getAttribute('data-points');
console.log(`loss chart draws ${drawn} points (min/max per bucket) for ${pointCount.toLocaleString('en-US')} stored`);
await time('run page: zoom to 1,000 steps at full resolution', async () => {
  await page.getByLabel('Zoom from step').fill('500000');
  await page.getByLabel('Zoom to step').fill('500999');
  await page.getByRole('button', { name: 'Zoom', exact: true }).click();
  await page.waitForFunction(() => Number(document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-points')) < 4000);
  await page.getByRole('button', { name: 'Whole run' }).click();
  await page.waitForFunction(() => Number(document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-points')) > 4000);
});
// Smoothing while the slider is dragged: each step of the slider, from the input event to the frame
// after the chart's redraw (the loss chart of the big run: its stored points in min/max buckets).
await page.locator('input[name="smoothing"]').fill('0');
const slide = await page.evaluate(async () => {
  // No named functions in here: tsx would wrap them in a helper the page does not have.
  const input = document.querySelector('input[name="smoothing"]') as HTMLInputElement;
  const ms: number[] = [];
  for (let v = 0.05; v < 0.99; v += 0.05) {
    const t = performance.now();
    input.value = v.toFixed(2);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b);
});
console.log(`run page: smoothing slider, input to redrawn frame over ${slide.length} steps: median ${slide[slide.length >> 1]!.toFixed(0)} ms, worst ${slide.at(-1)!.toFixed(0)} ms (${drawn} points drawn, two frames included)`);
const { ema } = await import('../src/renderer/src/lib/smooth');
const million = Array.from({ length: 1_000_000 }, (_, i) => ({ x: i + 1, y: Math.exp(-i / 3e5) + 0.05 * Math.sin(i) }));
await time('smoothing: ema of a 1,000,000-point series (Node, the function the chart uses)', async () => ema(million, 0.6), 5);
await page.locator('input[name="smoothing"]').fill('0');
await page.screenshot({ path: path.join(dataDir, 'big-run.png') });
// Parallel coordinates of 1,000 runs, from the Runs page (the list already loaded) to the frame
// after the last line is drawn.
await page.goto(server.url + '#/runs');
await page.getByText(/in all\)/).waitFor();
const thousand = app.db.prepare('SELECT id FROM runs ORDER BY id LIMIT 1000').pluck().all() as number[];
const pcp: number[] = [];
for (let round = 0; round < 3; round++) {
  await page.evaluate(() => (location.hash = '#/runs'));
  await page.locator('[data-testid="runs-table"] tbody tr').first().waitFor();
  // Timed in the page: from the hash change to the frame after the last line.
  pcp.push(
    await page.evaluate(async (ids) => {
      const t0 = performance.now();
      location.hash = `#/analyse/${ids.join(',')}`;
      while (document.querySelectorAll('[data-testid="parallel-coords"] polyline').length < ids.length) await new Promise((r) => requestAnimationFrame(r));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t0;
    }, thousand),
  );
}
pcp.sort((a, b) => a - b);
console.log(`analyse page: parallel coordinates of 1,000 runs, from the hash change to the frame after the lines: median ${pcp[1]!.toFixed(0)} ms (runs: ${pcp.map((m) => m.toFixed(0)).join(', ')})`);
await server.close();
await app.close();
if (process.env.LIVE === '0') {
  // LIVE=0: the pages only, without the live-update rounds (which train eight runs).
  await browser.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

// Live updates: the same training run, unwatched and then watched on its run page; the trainer's
// images/s (epochs 2 on; the first warms up) is compared.
const liveDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgglab-uibench-live-'));
const live = createApp({ dataDir: liveDir });
const liveServer = await startServer(live, { host: '127.0.0.1', port: 0, token: 'bench', staticDir });
/** CPU seconds used so far by every Chromium process (Linux /proc), to show what watching costs in CPU. */
const chromiumCpu = (): number => {
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chromium')) continue;
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks / 100;
};
let watchCpu = 0;
let watchWall = 0;
const trainRate = async (watch: boolean) => {
  const cpu0 = chromiumCpu();
  const wall0 = performance.now();
  const { id } = await live.runs.start(TrainParams.parse({ config: 'A', inputSize: 32, width: 0.125, epochs: 5, batch: 32, trainSamples: 4000, valSamples: 200, schedule: 'none', seed: 1, experiment: 'live-bench', backend: process.env.BACKEND as never }));
  if (watch) await page.goto(liveServer.url + `#/run/${id}`);
  else await page.goto('about:blank');
  await live.runs.waitFor(id);
  if (watch) {
    watchCpu += chromiumCpu() - cpu0;
    watchWall += (performance.now() - wall0) / 1000;
  }
  const rates = live.runs.metrics(id, -1).filter((p) => p.name === 'images_per_sec').map((p) => p.value);
  return rates.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, rates.length - 1);
};
const rounds: [number, number][] = [];
// Alternating which goes first cancels slow drifts of the machine's speed.
for (let r = 0; r < 4; r++) {
  if (r % 2 === 0) rounds.push([await trainRate(false), await trainRate(true)]);
  else {
    const w = await trainRate(true);
    rounds.push([await trainRate(false), w]);
  }
}
const unwatched = rounds.reduce((a, [u]) => a + u, 0) / rounds.length;
const watched = rounds.reduce((a, [, w]) => a + w, 0) / rounds.length;
console.log(`live updates: Chromium used ${(100 * watchCpu / watchWall).toFixed(1)}% of one core while showing the training run page`);
const costs = rounds.map(([u, w]) => 1 - w / u).sort((a, b) => a - b);
const medianCost = (costs[(costs.length - 1) >> 1]! + costs[costs.length >> 1]!) / 2;
console.log(`live updates: median cost per round ${(100 * medianCost).toFixed(1)}% (a round trains the same run unwatched and watched, back to back)`);
console.log(`live updates: trainer ${unwatched.toFixed(0)} img/s unwatched, ${watched.toFixed(0)} img/s with its run page open (cost ${(100 * (1 - watched / unwatched)).toFixed(1)}%; rounds: ${rounds.map(([u, w]) => `${u.toFixed(0)}/${w.toFixed(0)}`).join(', ')})`);
await browser.close();
await liveServer.close();
await live.close();
fs.rmSync(liveDir, { recursive: true, force: true });
fs.rmSync(dataDir, { recursive: true, force: true });
