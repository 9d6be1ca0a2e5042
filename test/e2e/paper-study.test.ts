// The paper study from the New-run form: the runs of Table 3, chained with the paper's warm starts,
// then shown on the Compare page in Table 3's layout with the paper's numbers beside the user's.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputDir, skipNote, tempDir } from '../helpers';
import { apiCall, noChromium, servedPage, untilFinished } from './serve';
import { need } from '../require';

const chromiumMissing = need('chromium', noChromium);

const token = 'study-token';
let s: ReturnType<typeof servedPage>;
const call = <T = any>(method: string, args: unknown = {}) => apiCall<T>(s.served, token, method, args);

describe.skipIf(!!chromiumMissing)(`paper study (Table 3)${skipNote(chromiumMissing)}`, () => {
  s = servedPage(tempDir(), token, { width: 1280, height: 1000 });

  it('queues Table 3’s twelve runs with the paper’s warm starts and shows them in its layout, evaluated', async () => {
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('input[name="epochs"]').waitFor();
    for (const [name, value] of [['epochs', '2'], ['width', '0.0625'], ['trainSamples', '64'], ['valSamples', '32'], ['batch', '16']] as const) await s.page.locator(`input[name="${name}"]`).fill(value);
    await s.page.locator('input[name="schedule"]').fill('none');
    // One seed, and the study's warm-up shown and recorded in every run.
    await expect(s.page.locator('input[name="study-seeds"]').inputValue()).resolves.toBe('1');
    await expect(s.page.locator('input[name="study-warmup"]').inputValue()).resolves.toBe('1');
    await s.page.getByTestId('paper-study').click();
    // The study's own page follows it as a whole.
    await s.page.waitForURL(/#\/study\/1$/);
    await s.page.getByTestId('study-runs').waitFor();
    await expect(s.page.getByTestId('study-runs').locator('tbody tr').count()).resolves.toBe(12);
    await s.page.getByTestId('study-progress').filter({ hasText: 'of 12 done' }).waitFor();
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const runs = await Promise.all(ids.map((id) => call<{ id: number; config: string; params: { init: string; scale: string; lr: number } }>('runs.get', { id })));
    // S = 256·32/224 ≈ 37, 384·32/224 ≈ 55 and [37, 73] for 32-pixel crops; B–E from A; C, D, E at 55
    // from their S = 37 runs, and jittered from their S = 55 runs, at lr/10.
    expect(runs.map((r) => [r.config, r.params.init, r.params.scale, r.params.lr])).toEqual([
      ['A', 'glorot', '37', 0.01],
      ['A-LRN', 'glorot', '37', 0.01],
      ['B', 'from:1', '37', 0.01],
      ['C', 'from:1', '37', 0.01],
      ['D', 'from:1', '37', 0.01],
      ['E', 'from:1', '37', 0.01],
      ['C', 'from:4', '55', 0.001],
      ['D', 'from:5', '55', 0.001],
      ['E', 'from:6', '55', 0.001],
      ['C', 'from:7', '37:73', 0.001],
      ['D', 'from:8', '37:73', 0.001],
      ['E', 'from:9', '37:73', 0.001],
    ]);
    expect(runs.every((r) => (r.params as { warmup?: number }).warmup === 1)).toBe(true);
    for (const id of ids) expect(await untilFinished(s.served, token, id), `run ${id}`).toBe('completed');
    await s.page.getByTestId('study-progress').filter({ hasText: '12 of 12 done' }).waitFor();
    await s.page.getByTestId('study-eta').filter({ hasText: 'nothing left to train' }).waitFor();
    await s.page.getByRole('button', { name: 'Compare its runs (Table 3)' }).click();
    await s.page.waitForURL(/#\/compare\/1,2,3,4,5,6,7,8,9,10,11,12$/);
    const table = s.page.getByTestId('table3');
    await table.waitFor();
    await expect(table.locator('tbody tr').count()).resolves.toBe(12);
    await s.page.getByTestId('table3-evaluate').click();
    await s.page.getByTestId('table3-evaluate').waitFor({ state: 'detached', timeout: 240_000 });
    const cells = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    // Rows in the paper's order, each beside the paper's own numbers, all evaluated at one test scale.
    expect(cells.map((c) => [c[0], c[1], c[2], c[3], c[4], c[6], c[8]])).toEqual([
      ['A', '256', '#1', '37', '37', '29.6', '10.4'],
      ['A-LRN', '256', '#2', '37', '37', '29.7', '10.5'],
      ['B', '256', '#3', '37', '37', '28.7', '9.9'],
      ['C', '256', '#4', '37', '37', '28.1', '9.4'],
      ['C', '384', '#7', '55', '55', '28.1', '9.3'],
      ['C', '[256; 512]', '#10', '37:73', '55', '27.3', '8.8'],
      ['D', '256', '#5', '37', '37', '27.0', '8.8'],
      ['D', '384', '#8', '55', '55', '26.8', '8.7'],
      ['D', '[256; 512]', '#11', '37:73', '55', '25.6', '8.1'],
      ['E', '256', '#6', '37', '37', '27.3', '9.0'],
      ['E', '384', '#9', '55', '55', '26.9', '8.7'],
      ['E', '[256; 512]', '#12', '37:73', '55', '25.5', '8.0'],
    ]);
    // Each row's own error is the dense evaluation just recorded for that run, at its one test scale, on its final weights.
    const evals = await call<{ runId: number | null; protocol: string; scales: number[]; top1Error: number; details: { checkpoint?: { kind: string } } }[]>('evaluations.list');
    for (const c of cells) {
      const own = evals.filter((e) => e.runId === Number(c[2]!.slice(1)) && e.protocol === 'dense');
      expect(own, c[2]).toHaveLength(1);
      expect(own[0]!.scales).toEqual([Number(c[4])]);
      expect(own[0]!.details.checkpoint?.kind).toBe('last');
      expect(c[5], c[2]).toBe((own[0]!.top1Error * 100).toFixed(1));
    }
    await s.page.screenshot({ path: path.join(outputDir(), 'paper-study.png'), fullPage: true });
  });

  it('shows mean ± sd over seeds and judges the paper’s finding, and cancels and resumes a study as a whole from its page', async () => {
    const tiny = { epochs: 2, width: 0.0625, trainSamples: 64, valSamples: 32, batch: 16, schedule: 'none' };
    const two = await call<{ id: number; ids: number[] }>('studies.start', { params: tiny, configs: ['A', 'A-LRN'], seeds: 2 });
    // Per seed: A, then A-LRN; seeds 1 and 2.
    const runs = await Promise.all(two.ids.map((id) => call<{ config: string; seed: number }>('runs.get', { id })));
    expect(runs.map((r) => [r.config, r.seed])).toEqual([['A', 1], ['A-LRN', 1], ['A', 2], ['A-LRN', 2]]);
    for (const id of two.ids) expect(await untilFinished(s.served, token, id), `run ${id}`).toBe('completed');
    await s.page.goto(`${s.served.url}#/compare/${two.ids.join(',')}`);
    await s.page.getByTestId('table3-evaluate').click();
    await s.page.getByTestId('table3-evaluate').waitFor({ state: 'detached', timeout: 120_000 });
    const cells = await s.page.getByTestId('table3').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    // Two runs per row, their errors as mean ± sd.
    expect(cells.map((c) => [c[0], c[2]])).toEqual([['A', `#${two.ids[0]} #${two.ids[2]}`], ['A-LRN', `#${two.ids[1]} #${two.ids[3]}`]]);
    for (const c of cells) expect(c[5]).toMatch(/^\d+\.\d ± \d+\.\d$/);
    const finding = await s.page.getByTestId('findings').locator('tbody tr').first().locator('td').allTextContents();
    expect(finding[0]).toBe('LRN (A vs A-LRN)');
    expect(finding[4]).toMatch(/^(not resolved at 2 seeds|agrees with the paper|the opposite of the paper)$/);

    // A long study, cancelled from its page while its first run trains, then resumed from it.
    const long = await call<{ id: number; ids: number[] }>('studies.start', { params: { ...tiny, epochs: 500 }, configs: ['A'], seeds: 3 });
    await s.page.goto(`${s.served.url}#/study/${long.id}`);
    await s.page.getByTestId('study-progress').filter({ hasText: '1 running' }).waitFor({ timeout: 60_000 });
    await s.page.getByTestId('study-cancel').click();
    await s.page.getByTestId('study-progress').filter({ hasText: '0 running' }).filter({ hasText: '0 queued' }).waitFor({ timeout: 60_000 });
    for (const id of long.ids) expect(await untilFinished(s.served, token, id), `run ${id}`).toBe('stopped');
    await s.page.getByTestId('study-resume').click();
    await s.page.getByTestId('study-progress').filter({ hasText: '1 running' }).filter({ hasText: '2 queued' }).waitFor({ timeout: 60_000 });
    await s.page.getByTestId('study-cancel').click();
    for (const id of long.ids) expect(await untilFinished(s.served, token, id), `run ${id}`).toBe('stopped');
    await s.page.getByRole('link', { name: 'Runs' }).click();
    await s.page.getByTestId('studies').locator('li').nth(2).waitFor();
    await expect(s.page.getByTestId('studies').locator('li').count()).resolves.toBe(3);
  });
});
