"""brique/ops/_threads.py: the pool that runs a conv's chunks on every core and the one-BLAS-
thread blocks around it; linalg's medium-sized products, which run in such a block."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import brique as B
from brique.ops import _threads, linalg


@pytest.mark.parametrize("parallel", [True, False])
def test_threads_run_every_part_on_one_blas_thread_and_restore_it(parallel):
    blas = _threads._openblas()
    before = blas[1]() if blas else None
    seen, threads = [], set()

    def fn(part):
        seen.extend(part)
        threads.add(threading.get_ident())
        assert not blas or blas[1]() == 1
        return len(part)
    results = _threads.run(fn, list(range(7)), parallel)
    assert sorted(seen) == list(range(7)) and sum(results) == 7
    assert len(results) == len(threads) == (min(_threads.WORKERS, 7) if blas and parallel else 1)
    with pytest.raises(ZeroDivisionError):  # a worker's error reaches the caller
        _threads.run(lambda part: 1 / 0 if 3 in part else 0, list(range(7)), parallel)
    assert not blas or blas[1]() == before


def test_one_blas_thread_sets_the_count_back():
    blas = _threads._openblas()
    before = blas[1]() if blas else None
    with pytest.raises(KeyError):
        with _threads.one_blas_thread():
            assert not blas or blas[1]() == 1
            raise KeyError
    assert not blas or blas[1]() == before


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_medium_linear_matches_torch(dtype):
    """A linear layer whose products run on one BLAS thread (LeNet-5's first, on 64 images:
    between linalg._ONE_THREAD_MIN and _MAX multiply-adds), forward and backward."""
    M, K, N = 64, 400, 120
    assert linalg._ONE_THREAD_MIN <= M * K * N < linalg._ONE_THREAD_MAX
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((M, K), (N, K), (N,), (M, N))]
    x, w, b = (B.tensor(a, requires_grad=True) for a in arrays[:3])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in arrays[:3])
    y, ty = B.nn.functional.linear(x, w, b), torch.nn.functional.linear(tx, tw, tb)
    y.backward(B.tensor(arrays[3]))
    ty.backward(torch.tensor(arrays[3]))
    tol = 1e-10 if dtype == "float64" else 1e-3
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    for mine, theirs in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)
