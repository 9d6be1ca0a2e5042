import { defineConfig } from 'vitest/config';

// Two lanes, each one file at a time, side by side: the files that train on both cores for most of
// their time, and the files that mostly wait on other processes (servers, browsers, Redis, queues,
// sweeps). On a 2-core machine one lane's waits are the other's compute; two training files side by
// side would only slow each other down. Every test holds on a machine several times slower, so a
// busy neighbour changes no outcome (see the waits' bounds in test/wait.ts and each test's comments).
const COMPUTE = [
  'test/integration/crash.test.ts',
  'test/integration/engine.test.ts',
  'test/integration/resume.test.ts',
  'test/integration/soak.test.ts',
  'test/integration/bench.test.ts',
  'test/integration/pipeline.test.ts',
  'test/integration/aspect.test.ts',
  'test/integration/train.test.ts',
  'test/integration/model-export.test.ts',
  'test/integration/evaluation.test.ts',
  'test/unit/native-*.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One worker per lane; each lane takes its files one at a time.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'compute', include: COMPUTE, fileParallelism: false } },
      { extends: true, test: { name: 'processes', include: ['test/**/*.test.ts'], exclude: COMPUTE, fileParallelism: false } },
    ],
  },
});
