// tsx entry for the bare-loop worker (see training/worker-boot.mjs).
import { register } from 'tsx/esm/api';
register();
await import('./bare-worker.ts');
