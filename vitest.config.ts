import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Training tests use both cores; running files side by side only slows each down.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
