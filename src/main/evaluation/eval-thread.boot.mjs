// Evaluation worker entry for the CLI and tests: the bundle where fresh, else the TypeScript (../thread-boot.mjs).
import { bootWorker } from '../thread-boot.mjs';
await bootWorker('evaluation', new URL('./eval-thread.ts', import.meta.url).href);
