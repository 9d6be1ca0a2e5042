// Runs the suite's two lanes (vitest.config.ts's projects) side by side, as two Vitest processes:
// the files that train on both cores, one at a time, beside the files that mostly wait on servers,
// browsers and queues, one at a time. Vitest itself runs every project whose files go one at a
// time in a single sequential group, so the lanes are two processes here.
// Arguments pass through to both; `--outputFile.json=FILE` is written per lane and merged into FILE.
// Each line of a lane's output is printed as it comes, behind the lane's name.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LANES = ['compute', 'processes'];
const args = process.argv.slice(2);
const jsonArg = args.find((a) => a.startsWith('--outputFile.json='));
const jsonOut = jsonArg?.slice('--outputFile.json='.length);
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');

const children = [];
const started = Date.now();
function lane(name) {
  const laneArgs = args.map((a) => (a === jsonArg ? `--outputFile.json=${jsonOut}.${name}` : a));
  const child = spawn(process.execPath, [vitest, 'run', '--project', name, ...laneArgs], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' } });
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (d) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop();
      for (const line of lines) process.stdout.write(`[${name}] ${line}\n`);
    });
    stream.on('end', () => rest && process.stdout.write(`[${name}] ${rest}\n`));
  }
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      console.log(`[${name}] lane finished: exit ${code ?? signal} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      resolve(code ?? 1);
    }),
  );
}

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => children.forEach((c) => c.kill(sig)));
const codes = await Promise.all(LANES.map(lane));

if (jsonOut) {
  const parts = LANES.map((n) => `${jsonOut}.${n}`).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  const merged = { ...parts[0], testResults: parts.flatMap((p) => p.testResults ?? []), success: parts.every((p) => p.success) && parts.length === LANES.length };
  for (const k of Object.keys(parts[0] ?? {})) if (k.startsWith('num')) merged[k] = parts.reduce((s, p) => s + (p[k] ?? 0), 0);
  merged.startTime = Math.min(...parts.map((p) => p.startTime));
  fs.writeFileSync(jsonOut, JSON.stringify(merged));
  console.log(`both lanes done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`lanes: ${merged.numPassedTests} passed, ${merged.numFailedTests} failed, ${merged.numPendingTests + merged.numTodoTests} skipped`);
}
process.exitCode = codes.every((c) => c === 0) ? 0 : 1;
