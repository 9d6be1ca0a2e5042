// Checkpoint files: what is written is read back exactly, whatever array the values sit in, and
// the hash recorded for a file is the hash of its bytes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, readCheckpointHashed, writeCheckpoint, type Checkpoint, type TrainerState } from '../../src/main/training/checkpoint';
import { tempDir } from '../helpers';

const state = { epoch: 3, step: 12, stepInEpoch: 0, rngState: 5, augRngState: 6 } as unknown as TrainerState;

describe('checkpoint files', () => {
  it('read back exactly, from arrays that are views into larger ones, with the sha256 of the file', () => {
    const dir = tempDir();
    // Values that must survive bit for bit: −0, subnormals, infinities and a NaN payload.
    const odd = Float32Array.from([-0, 1.4e-45, Infinity, -Infinity, NaN, 3.5, -2.25]);
    const shared = new Float32Array(64).map((_, i) => i / 7 - 3);
    const ck: Checkpoint = {
      runId: 4,
      config: 'A',
      state,
      weights: [
        { name: 'block1_conv1/kernel', shape: [7], data: odd },
        // A view that starts 12 bytes into its buffer, and another into the same buffer.
        { name: 'block1_conv1/bias', shape: [2, 5], data: shared.subarray(3, 13) },
      ],
      slots: [
        { name: 'block1_conv1/kernel', shape: [7], data: shared.subarray(20, 27) },
        { name: 'block1_conv1/bias', shape: [2, 5], data: shared.subarray(40, 50) },
      ],
      order: Int32Array.from([5, 0, 3, 1, 4, 2]).subarray(1),
    };
    const file = path.join(dir, 'checkpoints', 'step-000000012-last.ckpt');
    const sha = writeCheckpoint(file, ck);
    expect(sha).toBe(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
    // Only the file itself: its temporary twin is renamed into place.
    expect(fs.readdirSync(path.dirname(file))).toEqual([path.basename(file)]);
    const back = readCheckpoint(file, sha);
    expect(back.runId).toBe(4);
    expect(back.state).toEqual(state);
    expect([...back.order]).toEqual([0, 3, 1, 4, 2]);
    for (const group of ['weights', 'slots'] as const)
      back[group].forEach((t, i) => {
        const want = ck[group][i]!;
        expect(t.name).toBe(want.name);
        expect(t.shape).toEqual(want.shape);
        expect(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).toEqual(new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength));
      });
  });

  it('a file whose bytes changed is refused by its recorded hash', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.ckpt');
    const sha = writeCheckpoint(file, { runId: 1, config: 'A', state, weights: [{ name: 'w', shape: [3], data: Float32Array.from([1, 2, 3]) }], slots: [], order: new Int32Array(0) });
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1]! ^= 1;
    fs.writeFileSync(file, bytes);
    expect(() => readCheckpoint(file, sha)).toThrow(/is damaged/);
  });

  it('a file cut short is refused even where no hash is on record (a half-copied file), and a whole one reads with its hash', () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.ckpt');
    const sha = writeCheckpoint(file, { runId: 1, config: 'A', state, weights: [{ name: 'w', shape: [1000], data: new Float32Array(1000).fill(0.5) }], slots: [], order: Int32Array.from([0, 1]) });
    const whole = readCheckpointHashed(file);
    expect(whole.sha256).toBe(sha);
    expect(whole.ck.weights[0]!.data).toHaveLength(1000);
    fs.truncateSync(file, fs.statSync(file).size - 100);
    expect(() => readCheckpoint(file)).toThrow(/is damaged \(cut short: \d+ bytes expected, \d+ found\)/);
    expect(() => readCheckpointHashed(file)).toThrow(/cut short/);
  });
});
