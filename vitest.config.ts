import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Training tests use both cores; running files side by side only slows each down (measured:
    // two files at once took each about twice as long, and the suite no less).
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
