// Checkpoint files: weights, momentum slots and the trainer's state (schedule, epoch, step,
// RNG, sample order) in one binary file, written atomically (temp file, fsync, rename).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const MAGIC = Buffer.from('VGGCKPT1');

export interface TensorRecord {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TrainerState {
  epoch: number;
  stepInEpoch: number;
  step: number;
  rngState: number;
  augRngState: number;
  schedule: { lr: number; best: number; bad: number; drops: number };
  epochLoss: number;
  epochCorrect: number;
  seen: number;
  imagesTimed: number;
  secondsTimed: number;
  lrDrops: { epoch: number; step: number; from: number; to: number }[];
  bestValTop1: number | null;
  /** Seconds of training up to this state (pauses and the time between a stop and its resume left out); absent in older checkpoints. */
  elapsed?: number;
  /** The torch engine's memory layout, measured at the run's first step; a resume keeps it (the two round differently). */
  engineLayout?: 'nchw' | 'channels_last';
  /** The native backend's convolution choices (addon choose.inc), made at the run's first steps; a resume pins them (the ways round differently). */
  convChoices?: Record<string, string>;
  /** Metrics of the last completed epoch, so a resumed run reports them until its next epoch ends. */
  last: { train: { loss: number | null; top1: number | null }; val: { loss: number | null; top1: number | null; top5: number | null } };
}

export interface Checkpoint {
  runId: number;
  config: string;
  state: TrainerState;
  weights: TensorRecord[];
  slots: TensorRecord[];
  order: Int32Array;
}

interface Header {
  version: 1;
  runId: number;
  config: string;
  state: TrainerState;
  tensors: { name: string; group: 'weights' | 'slots'; shape: number[]; offset: number; length: number }[];
  order: { offset: number; length: number };
}

/** Serialises and writes atomically; returns the file's sha256. */
export function writeCheckpoint(file: string, ck: Checkpoint): string {
  const tensors: Header['tensors'] = [];
  let offset = 0;
  for (const [group, list] of [['weights', ck.weights], ['slots', ck.slots]] as const) {
    for (const t of list) {
      tensors.push({ name: t.name, group, shape: t.shape, offset, length: t.data.length });
      offset += t.data.length * 4;
    }
  }
  const order = { offset, length: ck.order.length };
  offset += ck.order.length * 4;
  const header: Header = { version: 1, runId: ck.runId, config: ck.config, state: ck.state, tensors, order };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - ((MAGIC.length + 4 + json.length) % 4)) % 4;
  json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  // Each tensor's bytes go to the file as they are, hashed on the way: no copy of the whole. For
  // VGG-D at 224 px (1.1 GB) the two copies took 7 of the write's 15 s where fresh memory is slow.
  const pieces = [MAGIC, len, json, ...[...ck.weights, ...ck.slots].map((t) => t.data), ck.order];
  const hash = crypto.createHash('sha256');
  const tmp = `${file}.tmp-${process.pid}`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const piece of pieces) {
      const bytes = new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength);
      for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      hash.update(bytes);
    }
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  try {
    const dfd = fs.openSync(path.dirname(file), 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  } catch {
    /* directories cannot be fsynced on every platform */
  }
  return hash.digest('hex');
}

export class CheckpointError extends Error {}

function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CheckpointError(`checkpoint ${file} cannot be read: ${(err as Error).message}`);
  }
}

const sha256Of = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

/** Reads and verifies a checkpoint; a wrong hash or a damaged file is refused, never half-loaded. */
export function readCheckpoint(file: string, expectedSha256?: string): Checkpoint {
  const all = readBytes(file);
  if (expectedSha256) {
    const got = sha256Of(all);
    if (got !== expectedSha256)
      throw new CheckpointError(`checkpoint ${file} is damaged (sha256 ${got.slice(0, 12)}…, recorded ${expectedSha256.slice(0, 12)}…); resume from an earlier checkpoint or start a new run`);
  }
  return parseCheckpoint(file, all);
}

/** Reads a checkpoint whose hash is not on record, and the sha256 of its bytes (the file read once). */
export function readCheckpointHashed(file: string): { ck: Checkpoint; sha256: string } {
  const all = readBytes(file);
  return { ck: parseCheckpoint(file, all), sha256: sha256Of(all) };
}

function parseCheckpoint(file: string, all: Buffer): Checkpoint {
  if (all.length < 12 || !all.subarray(0, 8).equals(MAGIC)) throw new CheckpointError(`${file} is not a VGG Lab checkpoint`);
  const hlen = all.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(all.subarray(12, 12 + hlen).toString('utf8')) as Header;
  } catch {
    throw new CheckpointError(`checkpoint ${file} is damaged (its header cannot be read)`);
  }
  const base = 12 + hlen;
  const body = all.subarray(base);
  const need = Math.max(header.order.offset + header.order.length * 4, ...header.tensors.map((t) => t.offset + t.length * 4));
  if (need > body.length) throw new CheckpointError(`checkpoint ${file} is damaged (cut short: ${base + need} bytes expected, ${all.length} found)`);
  // Views of the file's bytes where they lie on 4-byte boundaries (the header is padded so that
  // they do whenever the buffer starts on one); otherwise copies into aligned arrays.
  const f32 = (offset: number, length: number) =>
    (body.byteOffset + offset) % 4 === 0
      ? new Float32Array(body.buffer, body.byteOffset + offset, length)
      : new Float32Array(body.buffer.slice(body.byteOffset + offset, body.byteOffset + offset + length * 4));
  const weights: TensorRecord[] = [];
  const slots: TensorRecord[] = [];
  for (const t of header.tensors) (t.group === 'weights' ? weights : slots).push({ name: t.name, shape: t.shape, data: f32(t.offset, t.length) });
  const order = new Int32Array(body.buffer.slice(body.byteOffset + header.order.offset, body.byteOffset + header.order.offset + header.order.length * 4));
  return { runId: header.runId, config: header.config, state: header.state, weights, slots, order };
}
