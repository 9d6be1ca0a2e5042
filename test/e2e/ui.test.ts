// The UI in Chromium through `vgglab serve`: start a run from the form, watch it live,
// see the LR-drop marker, stop nothing and lose nothing across a restart.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputDir, skipNote, tempDir } from '../helpers';
import { makeImageFolder } from '../fixtures/datasets';
import { noChromium, serve, servedPage } from './serve';
import { need } from '../require';
import { listBackends } from '../../src/main/training/backends';

const chromiumMissing = need('chromium', noChromium);
const torchInfo = (await listBackends(['torch']))[0]!;
const torchMissing = torchInfo.available ? null : need('torch', torchInfo.reason);
// bf16 on native depends on the CPU (AVX512_BF16 or AMX), not on what CI installs.
const nativeInfo = (await listBackends(['native']))[0]!;
const nativeOnednnMissing = !nativeInfo.available ? nativeInfo.reason : /oneDNN/.test(nativeInfo.device ?? '') ? null : `the native addon was built without oneDNN (${nativeInfo.device})`;
// Winograd on native depends on the CPU too (oneDNN 2.6 has its kernels for AVX-512 only).
const nativeWinogradMissing = nativeOnednnMissing ?? (nativeInfo.convAlgorithms?.includes('winograd') ? null : `oneDNN has no Winograd kernels for this CPU, which has no AVX-512 (${nativeInfo.device})`);
const nativeBf16Missing = !nativeInfo.available ? nativeInfo.reason : nativeInfo.precisions?.includes('bf16') ? null : `this CPU has no AVX512_BF16 or AMX (${nativeInfo.device})`;

const dataDir = tempDir();
let s: ReturnType<typeof servedPage>;

/** Fills the New-run form for a two-epoch run of a sliver of the data, starts it and waits for its page. */
async function startSmallRun() {
  await s.page.getByLabel('Epochs', { exact: true }).fill('2');
  await s.page.getByLabel('Width multiplier', { exact: true }).fill('0.0625');
  await s.page.getByLabel('At most N training images (empty: all)', { exact: true }).fill('128');
  await s.page.getByLabel('At most N validation images (empty: all)', { exact: true }).fill('64');
  await s.page.getByRole('button', { name: 'Start run' }).click();
  await s.page.waitForURL(/#\/run\/\d+$/, { timeout: 10_000 }).catch(async (err: Error) => {
    throw new Error(`${err.message}; the form says: ${await s.page.getByRole('alert').allTextContents()}`);
  });
}

