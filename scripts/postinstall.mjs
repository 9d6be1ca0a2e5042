// After `npm install`: fetch Electron's binary if we can (optional), give better-sqlite3 an
// Electron-ABI build beside the Node one, build the native backend addon, and build the app.
// Every step but the app build may fail without failing the install: it says what is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary as findElectron } from './electron-binary.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`vgglab postinstall: ${msg}`);
const electronBinary = () => findElectron(root);
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', timeout: 600_000, ...opts });

function ensureElectron() {
  if (!fs.existsSync(path.join(root, 'node_modules', 'electron', 'install.js'))) return null;
  const existing = electronBinary();
  if (existing) return existing;
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return null;
  // Electron's own download; its install script is disabled in allowScripts so that an
  // offline machine still completes `npm install`.
  const res = run(process.execPath, [path.join('node_modules', 'electron', 'install.js')], { stdio: 'pipe', timeout: 300_000 });
  if (res.status !== 0) {
    say("Electron's binary could not be downloaded (no internet?), so the desktop window is unavailable; `npm start` will run `vgglab serve` instead.");
    return null;
  }
  return electronBinary();
}

function electronSqlite() {
  const version = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
  const outDir = path.join(root, '.electron-native');
  const out = path.join(outDir, 'better_sqlite3.node');
  const stamp = path.join(outDir, 'electron-version');
  if (fs.existsSync(out) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === version) return;
  // Build in a private copy so the system-Node build in node_modules stays untouched.
  const work = path.join(outDir, 'better-sqlite3');
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'node_modules', 'better-sqlite3'), work, { recursive: true, filter: (src) => !src.includes(`${path.sep}build${path.sep}`) });
  const prebuild = path.join(root, 'node_modules', 'prebuild-install', 'bin.js');
  let ok = run(process.execPath, [prebuild, '--runtime=electron', `--target=${version}`], { cwd: work, stdio: 'pipe' }).status === 0;
  if (!ok) {
    const gyp = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    ok = fs.existsSync(gyp) && run(process.execPath, [gyp, 'rebuild', '--release', `--target=${version}`, '--dist-url=https://electronjs.org/headers'], { cwd: work, stdio: 'pipe' }).status === 0;
  }
  const built = path.join(work, 'build', 'Release', 'better_sqlite3.node');
  if (ok && fs.existsSync(built)) {
    fs.copyFileSync(built, out);
    fs.writeFileSync(stamp, version);
    say(`better-sqlite3 built for Electron ${version}`);
  } else say(`could not build better-sqlite3 for Electron ${version} (headers not downloadable?); the desktop app needs it, the CLI and serve mode do not.`);
  fs.rmSync(work, { recursive: true, force: true });
}

if (ensureElectron()) electronSqlite();

const addon = path.join(root, 'addon', 'build.mjs');
if (fs.existsSync(addon)) run(process.execPath, [addon]);

const build = run(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn']);
if (build.status !== 0) {
  say('building the UI failed; see the messages above');
  process.exit(1);
}
say('ready: `npm start` opens VGG Lab; `npx vgglab --help` lists the commands');
