// The Runs page with a dozen runs of every final state, the New-run form's checks and schedule
// preview, and a run page that is open before the run's first step, in Chromium via `vgglab serve`.
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { killed, vgglab, waitInDb } from '../cli-process';
import { outputDir, skipNote, tempDir } from '../helpers';
import { apiCall, noChromium, serve, servedPage, untilFinished } from './serve';
import { need } from '../require';
import type { RunSummary } from '../../src/shared/domain';
import { dimension, influence } from '../../src/renderer/src/lib/analysis';

const chromiumMissing = need('chromium', noChromium);

const token = 'runs-page-token';
const dataDir = tempDir();
let s: ReturnType<typeof servedPage>;
const call = <T = any>(method: string, args: unknown = {}) => apiCall<T>(s.served, token, method, args);
const untilDone = (id: number) => untilFinished(s.served, token, id);
const tiny = { config: 'A', inputSize: 32, width: 0.0625, batch: 16, trainSamples: 32, valSamples: 16, epochs: 1 };
const rowsText = () => s.page.getByTestId('runs-table').locator('tbody tr').allTextContents();
const rowIds = async () => (await s.page.getByTestId('runs-table').locator('tbody tr td:nth-child(2)').allTextContents()).map((t) => Number(t.replace('#', '')));
const select = (label: string, value: string) => s.page.getByRole('search').getByLabel(label).selectOption(value);