describe.skipIf(!!chromiumMissing)(`UI in Chromium via vgglab serve${skipNote(chromiumMissing)}`, () => {
  s = servedPage(dataDir);

  it('refuses the page without the token', async () => {
    const res = await s.page.goto(s.served.url.replace(/\?token=.*/, ''));
    expect(res?.status()).toBe(401);
  });

  it('shows an empty run list, then trains VGG-A from the form and draws it live', async () => {
    await s.page.goto(s.served.url);
    await s.page.getByTestId('no-runs').waitFor();
    await s.page.getByRole('link', { name: 'New run' }).first().click();
    // The form's page loads on first visit.
    await s.page.locator('input[name="config"]').first().waitFor();
    const offered = await s.page.locator('input[name="config"]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(offered).toEqual(['A', 'A-LRN', 'B', 'C', 'D', 'E']);
    await s.page.getByLabel('Epochs', { exact: true }).fill('3');
    await s.page.getByLabel('Width multiplier', { exact: true }).fill('0.0625');
    await s.page.getByLabel('At most N training images (empty: all)', { exact: true }).fill('128');
    await s.page.getByLabel('At most N validation images (empty: all)', { exact: true }).fill('64');
    await s.page.getByLabel('Plateau patience (epochs)', { exact: true }).fill('1');
    await s.page.getByLabel('Plateau: minimum improvement of top-1', { exact: true }).fill('1');
    await s.page.screenshot({ path: path.join(outputDir(), 'new-run.png') });
    await s.page.getByRole('button', { name: 'Start run' }).click();
    await s.page.waitForURL(/#\/run\/1$/);
    // Live: the loss chart gains points while the run goes on.
    await s.page.waitForFunction(() => Number(document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-points')) > 0, null, { timeout: 240_000 });
    await s.page.getByTestId('run-status').filter({ hasText: 'completed' }).waitFor({ timeout: 240_000 });
    const acc = s.page.locator('canvas[aria-label="Top-1 accuracy"]');
    // minDelta 1 means no epoch after the first improves: the rate drops after epochs 2 and 3.
    await expect(acc.getAttribute('data-markers')).resolves.toBe('2');
    await expect(acc.getAttribute('data-points')).resolves.toBe('6');
    await expect(s.page.locator('canvas[aria-label="Training loss"]').getAttribute('data-markers')).resolves.toBe('2');
    // The log speaks in sentences, not JSON.
    await expect(s.page.getByTestId('events').locator('li[data-kind="lr_drop"]').first().textContent()).resolves.toMatch(/learning rate 0\.01 → 0\.001 \(plateau: validation top-1 did not improve for 1 epoch\)/);
    await expect(s.page.getByTestId('events').textContent()).resolves.not.toContain('{"');
    await expect(s.page.getByTestId('run-device').textContent()).resolves.toMatch(/backend (webgpu|cpu|native|tensorflow)/);
    await s.page.screenshot({ path: path.join(outputDir(), 'run.png'), fullPage: true });
  });

  it('stops a run with the button; it ends as stopped with its data kept', async () => {
    await s.page.goto(s.served.url + '#/new');
    await s.page.getByLabel('Epochs', { exact: true }).fill('400');
    await s.page.getByLabel('Width multiplier', { exact: true }).fill('0.0625');
    await s.page.getByLabel('At most N training images (empty: all)', { exact: true }).fill('256');
    await s.page.getByLabel('At most N validation images (empty: all)', { exact: true }).fill('32');
    await s.page.getByRole('button', { name: 'Start run' }).click();
    await s.page.waitForURL(/#\/run\/2$/);
    await s.page.waitForFunction(() => Number(document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-points')) >= 8, null, { timeout: 240_000 });
    // Pause holds the run between steps; Continue lets it go on.
    await s.page.getByTestId('pause-run').click();
    await s.page.getByTestId('paused').waitFor({ timeout: 60_000 });
    const loss = s.page.locator('canvas[aria-label="Training loss"]');
    const heldAt = Number(await loss.getAttribute('data-points'));
    await s.page.waitForTimeout(1500);
    expect(Number(await loss.getAttribute('data-points'))).toBe(heldAt);
    await s.page.getByTestId('unpause-run').click();
    await s.page.waitForFunction((n) => Number(document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-points')) > n, heldAt, { timeout: 60_000 });
    await s.page.getByTestId('stop-run').click();
    await s.page.getByTestId('run-status').filter({ hasText: 'stopped' }).waitFor({ timeout: 120_000 });
    // Stopping writes a checkpoint; Resume continues the same run on the same step axis.
    await s.page.getByTestId('checkpoints').waitFor();
    const stoppedAt = Number(await s.page.locator('canvas[aria-label="Training loss"]').getAttribute('data-points'));
    await s.page.getByTestId('resume-run').click();
    await s.page.getByTestId('run-status').filter({ hasText: /queued|running/ }).waitFor({ timeout: 60_000 });
    await s.page.waitForFunction((n) => Number(document.querySelector('canvas[aria-label="Training loss"]')?.getAttribute('data-points')) > n + 4, stoppedAt, { timeout: 120_000 });
    await expect(s.page.getByTestId('events').textContent()).resolves.toContain('resume');
    await s.page.getByTestId('stop-run').click();
    await s.page.getByTestId('run-status').filter({ hasText: 'stopped' }).waitFor({ timeout: 120_000 });
    await s.page.screenshot({ path: path.join(outputDir(), 'run-resumed.png'), fullPage: true });
  });

  it('keeps runs and their metrics across a restart', async () => {
    await s.served.stop();
    s.served = await serve(dataDir);
    await s.page.goto(s.served.url);
    const table = s.page.getByTestId('runs-table');
    await table.locator('tbody tr').nth(1).waitFor();
    await expect(table.locator('tbody tr').count()).resolves.toBe(2);
    await s.page.getByRole('link', { name: '#1' }).click();
    await s.page.getByTestId('run-status').filter({ hasText: 'completed' }).waitFor();
    await s.page.waitForFunction(() => Number(document.querySelector('canvas[aria-label="Top-1 accuracy"]')?.getAttribute('data-points')) === 6);
    await s.page.screenshot({ path: path.join(outputDir(), 'runs-after-restart.png'), fullPage: true });
    await s.page.goto(s.served.url + '#/runs');
    await s.page.getByTestId('runs-table').waitFor();
    await s.page.screenshot({ path: path.join(outputDir(), 'runs.png'), fullPage: true });
  });

  /** The folder registered as "pets", for the tests after it. */
  let petsRoot = '';
  it('registers an image folder on the Datasets page and offers it in New run', async () => {
    const root = (petsRoot = tempDir());
    await makeImageFolder(root, { perClass: 4, broken: true });
    await s.page.goto(s.served.url + '#/datasets');
    await s.page.getByLabel('Folder on this machine').fill(root);
    await s.page.getByLabel('Name (optional)').fill('pets');
    await s.page.getByRole('button', { name: 'Add dataset' }).click();
    const row = s.page.getByTestId('datasets-table').locator('tbody tr', { hasText: 'pets' }).first();
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/folder\s*3/);
    // The sample grid: readable images only (dogs and owls lose their broken files), at most 6 a class.
    await s.page.locator('img[alt^="owls sample"]').nth(3).waitFor();
    await expect(s.page.locator('img[alt^="cats sample"]').count()).resolves.toBe(6);
    await expect(s.page.locator('img[alt^="dogs sample"]').count()).resolves.toBe(4);
    await expect(s.page.locator('img[alt^="owls sample"]').count()).resolves.toBe(4);
    await s.page.getByRole('button', { name: 'show samples', exact: true }).click();
    await s.page.getByTestId('samples-synthetic').locator('img').nth(59).waitFor();
    await s.page.getByLabel('Folder on this machine').fill(path.join(root, 'no-such-folder'));
    await s.page.getByRole('button', { name: 'Add dataset' }).click();
    await expect(s.page.getByRole('alert').textContent()).resolves.toMatch(/no such folder/);
    await s.page.screenshot({ path: path.join(outputDir(), 'datasets.png'), fullPage: true });
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('datalist#datasets option[value="pets"]').waitFor({ state: 'attached' });
  });

  it('trains on the registered folder from the form, on every readable image by default', async () => {
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('input[name="config"]').first().waitFor();
    // The limits are empty: the whole dataset.
    await expect(s.page.locator('input[name="trainSamples"]').inputValue()).resolves.toBe('');
    await expect(s.page.locator('input[name="valSamples"]').inputValue()).resolves.toBe('');
    // Picked by name from the registered datasets, with its classes and readable images.
    const pick = s.page.locator('select[name="dataset-pick"]');
    await pick.locator('option[value="pets"]').waitFor({ state: 'attached' });
    await expect(pick.locator('option[value="pets"]').textContent()).resolves.toBe('pets — folder, 3 classes, 14 images');
    await pick.selectOption('pets');
    await expect(s.page.locator('input[name="dataset"]').inputValue()).resolves.toBe('pets');
    await s.page.getByLabel('Epochs', { exact: true }).fill('2');
    await s.page.getByLabel('Width multiplier', { exact: true }).fill('0.0625');
    await s.page.getByLabel('Batch size', { exact: true }).fill('4');
    await s.page.getByRole('button', { name: 'Start run' }).click();
    await s.page.waitForURL(/#\/run\/\d+$/);
    const id = Number(/#\/run\/(\d+)$/.exec(s.page.url())![1]);
    await s.page.getByTestId('run-status').filter({ hasText: /completed|failed/ }).waitFor({ timeout: 240_000 });
    const run = await s.page.evaluate(async ([url, runId]) => {
      const res = await fetch(new URL('/api/call', url as string), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'runs.get', args: { id: runId } }) });
      return (await res.json()).result;
    }, [s.served.url, id] as const);
    expect(run.status, run.error).toBe('completed');
    // 4 images a class, 3 of them unreadable in dogs and owls, a seeded tenth of each class held out:
    // every readable image is used, split between training and validation.
    expect(run.params.trainSamples).toBeUndefined();
    expect(run.summary.data.classes).toBe(3);
    expect(run.summary.data.skipped).toBe(3);
    expect(run.summary.data.train + run.summary.data.val).toBe(6 + 4 + 4);
    // The runs list names the dataset as registered.
    await s.page.goto(s.served.url + '#/runs');
    const row = s.page.getByTestId('runs-table').locator('tbody tr', { has: s.page.getByRole('link', { name: `#${id}`, exact: true }) });
    await row.locator('td').nth(5).filter({ hasText: /^pets$/ }).waitFor({ timeout: 10_000 });
    await expect(row.locator('td').nth(5).getAttribute('title')).resolves.toBe(run.dataset);
    // And so does the run page.
    await s.page.goto(`${s.served.url}#/run/${id}`);
    await s.page.getByTestId('run-dataset').filter({ hasText: /^pets$/ }).waitFor();
    // Try the model: two of the folder's images and a broken one, sent from the browser. Each readable
    // one gets five classes at most (three here), by name, most probable first; the broken one its reason.
    const files = [path.join(petsRoot, 'cats', 'img0.png'), path.join(petsRoot, 'owls', 'img1.jpg'), path.join(petsRoot, 'dogs', 'text.png')];
    await s.page.locator('input[name="try-files"]').setInputFiles(files);
    const cards = s.page.getByTestId('prediction');
    await cards.nth(2).waitFor({ timeout: 60_000 });
    expect(await cards.count()).toBe(3);
    for (const k of [0, 1]) {
      const names = await cards.nth(k).locator('td.cls').allTextContents();
      expect([...names].sort()).toEqual(['cats', 'dogs', 'owls']);
      const ps = (await cards.nth(k).locator('td.p').allTextContents()).map((t) => parseFloat(t));
      expect(ps).toEqual([...ps].sort((x, y) => y - x));
      expect(ps.reduce((x, y) => x + y, 0)).toBeCloseTo(100, 0);
    }
    await expect(cards.nth(0).locator('strong').textContent()).resolves.toBe('img0.png');
    await expect(cards.nth(2).getByTestId('prediction-error').textContent()).resolves.toMatch(/^not a readable image/);
    await s.page.getByTestId('try-model').screenshot({ path: path.join(outputDir(), 'try-model.png') });
  });
  it('names the backend auto picks, and shows a refusal from the main process under the field\'s label', async () => {
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('input[name="config"]').first().waitFor();
    // The auto choice is computed once in the main process and reported by backends.list.
    const auto = await s.page.evaluate(async (url) => {
      const res = await fetch(new URL('/api/call', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'backends.list', args: {} }) });
      return ((await res.json()).result as { name: string; auto?: boolean }[]).find((b) => b.auto)?.name;
    }, s.served.url);
    expect(auto).toBeTruthy();
    await expect(s.page.locator('select[name="backend"] option[value="auto"]').textContent()).resolves.toBe(`auto — ${auto}`);
    // S below the crop passes the form's own checks; the main process refuses it, naming the field.
    await s.page.locator('input[name="scale"]').fill('16');
    await s.page.getByRole('button', { name: 'Start run' }).click();
    await s.page.getByRole('alert').filter({ hasText: 'Training scale S: S (16) must be at least the input size (32)' }).waitFor({ timeout: 10_000 });
    expect(s.page.url()).toMatch(/#\/new$/);
  });

  it.skipIf(!!torchMissing)(`trains on torch from the form, offering the precisions each backend has here${skipNote(torchMissing)}`, async () => {
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('input[name="config"]').first().waitFor();
    // The device line comes with backends.list.
    await s.page.locator('select[name="backend"] option[value="torch"]').filter({ hasText: /^torch — torch \d/ }).waitFor({ state: 'attached' });
    const listed = await s.page.evaluate(async (url) => {
      const res = await fetch(new URL('/api/call', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'backends.list', args: {} }) });
      return (await res.json()).result as { name: string; auto?: boolean; precisions?: string[] }[];
    }, s.served.url);
    const offered = () => s.page.locator('select[name="precision"] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    // The precision field appears only for a backend with a mixed precision here (native on a CPU with bf16, torch), offering just those.
    const auto = listed.find((b) => b.auto)!;
    if (auto.precisions?.length) await expect(offered()).resolves.toEqual(['fp32', ...auto.precisions]);
    else await expect(s.page.locator('select[name="precision"]').count()).resolves.toBe(0);
    await s.page.locator('select[name="backend"]').selectOption('cpu');
    await expect(s.page.locator('select[name="precision"]').count()).resolves.toBe(0);
    await s.page.locator('select[name="backend"]').selectOption('torch');
    await expect(offered()).resolves.toEqual(['fp32', ...listed.find((b) => b.name === 'torch')!.precisions!]);
    // The form keeps what the test before left in it (S = 16, refused).
    await s.page.locator('input[name="scale"]').fill('');
    await expect(s.page.locator('select[name="precision"]').inputValue()).resolves.toBe('fp32');
    await startSmallRun();
    await s.page.getByTestId('run-status').filter({ hasText: /completed|failed/ }).waitFor({ timeout: 240_000 });
    await expect(s.page.getByTestId('run-status').textContent()).resolves.toMatch(/completed/);
    await expect(s.page.getByTestId('run-device').textContent()).resolves.toMatch(/backend torch · device torch \d/);
    await expect(s.page.getByTestId('run-precision').textContent()).resolves.toBe('fp32');
  });

  it.skipIf(!!nativeBf16Missing)(`trains in bf16 on native from the form, and the run page says so${skipNote(nativeBf16Missing)}`, async () => {
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('input[name="config"]').first().waitFor();
    await s.page.locator('select[name="backend"] option[value="native"]').filter({ hasText: /^native — CPU/ }).waitFor({ state: 'attached' });
    await s.page.locator('select[name="backend"]').selectOption('native');
    await s.page.locator('select[name="precision"]').selectOption('bf16');
    await s.page.locator('input[name="scale"]').fill('');
    await startSmallRun();
    await s.page.getByTestId('run-status').filter({ hasText: /completed|failed/ }).waitFor({ timeout: 120_000 });
    await expect(s.page.getByTestId('run-status').textContent()).resolves.toMatch(/completed/);
    await expect(s.page.getByTestId('run-device').textContent()).resolves.toMatch(/backend native · device CPU, \d+ threads, oneDNN .*bf16/);
    await expect(s.page.getByTestId('run-precision').textContent()).resolves.toBe('bf16');
    // Switching the form to a backend without bf16 puts the precision back to fp32.
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('select[name="backend"] option[value="native"]').filter({ hasText: /^native — CPU/ }).waitFor({ state: 'attached' });
    await s.page.locator('select[name="backend"]').selectOption('native');
    await s.page.locator('select[name="precision"]').selectOption('bf16');
    await s.page.locator('select[name="backend"]').selectOption('cpu');
    await expect(s.page.locator('select[name="precision"]').count()).resolves.toBe(0);
    await s.page.locator('select[name="backend"]').selectOption('native');
    await expect(s.page.locator('select[name="precision"]').inputValue()).resolves.toBe('fp32');
  });

  const hasWinograd = nativeOnednnMissing ?? (nativeWinogradMissing ? null : 'this CPU has them');
  it.skipIf(!!hasWinograd)(`on a CPU without oneDNN's Winograd kernels, the form offers auto and direct only${skipNote(hasWinograd)}`, async () => {
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('input[name="config"]').first().waitFor();
    await s.page.locator('select[name="backend"] option[value="native"]').filter({ hasText: /^native — CPU/ }).waitFor({ state: 'attached' });
    await s.page.locator('select[name="backend"]').selectOption('native');
    await expect(s.page.locator('select[name="convAlgorithm"] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).resolves.toEqual(['auto', 'direct']);
    await expect(s.page.locator('select[name="convAlgorithm"] option[value="auto"]').textContent()).resolves.toMatch(/no Winograd kernels for this CPU/);
  });

  it.skipIf(!!nativeWinogradMissing)(`trains with Winograd convolutions on native from the form, and the run page says which layers took it${skipNote(nativeWinogradMissing)}`, async () => {
    await s.page.goto(s.served.url + '#/new');
    await s.page.locator('input[name="config"]').first().waitFor();
    await s.page.locator('select[name="backend"] option[value="native"]').filter({ hasText: /^native — CPU/ }).waitFor({ state: 'attached' });
    // The field is the native backend's: another backend chooses its own algorithms, and the form goes back to auto.
    await s.page.locator('select[name="backend"]').selectOption('native');
    await s.page.locator('select[name="convAlgorithm"]').selectOption('winograd');
    await s.page.locator('select[name="backend"]').selectOption('cpu');
    await expect(s.page.locator('select[name="convAlgorithm"]').count()).resolves.toBe(0);
    await s.page.locator('select[name="backend"]').selectOption('native');
    await expect(s.page.locator('select[name="convAlgorithm"]').inputValue()).resolves.toBe('auto');
    await s.page.locator('select[name="convAlgorithm"]').selectOption('winograd');
    await s.page.locator('input[name="scale"]').fill('');
    await startSmallRun();
    await s.page.getByTestId('run-status').filter({ hasText: /completed|failed/ }).waitFor({ timeout: 120_000 });
    await expect(s.page.getByTestId('run-status').textContent()).resolves.toMatch(/completed/);
    // Config A: 7 layer shapes (block5's two alike), 6 of them with an input gradient.
    await expect(s.page.getByTestId('run-conv').textContent()).resolves.toBe('winograd (forward: winograd 7 · input gradient: winograd 6 · weight gradient: winograd 7)');
    await expect(s.page.locator('[data-testid="events"] li[data-kind="conv_algorithms"]').textContent()).resolves.toMatch(/convolutions \(winograd\), layer shapes per way: forward: winograd 7/);
  });
});
