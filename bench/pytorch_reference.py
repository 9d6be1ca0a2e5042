#!/usr/bin/env python3
"""PyTorch reference for `vgglab bench`: the same VGG and SGD step, for a side-by-side figure.

Not part of the app. Needs python3 and PyTorch (Debian: python3-torch). PyTorch at its best on this
machine: THREADS threads (the native backend's count), and both memory layouts timed (NCHW and
channels_last, its fastest CPU layout), the faster reported. `vgglab bench` runs it with the OpenMP
OpenBLAS on the library path (the pthread build starves PyTorch's OpenMP threads).
Prints images_per_sec=N threads=T layout=L nchw=N channels_last=N.
Usage: pytorch_reference.py CONFIG INPUT WIDTH CLASSES BATCH SECONDS [THREADS] [--serve]

With --serve (how `vgglab bench` runs it, so that PyTorch's windows fall in the same minutes as the
engine's epochs): each layout is warmed up and timed in turns, three windows of SECONDS/9 each, the
faster one (by its best window) is kept and `ready threads=T layout=L nchw=N channels_last=N`
printed; then each line `window S` read on stdin is answered with `images_per_sec=N` for a window of S seconds (at least one step), until EOF.
"""
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("pytorch not installed")
    sys.exit(0)

CFG = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def build(cfg, size, width, classes):
    layers, c = [], 3
    for v in CFG[cfg]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            size //= 2
        else:
            out = max(1, round(v * width))
            layers += [nn.Conv2d(c, out, 3, padding=1), nn.ReLU(inplace=True)]
            c = out
    fc = max(1, round(4096 * width))
    layers += [nn.Flatten(), nn.Linear(c * size * size, fc), nn.ReLU(True), nn.Dropout(0.5),
               nn.Linear(fc, fc), nn.ReLU(True), nn.Dropout(0.5), nn.Linear(fc, classes)]
    return nn.Sequential(*layers)


def make_step(cfg, size, width, classes, batch, channels_last):
    """The model and one SGD step, warmed up by two steps."""
    torch.manual_seed(1)
    model = build(cfg, size, width, classes)
    x = torch.randn(batch, 3, size, size) * 60
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    y = torch.arange(batch) % classes
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    step(); step()
    return step


def window(step, batch, seconds):
    """Images per second over a window of `seconds` (at least one step)."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 1:
        step()
        n += 1
    return n * batch / (time.perf_counter() - t0)


def rate(cfg, size, width, classes, batch, seconds, channels_last):
    # Three windows, the best reported, as vgglab bench takes its own figures: a shared machine only
    # ever slows a window down.
    step = make_step(cfg, size, width, classes, batch, channels_last)
    return max(window(step, batch, seconds / 3) for _ in range(3))


def serve(cfg, size, width, classes, batch, seconds):
    # The layouts timed in turns (A B A B A B), three windows of SECONDS/9 each, the best of each
    # kept: one window each, taken one after the other, let a slow spell of a shared machine choose
    # the slower layout for PyTorch (which flatters whatever it is compared with).
    steps, best = {}, {False: 0.0, True: 0.0}
    for channels_last in (False, True):
        steps[channels_last] = make_step(cfg, size, width, classes, batch, channels_last)
    for _ in range(3):
        for channels_last in (False, True):
            best[channels_last] = max(best[channels_last], window(steps[channels_last], batch, seconds / 9))
    channels_last = best[True] > best[False]
    step = steps.pop(channels_last)
    steps.clear()  # the other layout's model, freed
    print(f"ready threads={torch.get_num_threads()} layout={'channels_last' if channels_last else 'nchw'} nchw={best[False]:.2f} channels_last={best[True]:.2f}", flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) == 2 and words[0] == "window":
            print(f"images_per_sec={window(step, batch, float(words[1])):.2f}", flush=True)


def main():
    args = [a for a in sys.argv[1:] if a != "--serve"]
    cfg, size, width, classes, batch, seconds = args[0], int(args[1]), float(args[2]), int(args[3]), int(args[4]), float(args[5])
    if len(args) > 6:
        torch.set_num_threads(int(args[6]))
    if "--serve" in sys.argv:
        serve(cfg, size, width, classes, batch, seconds)
        return
    nchw = rate(cfg, size, width, classes, batch, seconds, False)
    last = rate(cfg, size, width, classes, batch, seconds, True)
    best, layout = (last, "channels_last") if last > nchw else (nchw, "nchw")
    print(f"images_per_sec={best:.2f} threads={torch.get_num_threads()} layout={layout} nchw={nchw:.2f} channels_last={last:.2f}")


if __name__ == "__main__":
    main()
