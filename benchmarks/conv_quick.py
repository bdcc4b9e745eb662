"""Quick side-by-side timing of brique's conv2d and max_pool2d against PyTorch (CPU, float32,
LeNet-sized layers, batch 64), forward + backward, in one process. Prints ratios
brique / torch (below 1: brique is faster). With numba installed brique uses its compiled
kernels (brique/ops/_kernels.py); BRIQUE_NO_NUMBA=1 times the NumPy code instead.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benchmarks/conv_quick.py
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as TF

import brique as B
from brique.ops import _kernels
from brique.ops.conv import conv2d
from brique.ops.pool import max_pool2d


def best_of(fn, repeat=5, number=20):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def step(lib, op, x, params, needs_input_grad):
    """One forward + backward through op, gradients for params (and x if asked)."""
    def run():
        for p in params + ([x] if needs_input_grad else []):
            p.grad = None
        y = op(x, *params)
        y.backward(ones(lib, y))
    return run


def ones(lib, y):
    return torch.ones_like(y) if lib is torch else B.ones_like(y)


def tensors(lib, arrays, grads):
    make = torch.tensor if lib is torch else B.tensor
    return [make(a, requires_grad=g) for a, g in zip(arrays, grads)]


def main():
    try:
        import threadpoolctl
        for pool in threadpoolctl.threadpool_info():
            print(f"threadpool: {pool.get('internal_api')} {pool.get('version')} "
                  f"threads={pool.get('num_threads')} ({pool.get('filepath')})")
    except ImportError:
        print("threadpoolctl not installed")
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}; numpy {np.__version__}")
    print("brique compiled kernels:", "numba" if _kernels.ENABLED else
          "off (numba missing or BRIQUE_NO_NUMBA=1): NumPy code")
    rng = np.random.default_rng(0)
    f32 = np.float32
    layers = [
        # name, input shape, weight shape, padding, input needs grad
        ("conv1 1->6 5x5 pad2 28x28", (64, 1, 28, 28), (6, 1, 5, 5), 2, False),
        ("conv2 6->16 5x5 14x14", (64, 6, 14, 14), (16, 6, 5, 5), 0, True),
    ]
    rows = []
    for name, xs, ws, pad, xgrad in layers:
        arrays = [rng.standard_normal(xs).astype(f32), rng.standard_normal(ws).astype(f32),
                  rng.standard_normal(ws[0]).astype(f32)]
        for what, with_grad in (("fwd", False), ("fwd+bwd", True)):
            times = []
            for lib, op in ((B, conv2d), (torch, TF.conv2d)):
                x, w, b = tensors(lib, arrays, [xgrad and with_grad, with_grad, with_grad])

                def fn(op=op, x=x, w=w, b=b):
                    return op(x, w, b, padding=pad)
                if with_grad:
                    fn = step(lib, lambda x, w, b, op=op: op(x, w, b, padding=pad), x, [w, b],
                              xgrad)
                times.append(best_of(fn))
            rows.append((f"{name} {what}", *times))
    for shape in ((64, 6, 28, 28), (64, 16, 10, 10)):
        arr = np.maximum(rng.standard_normal(shape), 0).astype(f32)  # after a ReLU: many ties
        for what, with_grad in (("fwd", False), ("fwd+bwd", True)):
            times = []
            for lib, op in ((B, max_pool2d), (torch, TF.max_pool2d)):
                (x,) = tensors(lib, [arr], [with_grad])
                fn = (lambda x=x, op=op: op(x, 2)) if not with_grad else \
                    step(lib, lambda x, op=op: op(x, 2), x, [], True)
                times.append(best_of(fn))
            rows.append((f"max_pool2d 2x2 {shape} {what}", *times))
    print(f"{'op':48s} {'brique ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for name, tb, tt in rows:
        print(f"{name:48s} {tb * 1e3:10.3f} {tt * 1e3:10.3f} {tb / tt:7.2f}")
    total_b = sum(r[1] for r in rows if "fwd+bwd" in r[0])
    total_t = sum(r[2] for r in rows if "fwd+bwd" in r[0])
    print(f"{'sum of fwd+bwd rows':48s} {total_b * 1e3:10.3f} {total_t * 1e3:10.3f} "
          f"{total_b / total_t:7.2f}")


if __name__ == "__main__":
    main()
