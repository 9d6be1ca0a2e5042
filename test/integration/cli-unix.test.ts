// The CLI as a Unix tool, through real processes: one exit-code table (0 ok, 1 the work failed, 2 bad
// usage or an unknown run, 3 refused because of state, 130 Ctrl-C after a clean checkpoint), errors
// as one JSON object with --json, progress that suits a pipe, and the verbs the UI has.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/main/app';
import { VGGLAB, vgglab, vgglabSync, waitInDb } from '../cli-process';
import { tempDir } from '../helpers';

const TINY = ['--config', 'A', '--width', '0.0625', '--batch', '16', '--train-samples', '64', '--val-samples', '32'];

describe('vgglab as a Unix tool', () => {
  const dataDir = tempDir();
  const cli = (...args: string[]) => vgglabSync(dataDir, args);
  /** A `vgglab train` process whose run cannot end by itself in the test's time, once it has a checkpoint. */
  const trainingPastCheckpoint = async (epochs: number) => {
    // No schedule: a plateau schedule would end the run by itself after its last drop, before the test acts.
    const { proc, done } = vgglab(dataDir, ['train', ...TINY, '--epochs', String(epochs), '--schedule', 'none', '--json']);
    let id = 0;
    await waitInDb(dataDir, 'a run past its first checkpoint', (db) => {
      id = (db.prepare("SELECT max(id) FROM runs WHERE status = 'running'").pluck().get() as number | null) ?? 0;
      return id > 0 && (db.prepare('SELECT count(*) FROM checkpoints WHERE run_id = ?').pluck().get(id) as number) > 0;
    }, { watch: { train: proc } });
    return { proc, done, id };
  };

  it('exits by one table: 2 for an unknown run in every command, 3 for a refusal because of state; one line and a pointer to --help', () => {
    const done = cli('train', ...TINY, '--epochs', '1', '--json');
    expect(done.code, done.stderr).toBe(0);
    const id = String(done.json.runId);
    for (const args of [['show', '99'], ['eval', '99'], ['resume', '99'], ['compare', '99'], ['export', '99', '--format', 'csv', '--out', `${dataDir}/x.csv`], ['stop', '99'], ['tag', '99', '+x'], ['study', 'show', '99']]) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^vgglab: (run|study) 99 does not exist\n/);
    }
    // A completed run cannot be resumed or stopped: refused because of its state.
    for (const args of [['resume', id], ['stop', id], ['pause', id]]) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    // A bad flag: one line naming it and its accepted values, one line pointing to the command's help, no help dump.
    const bad = cli('train', '--config', 'F');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(["vgglab: option '--config <C>' argument 'F' is invalid. Allowed choices are A, A-LRN, B, C, D, E.", 'run `vgglab train --help` for the accepted flags and values']);
  });

  it('with --json, an error is one JSON object on stdout with the same exit code', () => {
    expect(cli('show', '99', '--json')).toMatchObject({ code: 2, json: { error: { code: 'not_found', message: 'run 99 does not exist' } } });
    const usage = cli('train', '--config', 'A', '--input-size', '100', '--json');
    expect(usage.code).toBe(2);
    expect(usage.json).toEqual({ error: { code: 'usage', message: expect.stringMatching(/^--input-size: accepted: a multiple of 32/), field: '--input-size' } });
    expect(usage.stderr).toBe('');
    const state = cli('resume', '1', '--json');
    expect(state).toMatchObject({ code: 3, json: { error: { code: 'conflict' } } });
    expect(cli('study', 'show', '5', '--format', 'json')).toMatchObject({ code: 2, json: { error: { code: 'not_found' } } });
  });

  it('piped, a run prints one line per epoch on stderr; --quiet prints none; stdout keeps only the result', () => {
    const r = cli('train', ...TINY, '--epochs', '3');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => /^epoch \d\/3: train loss/.test(l));
    expect(lines.map((l) => l.slice(0, 9))).toEqual(['epoch 1/3', 'epoch 2/3', 'epoch 3/3']);
    expect(lines[2]).toMatch(/val loss \d+\.\d{4} top-1 \d\.\d{3} top-5 \d\.\d{3} \| lr 1\.0e-2/);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^run \d+ completed/);
    const quiet = cli('train', ...TINY, '--epochs', '2', '--quiet', '--json');
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(/^epoch/m);
  });

  it('Ctrl-C stops the run after a checkpoint and exits 130, leaving it resumable from there', async () => {
    const { proc, done, id } = await trainingPastCheckpoint(200);
    proc.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.json).toMatchObject({ runId: id, status: 'stopped' });
    const app = createApp({ dataDir });
    try {
      const run = app.runs.get(id);
      // Stopped mid-way, with a checkpoint at the step it stopped on: resumable from there.
      expect(run.epoch).toBeGreaterThan(0);
      expect(run.epoch).toBeLessThan(200);
      expect(app.db.prepare('SELECT max(step) FROM checkpoints WHERE run_id = ?').pluck().get(id)).toBe(run.step);
    } finally {
      await app.close();
    }
  });

  it('tags, notes, filters and deletes runs as the UI does; delete asks for --yes where it cannot ask', () => {
    const a = cli('train', ...TINY, '--epochs', '1', '--json').json.runId as number;
    expect(cli('tag', String(a), '+best', '+seed1').stdout.trim()).toBe(`run ${a} tags: best, seed1`);
    expect(cli('tag', String(a), '-seed1', '--json').json).toEqual({ id: a, tags: ['best'] });
    expect(cli('tag', String(a), 'best').code).toBe(2);
    expect(cli('note', String(a), 'the good one', '--json').json).toEqual({ id: a, notes: 'the good one' });
    expect(cli('runs', '--tag', 'best', '--json').json.runs.map((r: { id: number }) => r.id)).toEqual([a]);
    expect(cli('runs', '--status', 'stopped', '--json').json.runs.every((r: { status: string }) => r.status === 'stopped')).toBe(true);
    expect(cli('runs', '--limit', '2', '--json').json.runs).toHaveLength(2);
    expect(cli('runs', '--since', '2999-01-01', '--json').json.runs).toEqual([]);
    expect(cli('runs', '--status', 'sleeping').code).toBe(2);
    const ask = cli('delete', String(a));
    expect(ask.code).toBe(2);
    expect(ask.stderr).toMatch(/add --yes to confirm/);
    expect(cli('show', String(a)).code).toBe(0);
    // --json wherever a result is printed: compare and export's summary too.
    expect(cli('compare', String(a), '--json').json.rows[0]).toMatchObject({ run: `#${a}`, config: 'A' });
    const out = `${dataDir}/runs-${a}.csv`;
    expect(cli('export', String(a), '--format', 'csv', '--out', out, '--json').json).toEqual({ runs: [a], format: 'csv', out, files: [out], bytes: expect.any(Number) });
    expect(cli('delete', String(a), '--yes', '--json').json).toEqual({ id: a, deleted: true });
    expect(cli('show', String(a)).code).toBe(2);
  });

  it('stop and pause reach a run that another process trains', async () => {
    const { proc, done, id } = await trainingPastCheckpoint(500);
    expect(cli('pause', String(id), '--json')).toMatchObject({ code: 0, json: { id, paused: true } });
    await waitInDb(dataDir, 'the pause to be taken', (db) => (db.prepare("SELECT count(*) FROM events WHERE run_id = ? AND kind = 'pause'").pluck().get(id) as number) > 0, { watch: { train: proc } });
    expect(cli('continue', String(id)).code).toBe(0);
    expect(cli('stop', String(id)).stdout).toMatch(/is stopping/);
    const r = await done;
    expect(r.json).toMatchObject({ runId: id, status: 'stopped' });
  });

  it('completes commands, flags, choices and run ids in bash, from the program itself', () => {
    expect(cli('train', ...TINY, '--epochs', '1', '--quiet').code).toBe(0);
    const ids = (cli('runs', '--json').json.runs as { id: number }[]).map((r) => String(r.id));
    // `vgglab` on PATH as a user has it, on this test's data folder.
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'vgglab'), `#!/bin/sh\nexec "${process.execPath}" "${VGGLAB}" --data-dir "${dataDir}" "$@"\n`, { mode: 0o755 });
    const script = cli('completion', 'bash').stdout;
    const ask = (...words: string[]) => {
      const line = `source /dev/stdin <<'EOF'\n${script}\nEOF\nCOMP_WORDS=(vgglab ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}; _vgglab; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync('bash', ['-c', line], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(ask('tr')).toEqual(['train']);
    expect(ask('train', '--con')).toEqual(['--config', '--conv-algorithm']);
    expect(ask('train', '--config', '')).toEqual(['A', 'A-LRN', 'B', 'C', 'D', 'E']);
    expect(ask('train', '--conv-algorithm', '')).toEqual(['auto', 'direct', 'winograd']);
    expect(ask('train', '--backend', 'to')).toEqual(['torch']);
    expect(ask('study', '')).toEqual(['start', 'resume', 'cancel', 'show']);
    expect(ask('show', '')).toEqual(ids.slice(0, 200));
    expect(ask('completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(cli('completion', 'fish').stdout).toContain('vgglab __complete');
    expect(cli('completion', 'tcsh').code).toBe(2);
  });
});
