// The torch engine's child process (resources/torch_engine.py, one per training or evaluation
// thread) and the frames that cross its pipes: a uint32 header length, a JSON header, binary blobs.
// Requests are answered in order, so a batch can be sent while the one before it computes. A child
// that dies fails every waiting request with its last words and what to do; one that answers nothing
// for the timeout while using no CPU time (watchdog.ts) is killed and reported the same way — a run's
// state, never a hang.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchSlots, shmDir, SLOT_MIN_BYTES } from './batch-slots';
import { Watchdog } from './watchdog';

export type Blob = ArrayBufferView;
export interface Reply {
  header: Record<string, unknown>;
  blobs: Buffer[];
}

/** The engine script, found upward from this file (source tree, bundles, the packaged app's resources). */
export function engineScript(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 7; i++) {
    const f = path.join(dir, 'resources', 'torch_engine.py');
    if (fs.existsSync(f)) return f;
    dir = path.dirname(dir);
  }
  return null;
}

/**
 * The Pythons tried, in order: VGGLAB_PYTHON alone where it is set; else python3 on PATH, then the
 * system's own (/usr/bin/python3, where a distribution's python3-torch lives when PATH leads to
 * another, e.g. pyenv's).
 */
export function pythonCandidates(): string[] {
  if (process.env.VGGLAB_PYTHON) return [process.env.VGGLAB_PYTHON];
  return process.platform === 'win32' ? ['python', 'py'] : ['python3', '/usr/bin/python3'];
}

/** Seconds without an answer before the child is looked at, and taken for hung if it computes nothing (VGGLAB_TORCH_TIMEOUT_S, default 60). */
const timeoutMs = () => 1000 * (Number(process.env.VGGLAB_TORCH_TIMEOUT_S) || 60);

