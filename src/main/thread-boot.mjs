// How the CLI and the tests start a worker thread (training, evaluation, the data pipeline). The
// build (`npm run build`, run by `npm install` and `npm test`) bundles each worker into
// out/main/workers/NAME.js; a bundle loads in about a third of the time the TypeScript takes through
// tsx (~0.2 s against ~0.6 s for the training worker), and every run starts one or more workers.
// A bundle older than any source file is stale (sources edited since the build) and is passed over,
// as it is where VGGLAB_TSX_WORKERS=1: the worker then runs its TypeScript through tsx (a worker
// thread does not inherit the main thread's loader, so it is registered here).
// The Electron app does not come here: it starts its own bundles (electron.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCES = ['src/main', 'src/shared'].map((d) => path.join(root, d));

/** The newest modification time of any file under `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return latest;
}

let sourcesTime;

/** The bundle of worker `name` where it is as new as every source file, else null. */
export function builtWorker(name) {
  if (process.env.VGGLAB_TSX_WORKERS === '1') return null;
  return builtFile(path.join('workers', `${name}.js`));
}

/** The path of out/main/FILE where it is as new as every source file, else null. */
export function builtFile(rel) {
  const file = path.join(root, 'out', 'main', rel);
  const built = fs.statSync(file, { throwIfNoEntry: false });
  if (!built) return null;
  // The source tree is walked once per thread, however many bundles are asked about.
  sourcesTime ??= Math.max(...SOURCES.map(newest));
  return built.mtimeMs < sourcesTime ? null : file;
}

/** Loads worker `name`: its bundle where fresh, else `source` (a URL of its TypeScript) through tsx. */
export async function bootWorker(name, source) {
  const built = builtWorker(name);
  if (built) {
    // The pipeline's workers, started from inside this bundle, are bundles too.
    const pipeline = builtWorker('pipeline');
    if (pipeline && !process.env.VGGLAB_PIPELINE_WORKER) process.env.VGGLAB_PIPELINE_WORKER = pipeline;
    await import(pathToFileURL(built).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(source);
}
