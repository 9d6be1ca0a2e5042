import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrainParams, type ConfigName, type TrainParamsInput } from '../src/shared/domain';
import type { App } from '../src/main/app';

const made: string[] = [];

/** A fresh folder under the system's temporary folder, removed after the test file (test/setup.ts). */
export function tempDir(prefix = 'vgglab-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes the folders tempDir made; VGGLAB_KEEP_TEST_DIRS=1 keeps them to look at. */
export function removeTempDirs(): void {
  if (process.env.VGGLAB_KEEP_TEST_DIRS === '1') return;
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
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

/**
 * Starts a run from partial parameters, parsed at the edge as a transport or the CLI parses them
 * (the service takes parsed parameters only).
 */
export function startRun(app: App, input: TrainParamsInput): Promise<{ id: number }> {
  return app.runs.start(TrainParams.parse(input));
}

/** The same for the paper's chain of warm-started runs. */
export function startChain(app: App, base: Omit<TrainParamsInput, 'config' | 'init'> & { config?: unknown; init?: unknown }, configs: ConfigName[]) {
  // The chain sets each run's configuration and initialisation itself.
  const { config: _config, init: _init, ...rest } = base;
  return app.runs.startChain(TrainParams.omit({ config: true, init: true }).parse(rest), configs);
}

/**
 * The largest difference between two arrays relative to `want`'s largest magnitude: the measure the
 * native-kernel tests compare against (biases are small, so an absolute floor would hide their errors).
 */
export function worstRelative(got: Float32Array, want: Float32Array): number {
  let scale = 1e-6;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
  }
  return diff / scale;
}