/** PyTorch at its best here (the engine and the bench's reference): the environment it runs with, and what a settings line says of it. */
export function torchEnv(): { env: NodeJS.ProcessEnv; notes: string[] } {
  // The OpenMP OpenBLAS first on the library path (Debian's alternatives may point at the pthread
  // build, which starves PyTorch's OpenMP threads).
  const openmpBlas = ['/usr/lib/x86_64-linux-gnu/openblas-openmp', '/usr/lib/aarch64-linux-gnu/openblas-openmp'].find((d) => fs.existsSync(d));
  // glibc's malloc keeps what PyTorch frees instead of handing it back to the system: PyTorch's CPU
  // allocator frees every step's activations, and where fresh pages are dear (an AMD VM here: 3 s to
  // touch 1 GB) taking them again each step held W1 to 0.5× and W3 to 0.3× of its speed.
  const env = {
    ...process.env,
    ...(openmpBlas ? { LD_LIBRARY_PATH: [openmpBlas, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}),
    MALLOC_MMAP_MAX_: '0',
    MALLOC_TRIM_THRESHOLD_: String(2 ** 50),
  };
  return { env, notes: [...(openmpBlas ? ['OpenMP OpenBLAS'] : []), 'freed memory kept (MALLOC_MMAP_MAX_=0)', 'windows between the engine\'s epochs'] };
}

export class TorchEngineError extends Error {}

/** The requests that carry a batch, which may cross in a shared-memory slot. */
const BATCH_OPS = new Set(['step', 'eval', 'forward']);

export class TorchEngine {
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void; op: string; slots: number[] }[] = [];
  /** Shared-memory slots for batches: undefined until the first batch, null where there are none (or the engine refused them). */
  private slots: BatchSlots | null | undefined;
  /** Whether the engine has mapped the slots (until then, batches go by the pipe). */
  private slotsReady = false;
  /** Batches that crossed in a slot (a test counts them). */
  slotted = 0;
  private stderrTail: string[] = [];
  private failure: TorchEngineError | null = null;
  private readonly watchdog: Watchdog;
  /** Resolved once the child has exited (for whatever reason). */
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly python: string,
    /** Where slots are made (tmpfs), or null: the pipe alone. */
    private readonly shmDir: string | null,
  ) {
    this.watchdog = new Watchdog(
      () => child.pid,
      // Read once, when the child starts.
      timeoutMs(),
      (reason) => {
        this.child.kill('SIGKILL');
        this.fail(`the torch engine stopped answering: ${reason}${this.lastWords()}`);
      },
    );
    child.stdout.on('data', (chunk: Buffer) => this.take(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      for (const line of text.split('\n')) if (line.trim()) this.stderrTail.push(line.trim());
      this.stderrTail = this.stderrTail.slice(-20);
    });
    // A write to a child that has died fails with EPIPE; its exit, which always follows, says why.
    child.stdin.on('error', () => {});
    child.on('error', (err) => this.fail(`the torch engine could not start (${python}): ${err.message}`));
    child.on('exit', (code, signal) => this.fail(`the torch engine exited (${signal ?? `code ${code}`})${this.lastWords()}`));
    // A child that never started (spawn failed) has no exit to wait for.
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    // Nothing here keeps the thread alive on its own; the requests in flight do.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
  }

  static start(python: string): TorchEngine {
    const script = engineScript();
    if (!script) throw new TorchEngineError('the torch engine script (resources/torch_engine.py) is missing from this installation');
    // Decided here only: the engine reads requests between steps where batches come in slots, and
    // keeps a reader thread where they come through the pipe (VGGLAB_TORCH_SHM tells it which).
    const dir = shmDir();
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...torchEnv().env, PYTHONUNBUFFERED: '1', VGGLAB_TORCH_SHM: dir ? '1' : '0' } });
    return new TorchEngine(child, python, dir);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** One request; its reply, or the engine's failure. */
  call(op: string, header: Record<string, unknown> = {}, blobs: Blob[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const parts = blobs.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    // A batch goes into a shared-memory slot where one is free; the rest (labels, weights) by the pipe.
    const inSlots: Record<number, number> = {};
    if (BATCH_OPS.has(op)) {
      const big = parts.findIndex((p) => p.length >= SLOT_MIN_BYTES);
      if (big >= 0 && this.slots === undefined) this.openSlots(parts[big]!.length);
      if (big >= 0 && this.slots && this.slotsReady) {
        const slot = this.slots.put(parts[big]!);
        if (slot !== null) {
          inSlots[big] = slot;
          this.slotted += 1;
        }
      }
    }
    const piped = parts.filter((_, i) => !(i in inSlots));
    this.send({ ...header, op, blobs: parts.map((p) => p.length), ...(Object.keys(inSlots).length ? { shm: inSlots } : {}) }, piped);
    return new Promise<Reply>((resolve, reject) => this.wait({ resolve, reject, op, slots: Object.values(inSlots) }));
  }

  /** One frame: a uint32 header length, the JSON header, the piped blobs. */
  private send(header: Record<string, unknown>, parts: Buffer[]): void {
    const text = Buffer.from(JSON.stringify(header));
    const head = Buffer.alloc(4);
    head.writeUInt32LE(text.length);
    // Written in one go: the blobs' bytes are copied into the pipe's queue, so the caller may reuse its buffers at once.
    this.child.stdin.write(Buffer.concat([head, text, ...parts]));
  }

  /**
   * The slots created and offered to the engine. Batches use them once it has mapped the file (its
   * name is then unlinked); an engine that cannot map it says why, and batches stay on the pipe.
   */
  private openSlots(bytes: number): void {
    const slots = this.shmDir ? BatchSlots.create(this.shmDir, bytes) : null;
    this.slots = slots;
    if (!slots) return;
    this.send({ op: 'shm', file: slots.file, size: slots.size, slotBytes: slots.slotBytes, blobs: [] }, []);
    new Promise<Reply>((resolve, reject) => this.wait({ resolve, reject, op: 'shm', slots: [] })).then(
      () => {
        slots.unlink();
        this.slotsReady = true;
      },
      () => {
        slots.close();
        if (this.slots === slots) this.slots = null;
      },
    );
  }

  /** Ends the child (EOF first, then a kill if it lingers); resolved once it has exited. */
  close(): Promise<void> {
    this.watchdog.disarm();
    this.failure ??= new TorchEngineError('the torch engine was closed');
    this.slots?.close();
    this.child.stdin.end();
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    kill.unref();
    return this.exited.finally(() => clearTimeout(kill));
  }

  /** A request sent; the watchdog starts on it where nothing else was waiting (else at the answer before it). */
  private wait(w: (typeof this.waiting)[number]): void {
    this.waiting.push(w);
    if (this.waiting.length === 1) this.arm();
  }

  /** The watchdog on the oldest request waiting, if any. */
  private arm(): void {
    if (this.waiting.length) this.watchdog.arm(this.waiting[0]!.op);
    else this.watchdog.disarm();
  }

  private lastWords(): string {
    const last = this.stderrTail.filter((l) => !l.startsWith('warnings.warn')).at(-1);
    if (!last) return '';
    const oom = /out of memory/i.test(last) ? '; lower --batch or use --precision bf16' : '';
    return `: ${last}${oom}`;
  }

  private fail(message: string): void {
    this.watchdog.disarm();
    this.failure ??= new TorchEngineError(message);
    this.slots?.close();
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  private readonly frames = new FrameReader();

  private take(chunk: Buffer): void {
    for (const frame of this.frames.push(chunk)) this.answer(frame);
  }

  private answer(frame: Buffer): void {
    const len = frame.readUInt32LE(0);
    const header = JSON.parse(frame.subarray(4, 4 + len).toString('utf8')) as Record<string, unknown> & { blobs?: number[]; error?: string };
    const blobs: Buffer[] = [];
    let at = 4 + len;
    for (const size of header.blobs ?? []) {
      // A copy of its own (Buffer.alloc: never a slice of the shared pool, so aligned for Float32Array views).
      const blob = Buffer.alloc(size);
      frame.copy(blob, 0, at, at + size);
      blobs.push(blob);
      at += size;
    }
    const w = this.waiting.shift();
    this.arm();
    if (!w) return;
    // Answered: the engine is done with the batch it read in place.
    if (w.slots.length) this.slots?.release(w.slots);
    if (header.error) w.reject(new TorchEngineError(`torch engine, ${w.op}: ${header.error}`));
    else w.resolve({ header, blobs });
  }
}

/**
 * Cuts the child's output into frames. Chunks (64 KiB from a pipe) are kept in a list and joined
 * once a whole frame is there: a checkpoint's weights are hundreds of MB, and joining on every chunk
 * would copy them thousands of times.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private held = 0;
  /** The frame being read: its total length once its header is known. */
  private frameLength: number | null = null;
  /** How many times chunks were joined (a test counts them). */
  joins = 0;

  /** The frames this chunk completes, each whole (length prefix, header, blobs). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.held += chunk.length;
    const done: Buffer[] = [];
    for (;;) {
      if (this.frameLength === null) {
        if (this.held < 4) return done;
        const len = this.first(4).readUInt32LE(0);
        if (this.held < 4 + len) return done;
        const header = JSON.parse(this.first(4 + len).subarray(4, 4 + len).toString('utf8')) as { blobs?: number[] };
        this.frameLength = 4 + len + (header.blobs ?? []).reduce((a, b) => a + b, 0);
      }
      if (this.held < this.frameLength) return done;
      const all = this.first(this.held);
      done.push(all.subarray(0, this.frameLength));
      const rest = all.subarray(this.frameLength);
      this.chunks = rest.length ? [rest] : [];
      this.held = rest.length;
      this.frameLength = null;
    }
  }

  /** The held bytes from the start, at least n of them (n ≤ held), joining chunks only where the first is shorter. */
  private first(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    this.joins += 1;
    const joined = Buffer.concat(this.chunks, this.held);
    this.chunks = [joined];
    return joined;
  }
}

/** A blob as float32 values. */
export function floats(b: Buffer): Float32Array {
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
