// Training worker entry for the CLI and tests: the bundle where fresh, else the TypeScript (../thread-boot.mjs).
import { bootWorker } from '../thread-boot.mjs';
await bootWorker('training', new URL('./train-thread.ts', import.meta.url).href);
