import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const OPTIONAL = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu'];

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve('src/main/electron.ts'),
          // The workers as bundles of their own, for the CLI and the tests (src/main/thread-boot.mjs).
          'workers/training': resolve('src/main/training/train-thread.ts'),
          'workers/evaluation': resolve('src/main/evaluation/eval-thread.ts'),
          'workers/pipeline': resolve('src/main/data/pipeline/pipeline-thread.ts'),
          // The CLI's parsing and help, for a fast start (bin/vgglab.mjs); each command's module stays
          // TypeScript, loaded through tsx when it runs (cli/load.ts).
          cli: resolve('src/main/cli/index.ts'),
        },
        // Optional native backends: loaded at run time if installed.
        external: OPTIONAL,
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads must be a single CommonJS file.
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    build: { minify: true, rollupOptions: { input: resolve('src/renderer/index.html') } },
    plugins: [svelte({ configFile: resolve('svelte.config.js') })],
  },
});
