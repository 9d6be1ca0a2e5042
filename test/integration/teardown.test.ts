// The suite's own promise: a test that fails, times out or dies leaves no process behind. Child
// vitest runs of test files that fail on purpose (test/fixtures/teardown/) with trainers, a shell
// and its child running; afterwards every one of those processes is gone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers';

/** Whether a process runs (a zombie, killed but not yet reaped by its new parent, does not). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function childVitest(file: string, env: NodeJS.ProcessEnv = {}) {
  const pids = path.join(tempDir('vgglab-teardown-'), 'pids');
  fs.writeFileSync(pids, '');
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', 'test/fixtures/teardown/vitest.config.ts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, VGGLAB_TEARDOWN_FILE: file, VGGLAB_TEARDOWN_PIDS: pids, ...env },
  });
  const noted = fs.readFileSync(pids, 'utf8').trim().split('\n').filter(Boolean).map((l) => ({ pid: Number(l.split(' ')[0]), what: l.slice(l.indexOf(' ') + 1) }));
  return { code: r.status, out: `${r.stdout}${r.stderr}`, noted };
}

describe.skipIf(process.platform !== 'linux')('test teardown', () => {
  it('a test file that fails, times out and leaves a beforeAll process leaves nothing running', () => {
    const r = childVitest('hooks');
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain('failing on purpose');
    expect(r.out).toMatch(/Test timed out in 6000ms/);
    // Each process was running when its test failed (the fixture notes a trainer only once it has recorded a step).
    expect(r.noted.map((n) => n.what).sort()).toEqual([
      'failed test',
      'started in beforeAll',
      "started in beforeAll's child",
      'timed-out test',
      'timed-out test',
      "timed-out test's child",
    ]);
    const left = r.noted.filter((n) => running(n.pid));
    expect(left, r.out).toEqual([]);
  });

  it('a test process killed outright: the global teardown ends the trainer it left', () => {
    const r = childVitest('killed', { VGGLAB_TEARDOWN_NET: '1' });
    expect(r.code, r.out).not.toBe(0);
    expect(r.noted.map((n) => n.what)).toEqual(['test process killed']);
    expect(r.out).toMatch(/suite teardown: SIGKILLed 1 process/);
    expect(r.noted.filter((n) => running(n.pid)), r.out).toEqual([]);
  });
});
