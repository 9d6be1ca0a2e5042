// Data pipeline worker entry for the CLI and tests: the bundle where fresh, else the TypeScript (../../worker-boot.mjs).
import { bootWorker } from '../../worker-boot.mjs';
await bootWorker('pipeline', new URL('./worker.ts', import.meta.url).href);
