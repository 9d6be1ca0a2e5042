// How the torch engine writes its answers (resources/torch_engine.py, Replies): a quick step's answer
// is held while the app's next request is already there, and up to four leave in one write, so that
// the app's thread is woken once for them rather than once each (on a 2-core machine each wake-up
// takes a core from PyTorch's threads). An answer the app may be waiting on goes at once, with those
// held before it, in order. Checked on the class itself, with a recording stdout and a clock of its
// own (no timing of this machine enters); the engine's pipelined steps through real processes are
// checked in torch-transport.test.ts and integration/torch.test.ts.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { torch, startTorchEngine } from '../../src/main/training/backends/torch';
import { engineScript } from '../../src/main/training/backends/torch/engine';
import path from 'node:path';
import { skipNote } from '../helpers';
import { need } from '../require';

const probe = await torch.probe();
const reason = need('torch', probe.available ? null : probe.reason);

/** The Python with PyTorch that the app starts its engine with. */
async function enginePython(): Promise<string> {
  const { engine } = await startTorchEngine();
  await engine.close();
  return engine.python;
}

const SCRIPT = `
import json, struct, sys
sys.path.insert(0, sys.argv[1])
import torch_engine as te

now = [0.0]
te.time.perf_counter = lambda: now[0]

class Out:
    """stdout as the engine sees it: bytes written, and what each flush sent."""
    def __init__(self):
        self.buffered, self.sent = b"", []
    def write(self, b):
        self.buffered += bytes(b)
    def flush(self):
        if self.buffered:
            self.sent.append(self.buffered)
        self.buffered = b""

def frames(data):
    """The frames of one write: each header's 'i' (or 'error'), and its blobs' sizes."""
    got, at = [], 0
    while at < len(data):
        n = struct.unpack("<I", data[at:at + 4])[0]
        h = json.loads(data[at + 4:at + 4 + n])
        at += 4 + n + sum(h["blobs"])
        got.append(h.get("i", h.get("error")))
    return got

def run(sends):
    out = Out()
    r = te.Replies(out)
    for s in sends:
        now[0] += s.get("dt", 0.0)
        r.send(dict(s["h"]), s.get("blobs", []), s.get("hold", False))
    r.flush()
    return [frames(w) for w in out.sent]

step = lambda i, hold=True, dt=0.0: {"h": {"i": i}, "hold": hold, "dt": dt}
print(json.dumps({
    # Ten quick steps with the next request waiting, the tenth without: 4 + 4 + 2, in order.
    "held": run([step(i) for i in range(1, 10)] + [step(10, hold=False)]),
    # The first held answer waits a quarter of a second at most.
    "aged": run([step(1), step(2, dt=0.1), step(3, dt=0.2), step(4, hold=False)]),
    # A reply with a blob (weights) is never held, and takes the held ones with it, before it.
    "blob": run([step(1), step(2), {"h": {"i": "weights"}, "blobs": [b"x" * 8], "hold": True}, step(3, hold=False)]),
    # A failure goes at once (the engine sends it without holding), after the held answers.
    "error": run([step(1), {"h": {"error": "torch engine, step: boom"}}, step(2, hold=False)]),
    # Answers held at the end (stdin closed): the final flush writes them.
    "end": run([step(1), step(2)]),
}))
`;

describe.skipIf(!!reason)(`the torch engine's answers${skipNote(reason)}`, () => {
  it('holds quick steps\' answers while the next request waits, up to four in one write, the first a quarter of a second at most; any other answer goes at once, in order', async () => {
    const python = await enginePython();
    const out = execFileSync(python, ['-c', SCRIPT, path.dirname(engineScript()!)], { encoding: 'utf8' });
    const got = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(got.held).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    expect(got.aged).toEqual([[1, 2, 3], [4]]);
    expect(got.blob).toEqual([[1, 2, 'weights'], [3]]);
    expect(got.error).toEqual([[1, 'torch engine, step: boom'], [2]]);
    expect(got.end).toEqual([[1, 2]]);
  });
});