describe.skipIf(!!chromiumMissing)(`Runs page, New-run form and live charts in Chromium${skipNote(chromiumMissing)}`, () => {
  s = servedPage(dataDir, token);

  it('lists 12 runs of mixed states; searches, filters, sorts; tags and notes survive a restart', async () => {
    // Completed runs of four configurations, one diverged, one failed, one stopped, one interrupted.
    const configs = ['A', 'A-LRN', 'B', 'A', 'B', 'C', 'A', 'A-LRN'];
    for (const [i, config] of configs.entries()) expect(await untilDone((await call('runs.start', { ...tiny, config, seed: i + 1 })).id)).toBe('completed');
    expect(await untilDone((await call('runs.start', { ...tiny, config: 'A', epochs: 2, lr: 5 })).id)).toBe('diverged');
    const empty = tempDir('vgglab-empty-');
    expect(await untilDone((await call('runs.start', { ...tiny, config: 'B', dataset: `folder:${empty}` })).id)).toBe('failed');
    const long = await call('runs.start', { ...tiny, config: 'C', epochs: 10_000, schedule: 'none' });
    await waitInDb(dataDir, `run ${long.id}'s first step`, (db) => (db.prepare("SELECT count(*) FROM metrics WHERE run_id = ? AND name = 'loss'").pluck().get(long.id) as number) > 0);
    await call('runs.stop', { id: long.id });
    expect(await untilDone(long.id)).toBe('stopped');
    // A CLI run in the same data folder, killed mid-training: it shows as interrupted.
    const cli = vgglab(dataDir, ['train', '--config', 'B', '--width', '0.0625', '--train-samples', '32', '--val-samples', '16', '--batch', '16', '--epochs', '10000', '--schedule', 'none']);
    await waitInDb(dataDir, "the CLI run's first step", (db) => (db.prepare("SELECT count(*) FROM metrics WHERE run_id = 12 AND name = 'loss'").pluck().get() as number) > 0, { watch: { 'CLI trainer': cli.proc } });
    await killed(cli.proc);

    // Tags and notes from the run pages.
    const annotate = async (id: number, tags: string, notes: string) => {
      await s.page.goto(`${s.served.url}#/run/${id}`);
      await s.page.getByText('Tags and notes').click();
      await s.page.locator('input[name="tags"]').fill(tags);
      await s.page.locator('textarea[name="notes"]').fill(notes);
      await s.page.getByRole('button', { name: 'Save', exact: true }).click();
      await s.page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
    };
    await annotate(2, 'baseline, lrn', 'the LRN one');
    await annotate(5, 'baseline', 'second B, seed five');

    await s.served.stop();
    s.served = await serve(dataDir, token);
    await s.page.goto(s.served.url);
    await s.page.getByTestId('runs-table').locator('tbody tr').nth(11).waitFor();
    expect(await rowIds()).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const statusOf = async (id: number) => (await rowsText())[12 - id]!;
    expect(await statusOf(9)).toContain('diverged');
    expect(await statusOf(10)).toContain('failed');
    expect(await statusOf(11)).toContain('stopped');
    expect(await statusOf(12)).toContain('interrupted');
    expect(await statusOf(2)).toContain('baseline, lrn');

    // Search covers notes; each filter narrows the list; clearing it brings every run back.
    const search = s.page.getByRole('search').getByLabel('Search');
    await search.fill('LRN one');
    expect(await rowIds()).toEqual([2]);
    await search.fill('');
    await select('Tag', 'baseline');
    expect(await rowIds()).toEqual([5, 2]);
    await select('Tag', '');
    await select('Config', 'B');
    expect(await rowIds()).toEqual([12, 10, 5, 3]);
    await select('Status', 'completed');
    expect(await rowIds()).toEqual([5, 3]);
    await select('Config', '');
    await select('Status', 'interrupted');
    expect(await rowIds()).toEqual([12]);
    await select('Status', '');
    const runs = await call<{ id: number; backend: string | null; config: string; valTop1: number | null }[]>('runs.list');
    const backend = runs.find((r) => r.id === 1)!.backend!;
    await select('Backend', backend);
    expect(await rowIds()).toEqual(runs.filter((r) => r.backend === backend).map((r) => r.id));
    await select('Backend', '');

    // Sorting: by configuration (A first, ties by id), then validation top-1 (best first).
    await s.page.getByRole('button', { name: /^Config/ }).click();
    const byConfig = [...runs].sort((a, b) => a.config.localeCompare(b.config) || a.id - b.id).map((r) => r.id);
    expect(await rowIds()).toEqual(byConfig);
    await s.page.getByRole('button', { name: /^Val top-1/ }).click();
    const vals = (await call<{ id: number; valTop1: number | null }[]>('runs.list')).map((r) => ({ id: r.id, v: r.valTop1 ?? -1 }));
    const shownVals = (await rowIds()).map((id) => vals.find((x) => x.id === id)!.v);
    expect(shownVals).toEqual([...shownVals].sort((a, b) => b - a));
    await s.page.screenshot({ path: path.join(outputDir(), 'runs-filtered.png'), fullPage: true });

    // A run that failed before training leads with the error and what to do: no empty charts, no Evaluate.
    await s.page.goto(`${s.served.url}#/run/10`);
    await s.page.getByTestId('run-failure').waitFor();
    await expect(s.page.getByTestId('run-failure').textContent()).resolves.toMatch(/failed before training began.*found 0 class folder\(s\); at least 2 are needed.*New run/s);
    await expect(s.page.locator('canvas').count()).resolves.toBe(0);
    await expect(s.page.getByTestId('evaluate').count()).resolves.toBe(0);

    // The notes are on the run page after the restart too.
    await s.page.goto(`${s.served.url}#/run/5`);
    await s.page.getByText('Tags and notes').click();
    await expect(s.page.locator('textarea[name="notes"]').inputValue()).resolves.toBe('second B, seed five');
    await expect(s.page.locator('input[name="tags"]').inputValue()).resolves.toBe('baseline');
  });

  it('chooses columns (kept after a reload), sorts on a parameter, groups by experiment and compares a whole group', async () => {
    const sweep = [];
    for (const lr of [0.02, 0.005]) sweep.push((await call<{ id: number }>('runs.start', { ...tiny, lr, experiment: 'lr sweep' })).id);
    for (const id of sweep) expect(await untilDone(id)).toBe('completed');
    await s.page.goto(s.served.url + '#/runs');
    await s.page.getByTestId('runs-table').waitFor();
    await s.page.getByText('Columns', { exact: true }).click();
    for (const key of ['lr', 'experiment', 'best']) await s.page.locator(`input[name="column-${key}"]`).check();
    await s.page.reload();
    const headers = () => s.page.getByTestId('runs-table').locator('thead th').allTextContents();
    await s.page.getByTestId('runs-table').waitFor();
    expect(await headers()).toEqual(expect.arrayContaining(['LR', 'Experiment', 'Best val top-1']));
    // Sorted on the learning rate, smallest first, ties by id; the diverged run's lr 5 last.
    await s.page.getByRole('button', { name: /^LR/ }).click();
    const runs = await call<{ id: number; lr: number }[]>('runs.list');
    expect(await rowIds()).toEqual([...runs].sort((a, b) => a.lr - b.lr || a.id - b.id).map((r) => r.id));
    // Grouped: the experiment's runs together under its name; "select all" picks them for Compare.
    await s.page.locator('input[name="group-by-experiment"]').check();
    const group = s.page.getByTestId('experiment-group').filter({ hasText: 'lr sweep' });
    await expect(group.textContent()).resolves.toMatch(/lr sweep \(2 runs\)/);
    await group.getByRole('button', { name: 'select all' }).click();
    await s.page.getByRole('button', { name: 'Compare' }).click();
    await s.page.waitForURL(/#\/compare\/\d+,\d+$/);
    expect(new URL(s.page.url()).hash.split('/')[2]!.split(',').map(Number).sort((a, b) => a - b)).toEqual([...sweep].sort((a, b) => a - b));
    // The choice holds only for this table's columns: turning them off again restores the defaults.
    await s.page.goto(s.served.url + '#/runs');
    await s.page.getByText('Columns', { exact: true }).click();
    for (const key of ['lr', 'experiment', 'best']) await s.page.locator(`input[name="column-${key}"]`).uncheck();
    expect(await headers()).not.toContain('LR');
  });

  it('Analyse: ranks the parameters by how far they moved the metric, brushes an axis to keep a range, and compares what is kept', async () => {
    await s.page.goto(s.served.url + '#/runs');
    await s.page.getByTestId('runs-table').waitFor();
    await s.page.getByRole('button', { name: 'Analyse all' }).click();
    await s.page.waitForURL(/#\/analyse$/);
    const pcp = s.page.getByTestId('parallel-coords');
    await pcp.waitFor();
    const runs = await call<RunSummary[]>('runs.list');
    // No run is evaluated here, so the metric is the best validation top-1; the table is the one the
    // library computes (test/unit/analysis.test.ts checks its arithmetic on runs made for it).
    const expected = influence(runs, dimension('best'));
    const rows = s.page.getByTestId('influence').locator('tbody tr');
    expect(await rows.count()).toBe(expected.length);
    expect(await rows.first().locator('td').first().textContent()).toBe(expected[0]!.dim.label);
    // Every run is a line, all bright before any brush.
    expect(await pcp.locator('polyline.on').count()).toBe(runs.length);
    await s.page.getByText(`${runs.length} of ${runs.length} runs in the brushes`).waitFor();
    // Brush the top 40 % of the Config axis: the configurations there are C (top) and B (two thirds
    // up); A-LRN (a third) and A (bottom) fall outside, whatever the runs' own numbers.
    const axis = (await s.page.getByTestId('axis-config').boundingBox())!;
    const x = axis.x + axis.width / 2;
    const brushTop = async () => {
      await s.page.mouse.move(x, axis.y + 2);
      await s.page.mouse.down();
      await s.page.mouse.move(x, axis.y + axis.height * 0.2, { steps: 4 });
      await s.page.mouse.move(x, axis.y + axis.height * 0.4, { steps: 4 });
      await s.page.mouse.up();
      await s.page.getByTestId('brush-config').waitFor();
    };
    await brushTop();
    const keptIds = (await pcp.locator('polyline.on').evaluateAll((ls) => ls.map((l) => Number(l.getAttribute('data-run'))))).sort((a, b) => a - b);
    const expectedKept = runs.filter((r) => r.config === 'B' || r.config === 'C').map((r) => r.id).sort((a, b) => a - b);
    expect(keptIds).toEqual(expectedKept);
    await s.page.getByText(`${expectedKept.length} of ${runs.length} runs in the brushes`).waitFor();
    // The scatter shows the kept runs that have the metric, against the chosen parameter.
    await s.page.locator('select[name="scatter-x"]').selectOption('config');
    const withMetric = runs.filter((r) => expectedKept.includes(r.id) && r.bestValTop1 !== null).length;
    expect(await s.page.getByTestId('scatter').locator('circle').count()).toBe(withMetric);
    await s.page.screenshot({ path: path.join(outputDir(), 'analyse.png'), fullPage: true });
    // A click on the axis, without a drag, clears its brush; then brushed again, Compare takes what is kept.
    await s.page.mouse.click(x, axis.y + axis.height / 2);
    await s.page.getByText(`${runs.length} of ${runs.length} runs in the brushes`).waitFor();
    expect(await pcp.locator('polyline.on').count()).toBe(runs.length);
    await brushTop();
    await s.page.getByTestId('compare-kept').click();
    await s.page.waitForURL(/#\/compare\//);
    expect(new URL(s.page.url()).hash.split('/')[2]!.split(',').map(Number).sort((a, b) => a - b)).toEqual(expectedKept);
  });

  it('New run: a bad value shows the accepted range beside its field and disables Start; the preview shows the drops', async () => {
    await s.page.goto(s.served.url + '#/new');
    const start = s.page.getByRole('button', { name: 'Start run' });
    // Found by name: once the error shows, it is part of the label's text.
    const epochs = s.page.locator('input[name="epochs"]');
    await epochs.waitFor();
    await expect(start.isEnabled()).resolves.toBe(true);
    await epochs.fill('0');
    const label = s.page.locator('label', { has: epochs });
    await expect(label.locator('.field-error').textContent()).resolves.toBe('accepted: whole numbers 1 to 100000');
    await expect(epochs.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(start.isDisabled()).resolves.toBe(true);
    const lr = s.page.locator('input[name="lr"]');
    await lr.fill('-1');
    await expect(s.page.locator('label', { has: lr }).locator('.field-error').textContent()).resolves.toBe('accepted: more than 0 to 10');
    await lr.fill('0.01');
    await epochs.fill('6');
    await expect(label.locator('.field-error').count()).resolves.toBe(0);
    await expect(start.isEnabled()).resolves.toBe(true);

    // A step schedule: the preview lists each segment with its rate.
    const schedule = s.page.locator('input[name="schedule"]');
    await schedule.fill('step:2,4');
    const preview = s.page.getByTestId('schedule-preview');
    await expect(preview.locator('.seg').allTextContents()).resolves.toEqual(['epochs 1–2: 1e-2', 'epochs 3–4: 1e-3', 'epochs 5–6: 1e-4']);
    await schedule.fill('sometimes');
    await expect(s.page.locator('label', { has: schedule }).locator('.field-error').textContent()).resolves.toMatch(/accepted: plateau, none, step:E1,E2/);
    await expect(start.isDisabled()).resolves.toBe(true);
    await schedule.fill('plateau');
    await s.page.getByLabel('Plateau patience (epochs)', { exact: true }).fill('3');
    await expect(preview.textContent()).resolves.toMatch(/not improved for 3 epochs, at most 3 times\s*\(1e-2 → 1e-3 → 1e-4 → 1e-5\)/);
    // The training scale: the paper's values offered, a malformed one refused beside the field.
    const scale = s.page.locator('input[name="scale"]');
    await expect(s.page.locator('datalist#scales option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).resolves.toEqual(['37', '55', '37:73']);
    await scale.fill('big');
    await expect(s.page.locator('label', { has: scale }).locator('.field-error').textContent()).resolves.toBe('accepted: S or SMIN:SMAX');
    await expect(start.isDisabled()).resolves.toBe(true);
    await scale.fill('');
    await expect(start.isEnabled()).resolves.toBe(true);
    await s.page.screenshot({ path: path.join(outputDir(), 'new-run-invalid.png'), fullPage: true });
  });

  it('a run page opened before the first step shows the point count growing, update after update', async () => {
    // Run Y waits in the queue behind run X; its page is open (no points) before it starts.
    const x = await call('runs.start', { ...tiny, trainSamples: 256, epochs: 10_000, schedule: 'none' });
    const y = await call('runs.start', { ...tiny, trainSamples: 256, epochs: 10_000, schedule: 'none', seed: 9 });
    await s.page.goto(`${s.served.url}#/run/${y.id}`);
    await s.page.getByTestId('run-status').filter({ hasText: 'queued' }).waitFor();
    const loss = s.page.locator('canvas[aria-label="Training loss"]');
    expect(Number((await loss.getAttribute('data-points')) ?? 0)).toBe(0);
    await call('runs.stop', { id: x.id });
    const counts: number[] = [];
    const until = Date.now() + 120_000;
    while (Date.now() < until && new Set(counts.filter((n) => n > 0)).size < 4) {
      counts.push(Number((await loss.getAttribute('data-points')) ?? 0));
      await s.page.waitForTimeout(1100);
    }
    // Four different, growing counts: three one-second updates after the first points arrived.
    const seen = [...new Set(counts.filter((n) => n > 0))];
    expect(seen.length, JSON.stringify(counts)).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    await call('runs.stop', { id: y.id });
    expect(await untilDone(y.id)).toBe('stopped');
    expect(fs.existsSync(path.join(dataDir, 'runs', String(y.id), 'checkpoints'))).toBe(true);
  });
});
