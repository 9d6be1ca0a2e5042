// Run before each test file (vitest.config.ts setupFiles): what every file shares.
import { afterAll } from 'vitest';
import { removeTempDirs } from './helpers';

// Each file's temporary data folders go when the file is done (its servers and workers are closed
// by then in its own afterAll hooks, which run first); a machine that runs the suite often would
// otherwise collect gigabytes of them.
afterAll(removeTempDirs);
