// `npm start`: the desktop window where Electron's binary exists; otherwise serve mode.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (!fs.existsSync(path.join(root, 'out', 'renderer', 'index.html'))) {
  spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' });
}

const bin = electronBinary(root);
const child = bin
  ? spawn(bin, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
  : (console.log("Electron's binary is not installed (it could not be downloaded), so VGG Lab runs in serve mode: open the URL below in a browser."),
    spawn(process.execPath, [path.join(root, 'bin', 'vgglab.mjs'), 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }));
child.on('exit', (code) => process.exit(code ?? 0));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
