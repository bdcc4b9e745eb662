"""Framework overhead: small ops and a tiny MLP training step, brique and PyTorch side by side.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/overhead.py
"""
from __future__ import annotations

import numpy as np
import torch

import brique
import brique.nn
import brique.optim
from common import best_time, report


def small_ops():
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal((16, 16), dtype=np.float32), rng.standard_normal(
        (16, 16), dtype=np.float32)
    ab, bb = brique.tensor(a_np, requires_grad=True), brique.tensor(b_np)
    at, bt = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np)
    rows = [
        ("16x16 mul, recording grad", best_time(lambda: ab * bb), best_time(lambda: at * bt)),
        ("16x16 tanh, recording grad", best_time(lambda: ab.tanh()), best_time(lambda: at.tanh())),
        ("16x16 matmul, recording grad", best_time(lambda: ab @ bb), best_time(lambda: at @ bt)),
    ]
    with brique.no_grad(), torch.no_grad():
        rows.append(("16x16 mul, no_grad", best_time(lambda: ab * bb), best_time(lambda: at * bt)))

    def chain_b():
        (ab * bb + bb).tanh().sum().backward()

    def chain_t():
        (at * bt + bt).tanh().sum().backward()
    rows.append(("16x16 mul+add+tanh+sum, forward+backward", best_time(chain_b), best_time(chain_t)))
    return rows


def xor_step():
    x_np = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y_np = np.array([[0], [1], [1], [0]], dtype=np.float32)

    def make(lib, nn, optim):
        lib.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
        opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        x, y = lib.tensor(x_np), lib.tensor(y_np)

        def step():
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        return step

    return [("XOR 2-8-1 MLP training step (SGD momentum)",
             best_time(make(brique, brique.nn, brique.optim)),
             best_time(make(torch, torch.nn, torch.optim)))]


def main():
    torch.set_num_threads(1)  # both frameworks on one thread for per-op overhead
    report("overhead", "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/overhead.py",
           small_ops() + xor_step(),
           [f"torch {torch.__version__} on 1 thread, numpy {np.__version__}; best of 5 rounds."])


if __name__ == "__main__":
    main()
