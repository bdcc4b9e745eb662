"""One training epoch (4,000 28x28 images, batch 64, SGD momentum) of an MLP, LeNet-5, an
LSTM and the course's conv autoencoder (seed 004's Keras listing, binary cross-entropy
against its input), brique and PyTorch side by side in one process.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/training.py
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import brique
import brique.nn
import brique.optim
from common import fmt_time, report

N, BATCH = 4000, 64


def lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def lstm(nn):
    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 64, batch_first=True)
            self.fc = nn.Linear(64, 10)

        def forward(self, x):
            out, _ = self.lstm(x.reshape(x.shape[0], 28, 28))
            return self.fc(out[:, -1])
    return LSTMClassifier()


def conv_autoencoder(nn):
    """brique.models.ConvAutoencoder, written with the common layers for both libraries."""
    pool = lambda: nn.MaxPool2d(2, ceil_mode=True)  # noqa: E731
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), pool(),
        nn.Conv2d(16, 8, 3, padding=1), nn.ReLU(), pool(),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), pool(),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Upsample(scale_factor=2),
        nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())


def epoch_time(lib, build, x_np, y_np, repeat):
    lib.manual_seed(0)
    model = build(lib.nn)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    if build is conv_autoencoder:  # reconstruct the input
        loss_fn, y = lib.nn.BCELoss(), x
    else:
        loss_fn = lib.nn.CrossEntropyLoss()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(0, N, BATCH):
            opt.zero_grad()
            loss = loss_fn(model(x[i:i + BATCH]), y[i:i + BATCH])
            loss.backward()
            opt.step()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="epochs timed; the best counts")
    parser.add_argument("--models", default="mlp,lenet5,lstm,convae")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((N, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, N)
    builders = {"mlp": ("MLP 784-256-10", mlp), "lenet5": ("LeNet-5", lenet),
                "lstm": ("LSTM 28x28 -> 64 hidden", lstm),
                "convae": ("conv autoencoder (seed 004)", conv_autoencoder)}
    rows = []
    for key in args.models.split(","):
        name, build = builders[key]
        b = epoch_time(brique, build, x, y, args.repeat)
        t = epoch_time(torch, build, x, y, args.repeat)
        rows.append((f"{name}: epoch of {N} images, batch {BATCH}", b, t))
        print(f"{name}: brique {fmt_time(b)}, PyTorch {fmt_time(t)}", flush=True)
    report("training", "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python "
           "benchmarks/training.py", rows,
           [f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy "
            f"{np.__version__}; random 28x28 images, best of {args.repeat} epochs each."])


if __name__ == "__main__":
    main()
