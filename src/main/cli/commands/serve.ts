// vgglab serve: the UI and the contract over HTTP + WebSocket.
import crypto from 'node:crypto';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { confineTo } from '../../services/paths-policy';
import { createApp } from '../../app';
import { resolveDataDir } from '../../paths';
import { startServer } from '../../transports/http';
import { UsageError } from '../options';
import { serveToken } from '../secrets';
import { printJson, type Globals } from '../output';
import { projectFile } from '../../root';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function rendererDir(): string | null {
  const dir = projectFile('out/renderer');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : null;
}

export async function serveCommand(g: Globals, opts: { host: string; port: number; token?: string; tokenFile?: string; datasetFolders?: string[]; json?: boolean }): Promise<number> {
  const dataDir = resolveDataDir(g.dataDir);
  // Remote callers may only make the server read datasets under these folders.
  const roots = opts.datasetFolders?.length ? opts.datasetFolders : [os.homedir()];
  for (const r of roots) if (!fs.existsSync(r)) throw new UsageError(`--dataset-folders ${r}: no such folder`);
  const app = createApp({ dataDir, transport: 'http', pathPolicy: confineTo(roots), connectCluster: true });
  const token = serveToken(opts) ?? crypto.randomBytes(24).toString('base64url');
  if (!LOOPBACK.test(opts.host))
    process.stderr.write(`warning: serving on ${opts.host}, beyond this machine's loopback; anyone who can reach it and has the token can control VGG Lab\n`);
  const staticDir = rendererDir();
  if (!staticDir) process.stderr.write('warning: the UI is not built (out/renderer missing): run `npm run build`; the API still works\n');
  const server = await startServer(app, { host: opts.host, port: opts.port, token, staticDir });
  if (opts.json) printJson({ url: server.url, dataDir: app.dataDir, datasetFolders: roots.map((r) => path.resolve(r)) });
  else {
    console.log(`VGG Lab is serving at ${server.url}`);
    console.log(`data folder: ${app.dataDir}`);
    console.log(`datasets readable over HTTP: ${roots.map((r) => path.resolve(r)).join(', ')}`);
  }
  const signalled = () =>
    new Promise<void>((resolve) => {
      const shut = () => {
        process.off('SIGINT', shut);
        process.off('SIGTERM', shut);
        resolve();
      };
      process.on('SIGINT', shut);
      process.on('SIGTERM', shut);
    });
  await signalled();
  // The runs this server trains stop with a checkpoint after their current step (they end `stopped`,
  // and `vgglab resume` continues them exactly); a second signal quits at once, leaving them to be
  // marked interrupted.
  const training = app.runs.trainingHere();
  if (training.length) {
    process.stderr.write(`stopping run${training.length > 1 ? 's' : ''} ${training.map((id) => `#${id}`).join(', ')} after the current step, with a checkpoint (interrupt again to quit at once)\n`);
    await Promise.race([app.runs.stopAllHere(), signalled()]);
  }
  await server.close();
  await app.close();
  return 0;
}
