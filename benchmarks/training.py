"""Training time, brique / PyTorch, each library in its own fresh process.

Models (SGD momentum 0.9, float32, random inputs of the real shapes):
* MLP 784-256-10, LeNet-5, LSTM (28 steps of 28 features, 64 hidden) and the course's conv
  autoencoder (seed 004's listing, binary cross-entropy against its input): one epoch of
  4,000 28x28 images in batches of 64;
* ResNet-20 (He et al.'s CIFAR-10 net, BN, option-A shortcuts): a step on 128 3x32x32 images;
* a character-level LSTM language model (vocabulary 65, embedding 32, 256 hidden, the
  char-rnn experiment's size): a step on 128 windows of 32 characters.

Each measurement is a fresh interpreter (`--worker LIB --model KEY`) that imports one library
only, so that the other's idle BLAS/OpenMP threads cannot steal its cores; torch and brique
alternate `--rounds` times and the best time of each counts. Both use the same threads (the
machine's cores). A worker also reports its peak memory: the process's peak resident set
(ru_maxrss) beyond what it held before the first full step (model, optimizer and data built,
and two steps on 2 samples taken, which load what each library initialises lazily): the
activations, gradients, optimizer state and temporaries of training.
`--same-process` adds the old measurement for comparison: both libraries imported in one
process, PyTorch timed first, then brique.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/training.py
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

from common import blas_info, fmt_time, report

N, BATCH = 4000, 64
MODELS = {  # key: (label, timed unit)
    "mlp": ("MLP 784-256-10", f"epoch of {N} images, batch {BATCH}"),
    "lenet5": ("LeNet-5", f"epoch of {N} images, batch {BATCH}"),
    "lstm": ("LSTM 28x28 -> 64 hidden", f"epoch of {N} images, batch {BATCH}"),
    "convae": ("conv autoencoder (seed 004)", f"epoch of {N} images, batch {BATCH}"),
    "resnet20": ("ResNet-20", "step on 128 3x32x32 images"),
    "charlstm": ("char LSTM LM (256 hidden)", "step on 128 x 32 characters"),
}


def build(lib, key):
    nn, F = lib.nn, lib.nn.functional
    if key == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    if key == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if key == "convae":
        pool = lambda: nn.MaxPool2d(2, ceil_mode=True)  # noqa: E731
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), pool(),
            nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), pool(),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), pool(),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.fc = nn.LSTM(28, 64, batch_first=True), nn.Linear(64, 10)

        def forward(self, x):
            return self.fc(self.lstm(x.reshape(x.shape[0], 28, 28))[0][:, -1])

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.lstm = nn.Embedding(65, 32), nn.LSTM(32, 256, batch_first=True)
            self.fc = nn.Linear(256, 65)

        def forward(self, x):
            return self.fc(self.lstm(self.embed(x))[0]).reshape(-1, 65)

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
            self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
            self.stride, self.extra = stride, cout - cin

        def forward(self, x):
            out = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
            short = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
            if self.extra:
                short = F.pad(short, (0, 0, 0, 0, 0, self.extra))
            return F.relu(out + short)

    if key == "lstm":
        return LSTMClassifier()
    if key == "charlstm":
        return CharLSTM()
    layers, cin = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()], 16
    for stage, width in enumerate((16, 32, 64)):
        for i in range(3):
            layers.append(Block(cin, width, 2 if stage and not i else 1))
            cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def batches(key, rng):
    """(inputs, targets) NumPy batches of one timed unit; targets None: reconstruct."""
    if key == "resnet20":
        return [(rng.random((128, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, 128))]
    if key == "charlstm":
        x = rng.integers(0, 65, (128, 33))
        return [(x[:, :-1], x[:, 1:].reshape(-1))]
    x = rng.random((N, 1, 28, 28), dtype=np.float32)
    y = None if key == "convae" else rng.integers(0, 10, N)
    return [(x[i:i + BATCH], None if y is None else y[i:i + BATCH]) for i in range(0, N, BATCH)]


def worker(lib_name, key, repeat):
    """Time `repeat` units (after one warm-up) with one library: {time, peak_growth_mb,
    blas}."""
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(os.cpu_count())
    else:
        import brique as lib
        import brique.nn  # noqa: F401
        import brique.optim  # noqa: F401
    lib.manual_seed(0)
    model = build(lib, key)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.BCELoss() if key == "convae" else lib.nn.CrossEntropyLoss()
    data = [(lib.tensor(x), None if y is None else lib.tensor(y))
            for x, y in batches(key, np.random.default_rng(0))]

    def step(x, y):
        opt.zero_grad()
        loss_fn(model(x), x if y is None else y).backward()
        opt.step()

    def unit():
        for x, y in data:
            step(x, y)

    # Two steps on 2 samples first: what loads lazily (brique's compiled kernels: numba and
    # LLVM, ~100 MB) is the library's, not training's. Two, because an optimizer's first step
    # builds its state and only the second takes the path of every later one.
    x, y = data[0]
    for _ in range(2):
        step(x[:2], None if y is None else y[:y.shape[0] * 2 // x.shape[0]])
    held = _resident_kb()
    unit()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        unit()
        best = min(best, time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"time": best, "peak_growth_mb": (peak - held) / 1024, "blas": blas_info()}


def _resident_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def measure(lib_name, key, repeat):
    out = subprocess.run([sys.executable, __file__, "--worker", lib_name, "--model", key,
                          "--repeat", str(repeat)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def same_process(key, repeat):
    """Both libraries in this process, PyTorch first: the old, skewed measurement."""
    return {lib: worker(lib, key, repeat)["time"] for lib in ("torch", "brique")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--rounds", type=int, default=3, help="torch/brique alternations")
    parser.add_argument("--repeat", type=int, default=3, help="units timed per process")
    parser.add_argument("--same-process", default="lenet5",
                        help="models also timed the old way (both in one process); '' for none")
    parser.add_argument("--worker", choices=("torch", "brique"), help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return print(json.dumps(worker(args.worker, args.model, args.repeat)))
    rows, memory, blas = [], [], {}
    for key in args.models.split(","):
        best = {"torch": None, "brique": None}
        for _ in range(args.rounds):
            for lib in ("torch", "brique"):
                r = measure(lib, key, args.repeat)
                blas[lib] = r["blas"]
                if best[lib] is None or r["time"] < best[lib]["time"]:
                    best[lib] = r
        label, unit = MODELS[key]
        rows.append((f"{label}: {unit}", best["brique"]["time"], best["torch"]["time"]))
        memory.append(f"| {label} | {best['brique']['peak_growth_mb']:.0f} MB "
                      f"| {best['torch']['peak_growth_mb']:.0f} MB |")
        print(f"{label}: brique {fmt_time(rows[-1][1])}, PyTorch {fmt_time(rows[-1][2])}",
              flush=True)
    notes = [f"Each library in its own process, {args.rounds} alternations, best of "
             f"{args.repeat} units per process; {os.cpu_count()} threads each. BLAS: brique "
             + "; ".join(blas.get("brique", [])) + "; PyTorch " + "; ".join(blas.get("torch", []))
             + ".", "", "Peak memory of training: the peak resident set beyond what the process "
             "held with the model, optimizer and data built and two steps on 2 samples taken (so "
             "that what a library loads lazily, such as brique's compiled kernels, is not "
             "counted): activations, gradients, optimizer state, temporaries.", "",
             "| model | brique | PyTorch |", "|---|---|---|"] + memory
    for key in filter(None, args.same_process.split(",")):
        t = same_process(key, args.repeat)
        own = next(r for r in rows if r[0].startswith(MODELS[key][0]))
        notes += ["", f"Both in one process, PyTorch timed first ({MODELS[key][0]}): brique "
                  f"{fmt_time(t['brique'])} (own process {fmt_time(own[1])}), PyTorch "
                  f"{fmt_time(t['torch'])} (own process {fmt_time(own[2])})."]
    report("training", "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python "
           "benchmarks/training.py", rows, notes)


if __name__ == "__main__":
    main()
