// The PyTorch reference beside `vgglab bench`'s figures: bench/pytorch_reference.py, with Debian's
// python3-torch, running the same model and SGD step as a long-lived child process that times one
// window whenever asked, so that its windows are taken between the engine's epochs as the bare
// loop's are (on a shared machine the speed moves by a third from minute to minute; figures taken
// minutes apart compare the minutes more than the programs).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { torchEnv } from '../training/backends/torch/engine';
import { projectFile } from '../root';
import type { Workload } from './workloads';

const SCRIPT = projectFile('bench/pytorch_reference.py');

export class TorchReference {
  private readonly lines: AsyncIterator<string>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    /** Threads, the layout kept and both layouts' best windows, the BLAS, the memory setting. */
    readonly settings: string,
    lines: AsyncIterator<string>,
  ) {
    this.lines = lines;
  }

  /**
   * The reference warmed up, with the faster layout chosen (one window of `seconds` each), or null
   * where PyTorch is not installed. Debian's python3-torch lives under the system interpreter,
   * which may not be the first python3 on PATH.
   */
  static async start(w: Workload, seconds: number, threads: number): Promise<TorchReference | null> {
    if (!fs.existsSync(SCRIPT)) return null;
    const { env, notes } = torchEnv();
    for (const python of ['python3', '/usr/bin/python3']) {
      const child = spawn(python, [SCRIPT, w.config, String(w.inputSize), String(w.width), String(w.classes), String(w.batch), String(seconds * 3), String(threads), '--serve'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      child.on('error', () => undefined);
      child.stderr.resume();
      const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = await lines.next().catch(() => ({ done: true as const, value: undefined }));
      const m = first.done ? null : /^ready threads=(\d+) layout=(\S+) nchw=([\d.]+) channels_last=([\d.]+)/.exec(first.value);
      if (m) return new TorchReference(child, [`${m[1]} thread(s), ${m[2]} (layouts timed in turns, best window: NCHW ${m[3]}, channels_last ${m[4]} img/s)`, ...notes].join(', '), lines);
      child.kill();
    }
    return null;
  }

  /** Images per second over one window of `seconds` (at least one step). */
  async window(seconds: number): Promise<number> {
    this.child.stdin.write(`window ${seconds}\n`);
    const next = await this.lines.next();
    const m = next.done ? null : /^images_per_sec=([\d.]+)/.exec(next.value);
    if (!m) throw new Error(`the PyTorch reference stopped answering${next.done ? '' : `: ${next.value}`}`);
    return Number(m[1]);
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
