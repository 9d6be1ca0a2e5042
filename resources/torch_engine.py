#!/usr/bin/env python3
"""VGG Lab's torch engine: the training step and forward pass of the `torch` backend, on the device
PyTorch has (CUDA or ROCm, Apple MPS, else the CPU).

The app starts one per training or evaluation thread and talks to it over stdin/stdout in frames:
a little-endian uint32 header length, a UTF-8 JSON header, then the binary blobs the header's
"blobs" list sizes. Everything around the step stays in the app (data pipeline, schedule,
validation batches, checkpoints, recording); this file holds no VGG table: the network arrives as
the app's own layer plan (the list the native backend's whole step runs), with its weights in the
app's layout and order.

Requests (op, then what it carries) and replies:
  hello      {device, threads, precision}                    -> {device, torch}
  init       {layers, weights:[{name,shape,decay}], classes, momentum, weightDecay} + weights
                                                             -> {}
  step       {n, h, w, lr, seeds} + x (f32 NHWC), y (i32)    -> {loss, correct}
  eval       {n, h, w, k} + x, y                             -> {loss, top1, topk}   (sums)
  forward    {n, h, w, dense} + x                            -> {shape} + logits (f32; dense: NHWC score map)
  get        {}                                              -> {} + weights..., momenta...
  set        {what: "weights"|"momenta"} + one blob per weight -> {}
A request that fails is answered {error}; the engine exits at EOF on stdin.

Without the app: `python3 torch_engine.py --self-test [--device cuda]` checks the step against a
float64 step on the CPU and prints images/s of the bench workloads (W1-W3, and W3 at batch 64),
in fp32 and, where the device has it, bf16.
"""
import json
import os
import queue
import select
import struct
import sys
import threading
import time

import torch
import torch.nn.functional as F

# Layer kinds of the plan (src/main/addon.ts, StepLayer).
CONV, POOL, LRN, FLATTEN, FC, DROPOUT = 0, 1, 2, 3, 4, 5


def pick_device(want):
    """cuda:N where CUDA (or ROCm) is present, else Apple's mps, else the CPU; `want` forces one."""
    if want not in (None, "", "auto"):
        if want.isdigit():
            want = f"cuda:{want}"
        dev = torch.device(want)
        if dev.type == "cuda":
            if not torch.cuda.is_available():
                raise ValueError(f"device {want}: this PyTorch has no CUDA device (torch {torch.__version__}, CUDA {torch.version.cuda})")
            if (dev.index or 0) >= torch.cuda.device_count():
                raise ValueError(f"device {want}: there are {torch.cuda.device_count()} CUDA device(s), 0 to {torch.cuda.device_count() - 1}")
        if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise ValueError(f"device {want}: Apple's MPS is not available")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda:0")
    if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(dev):
    v = f"torch {torch.__version__.split('+')[0]}"
    if dev.type == "cuda":
        kind = f"ROCm {torch.version.hip}" if getattr(torch.version, "hip", None) else f"CUDA {torch.version.cuda}"
        return f"{v}, {kind}, {torch.cuda.get_device_name(dev)}"
    if dev.type == "mps":
        return f"{v}, Apple MPS"
    return f"{v}, CPU, {torch.get_num_threads()} threads"


def memory_format(channels_last):
    return torch.channels_last if channels_last else torch.contiguous_format


