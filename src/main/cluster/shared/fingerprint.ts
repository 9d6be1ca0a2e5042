// The dataset a cluster job reads, as both sides see it: the desktop records the fingerprint of its
// copy when it queues the run, and the worker refuses the job if its own copy differs.
import fs from 'node:fs';
import path from 'node:path';
import { fingerprint } from '../../services/datasets';
import { specPath } from '../../data/spec';

/** The fingerprint of the data a SPEC reads (a folder's files, or one file), or null for built-in data. */
export function specFingerprint(spec: string, resolve: (p: string) => string = (p) => p): string | null {
  const p = specPath(spec);
  if (p === null) return null;
  const abs = path.resolve(resolve(p));
  const st = fs.statSync(abs, { throwIfNoEntry: false });
  if (!st) return null;
  if (st.isDirectory()) return fingerprint(abs);
  return `${path.basename(abs)}:${st.size}:${Math.round(st.mtimeMs)}`;
}
