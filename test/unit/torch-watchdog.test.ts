// The torch engine's watchdog tells a hung child from a slow one: a child that is silent for the
// timeout while computing (a long step: VGG-D's first step at 224 px takes over a minute on a 2-core
// CPU) is given its time, and one silent while using no CPU time is killed with a message that says
// so. The children here are stand-ins that speak the engine's framing (no PyTorch needed): one
// computes for 3 timeouts before it answers, one sleeps.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TorchEngine } from '../../src/main/training/backends/torch/engine';
import { cpuSeconds } from '../../src/main/training/backends/torch/watchdog';
import { skipNote, tempDir } from '../helpers';

const python = (() => {
  try {
    execFileSync('python3', ['-c', 'pass']);
    return null;
  } catch {
    return 'python3 is not on PATH';
  }
})();
// The CPU time of another process can be read on Linux (/proc) and macOS (ps).
const reason = python ?? (['linux', 'darwin'].includes(process.platform) ? null : `${process.platform} cannot tell a child's CPU time`);

/** A stand-in engine: answers every request with {} after `wait` ("busy S": computing for S s; "sleep S"). */
function standIn(wait: string): string {
  const file = path.join(tempDir(), 'engine.py');
  fs.writeFileSync(
    file,
    `#!/usr/bin/env python3
import json, struct, sys, time
inp, out = sys.stdin.buffer, sys.stdout.buffer
kind, secs = ${JSON.stringify(wait)}.split()
while True:
    head = inp.read(4)
    if len(head) < 4:
        break
    header = json.loads(inp.read(struct.unpack("<I", head)[0]))
    for size in header.get("blobs", []):
        inp.read(size)
    t0 = time.perf_counter()
    if kind == "busy":
        x = 0
        while time.perf_counter() - t0 < float(secs):
            x += 1
    else:
        time.sleep(float(secs))
    text = json.dumps({"blobs": []}).encode()
    out.write(struct.pack("<I", len(text)) + text)
    out.flush()
`,
  );
  fs.chmodSync(file, 0o755);
  return file;
}

const engines: TorchEngine[] = [];
afterAll(() => engines.forEach((e) => e.close()));

function start(wait: string): TorchEngine {
  const was = process.env.VGGLAB_TORCH_TIMEOUT_S;
  process.env.VGGLAB_TORCH_TIMEOUT_S = '1';
  try {
    // The stand-in is run in the Python's place; the engine script's path is its (ignored) argument.
    const e = TorchEngine.start(standIn(wait));
    engines.push(e);
    return e;
  } finally {
    if (was === undefined) delete process.env.VGGLAB_TORCH_TIMEOUT_S;
    else process.env.VGGLAB_TORCH_TIMEOUT_S = was;
  }
}

describe('the torch engine watchdog', () => {
  it(`reads a process's CPU time${skipNote(reason)}`, { skip: !!reason }, () => {
    const before = cpuSeconds(process.pid)!;
    const t0 = Date.now();
    let x = 0;
    while (Date.now() - t0 < 300) x += 1;
    expect(x).toBeGreaterThan(0);
    // 300 ms of computing: at least a third of it counted (ticks are 10 ms; a busy machine may take the rest).
    expect(cpuSeconds(process.pid)! - before).toBeGreaterThanOrEqual(0.1);
    expect(cpuSeconds(2 ** 22 + 12345)).toBeNull();
  });

  it(`gives a child that computes past the timeout its time${skipNote(reason)}`, { skip: !!reason, timeout: 20_000 }, async () => {
    const e = start('busy 3.5');
    const t0 = Date.now();
    // Timeout 1 s: looked at after 1 s, 2 s and 3 s, computing each time.
    await expect(e.call('hello')).resolves.toBeTruthy();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3000);
  });

  it(`kills a child that is silent and computes nothing, saying so${skipNote(reason)}`, { skip: !!reason, timeout: 20_000 }, async () => {
    const e = start('sleep 30');
    const t0 = Date.now();
    await expect(e.call('hello')).rejects.toThrow(/the torch engine stopped answering: no reply to 'hello' in \d+ s, and it used no CPU time, so it was killed/);
    // The timeout (1 s) and a look of a quarter of it, not the sleep's 30 s.
    expect(Date.now() - t0).toBeLessThan(10_000);
    const pid = e.pid!;
    for (let i = 0; i < 50 && fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); i++) await new Promise((r) => setTimeout(r, 100));
    if (process.platform === 'linux') expect(!fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(true);
  });
});
