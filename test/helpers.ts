import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix = 'vgglab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Where tests leave screenshots and other artefacts a person may want to look at. */
export function outputDir(): string {
  const dir = path.join(repoRoot, 'test-output');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Appended to a test's title, so that a skipped test says why in every report. */
export function skipNote(reason: string | null | undefined): string {
  return reason ? ` (skipped: ${reason})` : '';
}
