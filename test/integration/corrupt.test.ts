// Damaged inputs to the store are refused with a clear message and a way out; nothing is overwritten.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/main/store/db';
import { readCheckpoint, writeCheckpoint } from '../../src/main/training/checkpoint';
import { repoRoot, tempDir } from '../helpers';

const cli = (dataDir: string, ...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgglab.mjs'), '--data-dir', dataDir, ...args], { encoding: 'utf8' });

describe('damaged store inputs', () => {
  it('a garbage database file is refused, kept aside, and left as it was', () => {
    const dir = tempDir();
    const file = path.join(dir, 'vgglab.db');
    const junk = Buffer.from('this is not a database at all, just some bytes '.repeat(200));
    fs.writeFileSync(file, junk);
    expect(() => openDatabase(dir)).toThrow(/is damaged .*a copy was kept as .*vgglab\.db\.damaged-.*restore a backup/);
    expect(fs.readFileSync(file).equals(junk)).toBe(true);
    const copies = fs.readdirSync(dir).filter((f) => f.startsWith('vgglab.db.damaged-'));
    expect(copies).toHaveLength(1);
    const r = cli(dir, 'runs');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/damaged/);
  });

  it('a truncated database file is refused the same way', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    db.exec("INSERT INTO experiments (name, created_at) VALUES ('x', 'now')");
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const file = path.join(dir, 'vgglab.db');
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 3)));
    expect(() => openDatabase(dir)).toThrow(/damaged/);
  });

  it('a database from a newer version is refused with a message, and not changed', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from-the-future', 'later')").run();
    db.close();
    const before = fs.readFileSync(path.join(dir, 'vgglab.db'));
    const r = cli(dir, 'runs');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/written by a newer version/);
    expect(fs.readFileSync(path.join(dir, 'vgglab.db')).equals(before)).toBe(true);
  });

  it('a checkpoint whose hash does not match is refused, with a suggested recovery', () => {
    const file = path.join(tempDir(), 'ck.ckpt');
    const sha = writeCheckpoint(file, {
      runId: 1,
      config: 'A',
      state: { epoch: 2, stepInEpoch: 0, step: 4, rngState: 1, augRngState: 2, schedule: { lr: 0.01, best: 0.5, bad: 0, drops: 0 }, epochLoss: 0, epochCorrect: 0, seen: 0, imagesTimed: 0, secondsTimed: 0, lrDrops: [], bestValTop1: 0.5, last: { train: { loss: 1, top1: 0.5 }, val: { loss: 1, top1: 0.5, top5: 0.9 } } },
      weights: [{ name: 'fc1/kernel', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
      slots: [{ name: 'fc1/kernel', shape: [2, 2], data: Float32Array.from([0, 0, 0, 0]) }],
      order: Int32Array.from([1, 0]),
    });
    expect(readCheckpoint(file, sha).weights[0]!.data).toEqual(Float32Array.from([1, 2, 3, 4]));
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(() => readCheckpoint(file, sha)).toThrow(/is damaged \(sha256 .* recorded .*\); resume from an earlier checkpoint or start a new run/);
  });
});
