// The cluster from the UI, as a lab sets it up: Redis with a password and a worker are running; the
// user names the queue on the Cluster page, sees the worker online, and trains a run on it from the
// New-run form. The password is never shown.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vgglab } from '../cli-process';
import { outputDir, skipNote, tempDir } from '../helpers';
import { redisMissing, RedisServer } from '../redis';
import { noChromium, servedPage } from './serve';
import { need } from '../require';

const why = [need('chromium', noChromium), need('redis', redisMissing())].find(Boolean) ?? null;
const PASSWORD = 'ui-pw-7781-secret';
const dataDir = tempDir();
const artifacts = tempDir('vgglab-artifacts-');

describe.skipIf(!!why)(`the Cluster page and Run on: cluster${skipNote(why)}`, () => {
  let redis: RedisServer;
  let worker: ReturnType<typeof vgglab> | null = null;
  beforeAll(async () => {
    redis = await RedisServer.start({ password: PASSWORD });
    worker = vgglab(tempDir(), ['worker', '--queue', redis.url, '--artifacts', artifacts, '--name', 'lab-gpu-1']);
  });
  afterAll(async () => {
    worker?.proc.kill('SIGKILL');
    await redis?.dispose();
  });
  const s = servedPage(dataDir);

  it('names the queue on the Cluster page, lists the worker, trains a run there from the form', async () => {
    await s.page.goto(s.served.url);
    await s.page.getByRole('link', { name: 'Cluster' }).click();
    await s.page.getByText('No queue is configured').waitFor();
    await s.page.getByLabel('Queue (Redis URL)').fill(redis.url);
    await s.page.getByLabel('Artifacts folder (as mounted here)').fill(artifacts);
    await s.page.getByRole('button', { name: 'Save' }).click();
    await s.page.getByTestId('workers-table').getByText('lab-gpu-1').waitFor({ timeout: 60_000 });
    // Shown back redacted, never in clear.
    await expect(s.page.getByLabel('Queue (Redis URL)').inputValue()).resolves.toBe(`redis://:***@127.0.0.1:${redis.port}`);
    await s.page.screenshot({ path: path.join(outputDir(), 'cluster.png') });

    await s.page.getByRole('link', { name: 'New run' }).first().click();
    await s.page.locator('input[name="config"]').first().waitFor();
    await s.page.getByLabel('Epochs', { exact: true }).fill('2');
    await s.page.getByLabel('Width multiplier', { exact: true }).fill('0.0625');
    await s.page.getByLabel('At most N training images (empty: all)', { exact: true }).fill('128');
    await s.page.getByLabel('At most N validation images (empty: all)', { exact: true }).fill('32');
    const runOn = s.page.locator('select[name="on"]');
    // The form asks the cluster once it has loaded: the option then names the workers online.
    await runOn.locator('option[value="cluster"]', { hasText: 'cluster (1 worker online)' }).waitFor({ state: 'attached', timeout: 30_000 });
    await runOn.selectOption('cluster');
    await s.page.getByRole('button', { name: 'Start run' }).click();
    await s.page.waitForURL(/#\/run\/1$/);
    await s.page.getByTestId('run-status').filter({ hasText: 'completed' }).waitFor({ timeout: 240_000 });
    await expect(s.page.getByTestId('placement').textContent()).resolves.toBe('on the cluster, worker lab-gpu-1');
    // Both epochs' training and validation top-1 reached the page (through Redis, the store and the WebSocket).
    await s.page.waitForFunction(() => document.querySelector('canvas[aria-label="Top-1 accuracy"]')?.getAttribute('data-points') === '4', null, { timeout: 30_000 });
    expect(await s.page.content()).not.toContain(PASSWORD);
    expect(s.served.output()).not.toContain(PASSWORD);
  });
});
