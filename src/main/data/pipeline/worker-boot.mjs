// Pipeline worker entry for the CLI and tests (TypeScript through tsx; see training/worker-boot.mjs).
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