class Net:
    """The app's layer plan over parameters in torch's layout: conv [out, in, kh, kw], FC [in, out]."""

    def __init__(self, layers, specs, blobs, dev, channels_last):
        self.layers, self.dev, self.channels_last = layers, dev, channels_last
        self.kinds = {}
        for layer in layers:
            if "weight" in layer:
                self.kinds[layer["weight"]] = layer["kind"]
        self.params = []
        for i, (spec, blob) in enumerate(zip(specs, blobs)):
            self.params.append(self.to_torch(i, spec["shape"], blob).requires_grad_(True))
        self.momenta = [torch.zeros_like(p) for p in self.params]
        self.decay = [bool(s["decay"]) for s in specs]
        self.shapes = [list(s["shape"]) for s in specs]

    def set_layout(self, channels_last):
        """Conv kernels and their momenta in NHWC (channels_last) or NCHW memory order; values unchanged."""
        self.channels_last = channels_last
        fmt = memory_format(channels_last)
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if self.kinds.get(i) == CONV:
                    p.data = p.data.contiguous(memory_format=fmt)
                    self.momenta[i] = self.momenta[i].contiguous(memory_format=fmt)

    def to_torch(self, i, shape, blob):
        t = torch.frombuffer(bytearray(blob), dtype=torch.float32).reshape(shape)
        # A kernel is the weight a layer names; its bias follows it.
        if self.kinds.get(i) == CONV:
            t = t.permute(3, 2, 0, 1)
            t = t.contiguous(memory_format=memory_format(self.channels_last))
        return t.to(self.dev)

    def to_app(self, i, t):
        t = t.detach()
        if self.kinds.get(i) == CONV:
            t = t.permute(2, 3, 1, 0)
        return t.contiguous().to("cpu", torch.float32).numpy().tobytes()

    def forward(self, x, training, seeds=None, dense=False):
        p = self.params
        first_fc = True
        if training and seeds:
            # The step's own seed: a resumed run draws the masks the unbroken run drew.
            torch.manual_seed(int(float(seeds[0])) & 0x7FFFFFFFFFFFFFFF)
        for layer in self.layers:
            k = layer["kind"]
            if k == CONV:
                w = layer["weight"]
                x = F.conv2d(x, p[w], p[w + 1], padding=layer["kernel"] // 2)
                if layer.get("relu"):
                    # In place: a convolution's backward needs its input, not its output.
                    x = F.relu(x, inplace=True)
            elif k == POOL:
                x = F.max_pool2d(x, layer["kernel"], layer["stride"])
            elif k == LRN:
                # The app's LRN: x / (bias + alpha * sum of squares over 2r+1 channels)^beta; torch's
                # alpha is over the window's size, its mean.
                size = 2 * layer["radius"] + 1
                x = F.local_response_norm(x, size, alpha=layer["alpha"] * size, beta=layer["beta"], k=layer["bias"])
            elif k == FLATTEN:
                if not dense:
                    # The app flattens NHWC: height, width, then channels.
                    x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
            elif k == FC:
                w = layer["weight"]
                if dense:
                    # FC as a convolution over the feature map: the first takes the flattened window.
                    kern = p[w]
                    if first_fc and x.dim() == 4:
                        c = x.shape[1]
                        side = int(round((kern.shape[0] // c) ** 0.5))
                        kern = kern.reshape(side, side, c, -1).permute(3, 2, 0, 1)
                    else:
                        kern = kern.t().reshape(kern.shape[1], kern.shape[0], 1, 1)
                    x = F.conv2d(x, kern, p[w + 1])
                    first_fc = False
                else:
                    x = torch.addmm(p[w + 1], x, p[w])
                if layer.get("relu"):
                    x = F.relu(x, inplace=True)
            elif k == DROPOUT:
                if training:
                    x = F.dropout(x, 1 - layer["keep"], training=True)
            else:
                raise ValueError(f"layer kind {k} is not one this engine knows")
        return x


def num(v):
    """A float for the JSON header; a non-finite one as text (JSON has no NaN), which the app reads as NaN."""
    v = float(v)
    return v if v == v and v not in (float("inf"), float("-inf")) else str(v)


def hits_tensor(logits, y, k):
    """Images whose true class is among the top k, a tie counting against it (the app's rule), unread."""
    own = logits.gather(1, y.view(-1, 1))
    rank = (logits >= own).sum(1) - 1
    return (rank < k).sum()


def rank_hits(logits, y, k):
    return int(hits_tensor(logits, y, k).item())


class Engine:
    def __init__(self):
        self.dev = None
        self.net = None
        self.precision = "fp32"
        # fp16: a dynamic loss scale (halved on an overflow, which skips that step; doubled after 2,000 good ones).
        self.scale = None
        self.good = 0
        # Whether the first step is to time both memory layouts (init decides), and the layout's
        # line for the first step's answer where it was fixed instead.
        self.layout_open = False
        self.layout_said = None

    def hello(self, h, _blobs):
        threads = h.get("threads")
        if threads:
            torch.set_num_threads(int(threads))
        self.dev = pick_device(h.get("device"))
        if self.dev.type == "cuda":
            torch.backends.cudnn.benchmark = True
        return {"device": describe(self.dev), "torch": torch.__version__}, []

    def init(self, h, blobs):
        # The memory layout: NCHW or channels_last (NHWC), whichever trains this model faster here,
        # timed at the first step (below); the request's channelsLast (a resumed run's, which keeps its
        # layout: the two round differently) or VGGLAB_TORCH_CHANNELS_LAST=1 or 0 fixes it.
        # Neither wins everywhere: on a Zen 5 CPU, channels_last is faster at 32 px (W1 1,393 against
        # 1,199 img/s) and NCHW at 224 px (W3 2.04 against 1.94); on GPUs it depends on the precision.
        if "channelsLast" in h:
            forced, why = h["channelsLast"], "kept from the checkpoint"
        else:
            forced, why = os.environ.get("VGGLAB_TORCH_CHANNELS_LAST") or None, "set by VGGLAB_TORCH_CHANNELS_LAST"
        self.layout_open = forced is None
        cl = True if self.layout_open else forced not in (False, "0", 0)
        # Said at the first step, measured or not: the run records the layout it trained in.
        self.layout_said = None if self.layout_open else self.layout_reply(cl, why)
        self.precision = h.get("precision") or "fp32"
        if self.precision not in ("fp32", "bf16", "fp16"):
            raise ValueError(f"precision {self.precision}: accepted fp32, bf16, fp16")
        if self.precision == "fp16" and self.dev.type != "cuda":
            raise ValueError(f"precision fp16 needs a CUDA device; on {self.dev.type} use bf16 or fp32")
        self.scale = 2.0**16 if self.precision == "fp16" else None
        self.net = Net(h["layers"], h["weights"], blobs, self.dev, cl)
        self.classes = h["classes"]
        self.mu = h["momentum"]
        self.wd = h["weightDecay"]
        return {}, []

    def sync(self):
        if self.dev.type == "cuda":
            torch.cuda.synchronize(self.dev)
        elif self.dev.type == "mps":
            torch.mps.synchronize()

    def choose_layout(self, x, y):
        """Both layouts timed on this batch (forward and backward, weights untouched: gradients are
        computed and dropped), the faster kept. Each is warmed up once (oneDNN compiles its kernels,
        cuDNN chooses), then timed in turns (A B A B ...), so that a slow spell of a shared machine
        falls on both, for about a second: 20 rounds at most where passes are short (W2: 15 ms),
        one where a round takes a second or more (VGG-D at 224 px on a CPU: 8 s a pass, and the
        first step is then a minute already). The best pass of each counts. A line for the run's log
        says so."""
        net, best = self.net, {True: float("inf"), False: float("inf")}

        def one_pass(cl):
            net.set_layout(cl)
            xs = x.contiguous(memory_format=memory_format(cl))
            self.sync()
            t0 = time.perf_counter()
            with self.autocast():
                loss = F.cross_entropy(net.forward(xs, True).float(), y)
            torch.autograd.grad(loss, net.params)
            self.sync()
            return time.perf_counter() - t0

        for cl in (True, False):
            one_pass(cl)
        timed, rounds = 0.0, 0
        while rounds < 1 or (timed < 1.0 and rounds < 20):
            for cl in (True, False):
                t = one_pass(cl)
                best[cl], timed = min(best[cl], t), timed + t
            rounds += 1
        rates = {cl: x.shape[0] / best[cl] for cl in best}
        cl = rates[True] >= rates[False]
        net.set_layout(cl)
        self.layout_open = False
        return self.layout_reply(cl, f"measured on the first batch: NCHW {rates[False]:.4g}, channels_last {rates[True]:.4g} img/s, forward and backward")

    @staticmethod
    def layout_reply(cl, why):
        return {"layout": "channels_last" if cl else "nchw", "layoutNote": f"torch memory layout: {'channels_last' if cl else 'NCHW'} ({why})"}

    def batch(self, h, blobs):
        n, hh, ww = h["n"], h["h"], h["w"]
        x = torch.frombuffer(blobs[0], dtype=torch.float32).reshape(n, hh, ww, 3).permute(0, 3, 1, 2)
        x = x.contiguous(memory_format=memory_format(self.net.channels_last))
        x = x.to(self.dev, non_blocking=True)
        y = torch.frombuffer(blobs[1], dtype=torch.int32).to(self.dev, torch.int64) if len(blobs) > 1 else None
        return x, y

    def autocast(self):
        if self.precision == "fp32":
            return torch.autocast(device_type=self.dev.type if self.dev.type != "mps" else "cpu", enabled=False)
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.dev.type, dtype=dtype)

    def step(self, h, blobs):
        net = self.net
        if net is None:
            raise ValueError("no network: init has not succeeded")
        x, y = self.batch(h, blobs)
        chosen, self.layout_said = self.layout_said, None
        if self.layout_open:
            chosen = self.choose_layout(x, y)
            x = x.contiguous(memory_format=memory_format(net.channels_last))
        with self.autocast():
            logits = net.forward(x, True, h.get("seeds"))
            loss = F.cross_entropy(logits.float(), y)
        for p in net.params:
            p.grad = None
        (loss * self.scale if self.scale else loss).backward()
        lr = h["lr"]
        with torch.no_grad():
            grads = [p.grad for p in net.params]
            if self.scale:
                grads = [g / self.scale for g in grads]
                if not all(bool(torch.isfinite(g).all()) for g in grads):
                    self.scale, self.good = self.scale / 2, 0
                    return {"loss": num(loss.item()), "correct": rank_hits(logits.detach().float(), y, 1), "skipped": True, **(chosen or {})}, []
                self.good += 1
                if self.good == 2000:
                    self.scale, self.good = self.scale * 2, 0
            # The app's SGD (Caffe's): v <- mu*v - lr*(g + wd*w) with decay on kernels only; w <- w + v.
            # Each line over all tensors at once (torch's multi-tensor ops).
            if self.wd:
                decayed = [i for i, d in enumerate(net.decay) if d]
                grads = list(grads)
                summed = torch._foreach_add([grads[i] for i in decayed], [net.params[i] for i in decayed], alpha=self.wd)
                for i, g in zip(decayed, summed):
                    grads[i] = g
            torch._foreach_mul_(net.momenta, self.mu)
            torch._foreach_add_(net.momenta, grads, alpha=-lr)
            torch._foreach_add_(net.params, net.momenta)
            # One read-back for both numbers.
            loss_v, hits = torch.stack([loss.detach().float(), hits_tensor(logits.detach().float(), y, 1).float()]).tolist()
        return {"loss": num(loss_v), "correct": int(hits), **(chosen or {})}, []

    def eval(self, h, blobs):
        x, y = self.batch(h, blobs)
        with torch.no_grad(), self.autocast():
            logits = self.net.forward(x, False).float()
            loss = F.cross_entropy(logits, y, reduction="sum")
        return {"loss": num(loss.item()), "top1": rank_hits(logits, y, 1), "topk": rank_hits(logits, y, h["k"])}, []

    def forward(self, h, blobs):
        x, _ = self.batch(h, blobs)
        with torch.no_grad(), self.autocast():
            out = self.net.forward(x, False, dense=bool(h.get("dense"))).float()
        if out.dim() == 4:
            out = out.permute(0, 2, 3, 1)
        out = out.contiguous().cpu()
        return {"shape": list(out.shape)}, [out.numpy().tobytes()]

    def shm(self, h, _blobs):
        """The app's batch file mapped (the app unlinks its name once this is answered)."""
        import mmap

        with open(h["file"], "r+b") as f:
            mapped = mmap.mmap(f.fileno(), int(h["size"]))
        SHARED.update(view=memoryview(mapped), slot=int(h["slotBytes"]))
        return {}, []

    def get(self, _h, _blobs):
        net = self.net
        return {}, [net.to_app(i, p) for i, p in enumerate(net.params)] + [net.to_app(i, v) for i, v in enumerate(net.momenta)]

    def set(self, h, blobs):
        net = self.net
        with torch.no_grad():
            for i, blob in enumerate(blobs):
                t = net.to_torch(i, net.shapes[i], blob)
                (net.params if h["what"] == "weights" else net.momenta)[i].copy_(t)
        return {}, []


def read_exact(f, n):
    """n bytes into a buffer of their own (read in place, no copies); None at EOF."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            return None
        got += k
    return buf


# The shared-memory file the app writes batches into (its 'shm' request), and each slot's size.
SHARED = {"view": None, "slot": 0}


def read_frame(f):
    """A request: its header and blobs, each read off the pipe or, where the header's `shm` names its
    slot, seen where it lies in the shared file (no copy; the app writes that slot again only after
    this request's answer)."""
    head = read_exact(f, 4)
    if head is None:
        return None
    header = json.loads(read_exact(f, struct.unpack("<I", head)[0]))
    slots = header.get("shm") or {}
    blobs = []
    for i, size in enumerate(header.get("blobs", [])):
        slot = slots.get(str(i))
        if slot is None:
            blobs.append(read_exact(f, size))
        else:
            at = int(slot) * SHARED["slot"]
            blobs.append(SHARED["view"][at : at + size])
    return header, blobs


def frame_pieces(header, blobs=()):
    """A reply's frame in pieces: the uint32 header length with the JSON header, then the blobs."""
    header["blobs"] = [len(b) for b in blobs]
    text = json.dumps(header).encode()
    return [struct.pack("<I", len(text)) + text, *blobs]


def hint(err):
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if "out of memory" in text.lower():
        return f"{text}: lower --batch or use --precision bf16"
    return text


class Requests:
    """The requests, in order, and whether the next one has already arrived (`ready`).

    Where the app sends batches in shared memory (Linux: /dev/shm), a request is a few hundred bytes,
    read here between steps, unbuffered, so that a poll of stdin says whether the next is there.
    Elsewhere batches come through the pipe, and a reader thread takes the next one off it while this
    one computes (a double buffer). Not both: the thread, woken by each request while the step
    computes, preempts one of PyTorch's threads (the others then wait at its barrier) and the app's
    writer with it (W2: 0.85 ms per request, against 0.03 ms when nothing waits on the pipe)."""

    def __init__(self, inp):
        self.shm = os.environ.get("VGGLAB_TORCH_SHM") == "1"  # the app says so where it makes slots
        if self.shm:
            self.raw = open(inp.fileno(), "rb", buffering=0, closefd=False)
            return
        self.pending = queue.Queue(maxsize=2)

        def reader():
            while True:
                frame = read_frame(inp)
                self.pending.put(frame)
                if frame is None:
                    return

        threading.Thread(target=reader, daemon=True).start()

    def next(self):
        """The next request (header, blobs), or None at EOF."""
        return read_frame(self.raw) if self.shm else self.pending.get()

    def ready(self):
        """Whether the next request (or EOF) is here already, without waiting for it."""
        if self.shm:
            return bool(select.select([self.raw], [], [], 0)[0])
        return not self.pending.empty()


class Replies:
    """Replies written in order, a few quick steps' answers held while the app's next request is here.

    Each reply wakes the app's thread, which then takes a core from PyTorch's threads (the others wait
    at their barrier) and, where PyTorch has as many threads as there are cores, from this thread in
    its own write: W2 on 2 cores spent 0.5-0.7 ms of each 11 ms step writing its answer. The app sends
    several steps ahead of reading their losses, so while its next request is already here nothing
    waits on this answer: up to HOLD answers of steps shorter than QUICK_S go in one write, the first
    held at most HOLD_S. Any other answer (a slow step, nothing further sent, a blob to carry, a
    failure) goes at once, with those held before it."""

    HOLD, QUICK_S, HOLD_S = 4, 0.05, 0.25

    def __init__(self, out):
        # The held frames' pieces, how many frames, and when the first was held.
        self.held, self.count, self.since = [], 0, 0.0
        self.out = out

    def send(self, header, blobs=(), hold=False):
        if not self.count:
            self.since = time.perf_counter()
        self.held += frame_pieces(header, blobs)
        self.count += 1
        if not (hold and not blobs and self.count < self.HOLD and time.perf_counter() - self.since < self.HOLD_S):
            self.flush()

    def flush(self):
        # Through stdout's buffer: the small pieces leave in one write, blobs (weights) without a copy.
        for piece in self.held:
            self.out.write(piece)
        self.out.flush()
        self.held.clear()
        self.count = 0


def serve():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    # stdout carries frames only; anything printed goes to stderr.
    sys.stdout = sys.stderr
    engine, requests, replies = Engine(), Requests(inp), Replies(out)
    try:
        while True:
            frame = requests.next()
            if frame is None:
                return
            header, blobs = frame
            op = header.get("op")
            try:
                fn = getattr(engine, op, None) if op in ("hello", "init", "shm", "step", "eval", "forward", "get", "set") else None
                if fn is None:
                    raise ValueError(f"unknown op {op!r}")
                t0 = time.perf_counter()
                reply, out_blobs = fn(header, blobs)
                # Only a quick step's answer is held: the app waits on the others (a validation's sums, weights).
                quick = op == "step" and time.perf_counter() - t0 < Replies.QUICK_S
                replies.send(reply, out_blobs, quick and requests.ready())
            except Exception as err:  # every failure is an answer, never a hang
                replies.send({"error": hint(err)})
                if isinstance(err, RuntimeError) and "CUDA" in str(err) and "out of memory" not in str(err):
                    return
    finally:
        replies.flush()


# ---------------------------------------------------------------- self-test, without the app

PLANS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def test_plan(cfg, size, width, classes):
    """A VGG plan and weights as the app would send them (only for the self-test: the app sends its own)."""
    layers, specs, blobs, c, s = [], [], [], 3, size
    gen = torch.Generator().manual_seed(1)

    def weight(shape, fan_in, fan_out):
        lim = (6.0 / (fan_in + fan_out)) ** 0.5
        specs.append({"name": f"w{len(specs)}", "shape": shape, "decay": True})
        blobs.append((torch.rand(shape, generator=gen) * 2 * lim - lim).numpy().tobytes())
        specs.append({"name": f"b{len(specs)}", "shape": [shape[-1]], "decay": False})
        blobs.append(torch.zeros(shape[-1]).numpy().tobytes())
        return len(specs) - 2

    for v in PLANS[cfg]:
        if v == "M":
            layers.append({"kind": POOL, "kernel": 2, "stride": 2})
            s //= 2
        else:
            co = max(1, int(v * width))
            layers.append({"kind": CONV, "weight": weight([3, 3, c, co], 9 * c, 9 * co), "units": co, "kernel": 3, "relu": True})
            c = co
    layers.append({"kind": FLATTEN})
    fc = max(1, int(4096 * width))
    rows = s * s * c
    for i, (units, relu) in enumerate([(fc, True), (fc, True), (classes, False)]):
        layers.append({"kind": FC, "weight": weight([rows, units], rows, units), "units": units, "rows": rows, "relu": relu})
        if relu:
            layers.append({"kind": DROPOUT, "mask": i, "keep": 0.5})
        rows = units
    return layers, specs, blobs


def self_test(device, seconds):
    dev = pick_device(device)
    print(f"device: {describe(dev)}")
    torch.manual_seed(0)
    # 1. The step against a float64 step on the CPU, dropout off: loss and every updated weight to 1e-3.
    layers, specs, blobs = test_plan("A", 32, 0.125, 10)
    layers = [l for l in layers if l["kind"] != DROPOUT]
    e = Engine()
    e.hello({"device": str(dev)}, [])
    e.init({"layers": layers, "weights": specs, "classes": 10, "momentum": 0.9, "weightDecay": 5e-4}, blobs)
    x = torch.randn(16, 32, 32, 3) * 50
    y = torch.randint(0, 10, (16,), dtype=torch.int32)
    got, _ = e.step({"n": 16, "h": 32, "w": 32, "lr": 0.01, "seeds": []}, [bytearray(x.numpy().tobytes()), bytearray(y.numpy().tobytes())])
    after = [t for t in e.get({}, [])[1][: len(specs)]]

    ref = [torch.frombuffer(bytearray(b), dtype=torch.float32).reshape(s["shape"]).double().requires_grad_(True) for s, b in zip(specs, blobs)]
    h = x.double().permute(0, 3, 1, 2)
    for layer in layers:
        k = layer["kind"]
        if k == CONV:
            w = layer["weight"]
            h = F.relu(F.conv2d(h, ref[w].permute(3, 2, 0, 1), ref[w + 1], padding=1))
        elif k == POOL:
            h = F.max_pool2d(h, 2, 2)
        elif k == FLATTEN:
            h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)
        elif k == FC:
            w = layer["weight"]
            h = h @ ref[w] + ref[w + 1]
            if layer["relu"]:
                h = F.relu(h)
    loss = F.cross_entropy(h, y.long())
    loss.backward()
    worst_w = 0.0
    for i, (r, s) in enumerate(zip(ref, specs)):
        g = r.grad + (5e-4 * r.detach() if s["decay"] else 0)
        want = r.detach() - 0.01 * g
        have = torch.frombuffer(bytearray(after[i]), dtype=torch.float32).reshape(s["shape"]).double()
        worst_w = max(worst_w, float(((have - want).abs() / (want.abs() + 1e-3)).max()))
    loss_err = abs(got["loss"] - float(loss)) / abs(float(loss))
    ok = loss_err < 1e-3 and worst_w < 1e-3
    print(f"step vs float64 on the CPU: loss {got['loss']:.6f} vs {float(loss):.6f} (relative {loss_err:.1e}), worst weight relative {worst_w:.1e}: {'ok' if ok else 'FAILED'}")
    # 2. Speed of the bench workloads.
    work = [("W1", "D", 32, 0.25, 10, 64), ("W2", "A", 32, 0.125, 10, 32), ("W3", "D", 224, 1.0, 1000, 8), ("W3 b64", "D", 224, 1.0, 1000, 64)]
    precisions = ["fp32"] + (["bf16"] if dev.type == "cuda" and torch.cuda.is_bf16_supported() else [])
    for prec in precisions:
        for name, cfg, size, width, classes, batch in work:
            if dev.type == "cpu" and size == 224 and batch == 64:
                continue
            layers, specs, blobs = test_plan(cfg, size, width, classes)
            e = Engine()
            e.hello({"device": str(dev)}, [])
            e.init({"layers": layers, "weights": specs, "classes": classes, "momentum": 0.9, "weightDecay": 5e-4, "precision": prec}, [bytearray(b) for b in blobs])
            xb = bytearray((torch.randn(batch, size, size, 3) * 50).numpy().tobytes())
            yb = bytearray(torch.randint(0, classes, (batch,), dtype=torch.int32).numpy().tobytes())
            req = {"n": batch, "h": size, "w": size, "lr": 0.001, "seeds": ["1", "2"]}
            try:
                layout = e.step(req, [xb, yb])[0].get("layout", "?")
                for _ in range(2):
                    e.step(req, [xb, yb])
                n, t0 = 0, time.perf_counter()
                while time.perf_counter() - t0 < seconds or n < 3:
                    e.step(req, [xb, yb])
                    n += 1
                print(f"{name} ({cfg} {size}px w{width} b{batch}) {prec}: {n * batch / (time.perf_counter() - t0):.1f} img/s ({layout}, the faster layout on the first batch)")
            except Exception as err:
                print(f"{name} {prec}: {hint(err)}")
            del e
            if dev.type == "cuda":
                torch.cuda.empty_cache()
    return 0 if ok else 1


if __name__ == "__main__":
    if "--probe" in sys.argv:
        # What the app's backend list shows: one JSON line.
        args = sys.argv[1:]
        dev = pick_device(args[args.index("--device") + 1] if "--device" in args else None)
        if "--threads" in args:
            torch.set_num_threads(int(args[args.index("--threads") + 1]))
        print(json.dumps({"device": describe(dev), "gpu": dev.type != "cpu"}))
        sys.exit(0)
    if "--self-test" in sys.argv:
        args = sys.argv[1:]
        device = args[args.index("--device") + 1] if "--device" in args else None
        secs = float(args[args.index("--seconds") + 1]) if "--seconds" in args else 5.0
        sys.exit(self_test(device, secs))
    serve()
