// Which code a worker thread of the CLI and the tests runs: the build's bundle while it is as new as
// every source file, the TypeScript through tsx otherwise (stale, missing, or VGGLAB_TSX_WORKERS=1).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtWorker } from '../../src/main/thread-boot.mjs';
import { repoRoot } from '../helpers';

const bundle = path.join(repoRoot, 'out', 'main', 'workers', 'training.js');
const hasBundle = fs.existsSync(bundle);

describe.skipIf(!hasBundle)('worker bundles (npm test builds them first)', () => {
  const saved = process.env.VGGLAB_TSX_WORKERS;
  afterEach(() => {
    if (saved === undefined) delete process.env.VGGLAB_TSX_WORKERS;
    else process.env.VGGLAB_TSX_WORKERS = saved;
  });

  it('a fresh bundle is used; VGGLAB_TSX_WORKERS=1 or a bundle older than a source file falls back to the TypeScript', () => {
    delete process.env.VGGLAB_TSX_WORKERS;
    expect(builtWorker('training')).toBe(bundle);
    process.env.VGGLAB_TSX_WORKERS = '1';
    expect(builtWorker('training')).toBeNull();
    delete process.env.VGGLAB_TSX_WORKERS;
    // As if the sources had been edited after the build.
    const { atime, mtime } = fs.statSync(bundle);
    fs.utimesSync(bundle, atime, new Date(0));
    try {
      expect(builtWorker('training')).toBeNull();
    } finally {
      fs.utimesSync(bundle, atime, mtime);
    }
    expect(builtWorker('training')).toBe(bundle);
  });
});
