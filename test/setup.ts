// Run before each test file (vitest.config.ts setupFiles): what every file shares.
import { afterAll, afterEach, beforeEach } from 'vitest';
import { removeTempDirs } from './helpers';
import { endAll, testStarted } from './processes';

// Processes a test started end after it, passed or failed or timed out (its own `finally` does
// not run after a timeout; this hook does); those started in a beforeAll end after the file.
// Hooks run in reverse order of registration, so a file's own afterEach/afterAll (closing its
// servers gracefully) runs before these.
beforeEach(() => testStarted(true));
afterEach(async () => {
  testStarted(false);
  await endAll('test');
});

// Each file's temporary data folders go when the file is done (its servers and workers are closed
// by then); a machine that runs the suite often would otherwise collect gigabytes of them.
afterAll(async () => {
  const left = await endAll('all');
  if (left.length) console.warn(`file teardown ended what the file left running: ${left.join(', ')}`);
  removeTempDirs();
});
