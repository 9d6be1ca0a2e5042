// Builds VGG Lab's C++ addon (the `native` backend's kernels, the pipeline's crops) with node-gyp. Called by `npm install` (postinstall);
// a failure is reported, never fatal: the `native` backend is then unavailable and says why.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const statusFile = path.join(here, 'build', 'status.json');
const writeStatus = (s) => {
  fs.mkdirSync(path.dirname(statusFile), { recursive: true });
  fs.writeFileSync(statusFile, JSON.stringify(s, null, 2));
};

let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  writeStatus({ ok: false, reason: 'node-gyp is not installed' });
  process.exit(0);
}
const blas = spawnSync(process.execPath, [path.join(here, 'find-blas.cjs'), 'dir'], { encoding: 'utf8' }).stdout.trim();
if (!blas && process.platform === 'linux') {
  const reason = 'OpenBLAS not found (Debian/Ubuntu: apt-get install libopenblas-dev libopenblas0-openmp)';
  console.log(`vgglab native: ${reason}; the native backend is unavailable`);
  writeStatus({ ok: false, reason });
  process.exit(0);
}
// Build against the running Node's own headers where they are installed (no download needed).
const prefix = path.resolve(path.dirname(process.execPath), '..');
const localHeaders = !process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'));
const args = [gyp, 'rebuild', '--release', ...(localHeaders ? [`--nodedir=${prefix}`] : [])];
const res = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', timeout: 600_000 });
if (res.status !== 0) {
  const tail = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
  const reason = `the native addon failed to build (a C++ compiler and BLAS are needed): ${tail}`;
  console.log(`vgglab native: ${reason}`);
  writeStatus({ ok: false, reason });
  process.exit(0);
}
const onednn = spawnSync(process.execPath, [path.join(here, 'find-onednn.cjs')], { encoding: 'utf8' }).stdout.trim() === '1';
writeStatus({ ok: true, blasDir: blas || null, onednn, builtAt: new Date().toISOString() });
console.log(`vgglab native: built the native backend addon${blas ? ` against ${blas}` : ''}${onednn ? ' with oneDNN' : ' (oneDNN not found or VGGLAB_NO_ONEDNN set: convolutions and matrix products on BLAS)'}`);
