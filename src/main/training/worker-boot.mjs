// Worker entry for the CLI and tests, which run TypeScript through tsx: a worker thread
// does not inherit the main thread's loader, so register it here before loading the worker.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
