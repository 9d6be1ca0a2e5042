#!/usr/bin/env node
// Runs the CLI's TypeScript sources directly (tsx), so `npx vgglab` works right after `npm install`.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/main/cli/index.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
