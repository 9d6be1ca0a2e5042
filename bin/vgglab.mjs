#!/usr/bin/env node
// The CLI, from its build (out/main/cli.js) where that is newer than every source file: it starts in
// a fraction of the time. Else from the TypeScript through tsx, so that `npx vgglab` works right
// after a checkout and while sources are being edited.
import { pathToFileURL } from 'node:url';
import { builtFile } from '../src/main/thread-boot.mjs';

const built = process.env.VGGLAB_TSX_CLI === '1' ? null : builtFile('cli.js');
let main;
if (built) ({ main } = await import(pathToFileURL(built).href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main/cli/index.ts'));
}
process.exitCode = await main(process.argv.slice(2));
