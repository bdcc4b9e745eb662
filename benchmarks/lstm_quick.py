"""One training step (forward + backward + SGD) of LSTM(28, 64) + Linear(64, 10) on a batch of
64 sequences of 28 steps (MNIST rows), brique and PyTorch side by side in one process.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benchmarks/lstm_quick.py [--mallopt]

--mallopt raises glibc's mmap/trim thresholds first. Without it, glibc hands the step's
megabyte-sized arrays back to the OS when they are freed and page-faults them in again on the
next step (thousands of minor faults per step, about 40% of brique's time on this machine).
brique is timed before PyTorch: a PyTorch step leaves the allocator tuned and would hide this.
"""
from __future__ import annotations

import ctypes
import resource
import sys

import numpy as np
import torch

import brique
import brique.nn
import brique.optim
from common import best_time, blas_info, machine, table

N, L, IN, H, CLASSES = 64, 28, 28, 64, 10


def nll(logits, y):
    # Cross-entropy from primitives, so the benchmark does not depend on the loss module.
    logp = logits.log_softmax(1)
    return -logp.gather(1, y.unsqueeze(1)).mean()


def brique_step(x_np, y_np):
    lstm, fc = brique.nn.LSTM(IN, H, batch_first=True), brique.nn.Linear(H, CLASSES)
    opt = brique.optim.SGD(list(lstm.parameters()) + list(fc.parameters()), lr=0.1)
    x, y = brique.tensor(x_np), brique.tensor(y_np)

    def step():
        out, _ = lstm(x)
        loss = nll(fc(out[:, -1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def torch_step(x_np, y_np):
    lstm, fc = torch.nn.LSTM(IN, H, batch_first=True), torch.nn.Linear(H, CLASSES)
    opt = torch.optim.SGD(list(lstm.parameters()) + list(fc.parameters()), lr=0.1)
    x, y = torch.tensor(x_np), torch.tensor(y_np)

    def step():
        out, _ = lstm(x)
        loss = torch.nn.functional.cross_entropy(fc(out[:, -1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def raise_malloc_thresholds():
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 64 << 20)    # M_MMAP_THRESHOLD: serve blocks below 64 MB from the heap
    libc.mallopt(-1, 256 << 20)   # M_TRIM_THRESHOLD: keep up to 256 MB of free heap


def faults_per_step(step, n=20):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(n):
        step()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / n


def main():
    if "--mallopt" in sys.argv:
        raise_malloc_thresholds()
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((N, L, IN), dtype=np.float32)
    y_np = rng.integers(0, CLASSES, N)
    print(f"machine: {machine()}, torch threads: {torch.get_num_threads()}")
    for line in blas_info():
        print(line)
    b_step = brique_step(x_np, y_np)
    b = best_time(b_step, repeat=5, budget=0.5)
    print(f"brique: {faults_per_step(b_step):.0f} minor page faults per step"
          + (" (malloc thresholds raised)" if "--mallopt" in sys.argv else ""))
    t = best_time(torch_step(x_np, y_np), repeat=5, budget=0.5)
    print("\n".join(table([(f"LSTM({IN}, {H}) + Linear({H}, {CLASSES}) train step, "
                            f"batch {N}, seq {L}", b, t)])))


if __name__ == "__main__":
    main()
