// tsx entry for the bare-loop child process (see training/train-thread.boot.mjs).
import { register } from 'tsx/esm/api';
register();
await import('./bare-child.ts');
