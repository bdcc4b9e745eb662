"""brique/ops/_threads.py: the pool that runs a conv's chunks and big elementwise ops on every
core and the one-BLAS-thread blocks around it; the medium-sized products (linear layers, the
recurrent layers' steps) that run in such a block."""
from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

import brique as B
from brique.ops import _kernels, _kernels_rnn, _threads

_run = _threads.run


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


def test_threads_run_nested_concurrent_and_after_fork():
    """A run inside a part, runs from several threads at once and a run in a forked child
    (a DataLoader worker) all finish with every part done: those that find the workers busy
    run on their own thread."""
    def inner(part):
        return sum(sum(_run(lambda p: sum(p), list(range(10 * k, 10 * k + 10)), True))
                   for k in part)
    assert sum(_run(inner, [0, 1, 2, 3], True)) == sum(range(40))
    totals = []
    threads = [threading.Thread(target=lambda: totals.append(sum(_run(
        lambda p: sum(p), list(range(1000)), True)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert totals == [sum(range(1000))] * 4
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        assert pool.apply(_sum_in_child, (list(range(100)),)) == sum(range(100))


@pytest.mark.skipif(_threads.WORKERS < 2 or not _threads._openblas(), reason="one thread")
def test_threads_run_after_an_interrupt_waits_for_the_running_job():
    """Ctrl-C in the calling thread while a worker's part runs: the interrupt reaches the
    caller once the worker is done, and the next run gets its own results, not the old
    job's."""
    main = threading.main_thread().ident

    def fn(part):
        if part == [1]:  # the worker's part
            signal.pthread_kill(main, signal.SIGINT)
            time.sleep(0.2)
            return "old"
        time.sleep(0.05)
        return "main"
    with pytest.raises(KeyboardInterrupt):
        _run(fn, [0, 1], True)
    assert _run(lambda part: part, [0, 1], True) == [[0], [1]]


def _sum_in_child(items):
    return sum(_run(lambda p: sum(p), items, True))


def test_one_blas_thread_sets_the_count_back():
    blas = _threads._openblas()
    before = blas[1]() if blas else None
    with pytest.raises(KeyError):
        with _threads.one_blas_thread():
            assert not blas or blas[1]() == 1
            raise KeyError
    assert not blas or blas[1]() == before


def test_one_blas_thread_is_numpys_even_with_scipys_openblas_loaded_first():
    """SciPy (which numba imports) brings an OpenBLAS of its own; the count set must be
    NumPy's, which brique's products use."""
    pytest.importorskip("scipy.linalg")
    pytest.importorskip("threadpoolctl")
    code = """if True:
        import scipy.linalg, numpy, threadpoolctl
        from brique.ops import _threads
        def numpys():
            return [i["num_threads"] for i in threadpoolctl.threadpool_info()
                    if i["internal_api"] == "openblas" and "numpy" in i["filepath"]]
        with _threads.one_blas_thread():
            print(numpys())
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    if out.strip() == "[]":
        pytest.skip("NumPy's BLAS is not a bundled OpenBLAS")
    assert out.strip() == "[1]"


@pytest.mark.parametrize("f, a, b", [
    (np.add, "float32", "float32"), (np.multiply, "float32", "bool"),
    (np.maximum, "float32", 0), (np.add, "int64", 3), (np.multiply, "int32", 2.5),
    (np.add, "float32", "float64"), (np.add, "float32", "broadcast"),
    (np.multiply, "float32", "strided")])
def test_elementwise_gives_the_ufunc_result(f, a, b, monkeypatch):
    """Split across the cores or not (broadcasting, a strided operand), the values and the
    dtype are the ufunc's own."""
    runs = []
    monkeypatch.setattr(_threads, "run", lambda *args: runs.append(_run(*args)))
    rng = np.random.default_rng(0)
    n = _threads.ELEMENTWISE_BYTES // 4 + 7  # above the threshold, not a multiple of cores
    x = (rng.standard_normal(n) * 10).astype(a)
    if b == "broadcast":
        x, y = x[:n - 7].reshape(-1, 8), rng.standard_normal(8).astype("float32")
    elif b == "strided":
        y = rng.standard_normal(2 * n).astype("float32")[::2]
    else:
        y = b if not isinstance(b, str) else (rng.standard_normal(n) > 0 if b == "bool"
                                              else rng.standard_normal(n).astype(b))
    got, want = _threads.elementwise(f, x, y), f(x, y)
    assert len(runs) == (b not in ("broadcast", "strided") and _threads.WORKERS > 1)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_big_relu_and_residual_add_match_torch():
    """The ops a ResNet step runs on multi-megabyte activations, forward and backward."""
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((8, 16, 64, 64)).astype("float32") for _ in range(3)]
    assert arrays[0].nbytes >= _threads.ELEMENTWISE_BYTES
    x, r = (B.tensor(a, requires_grad=True) for a in arrays[:2])
    tx, tr = (torch.tensor(a, requires_grad=True) for a in arrays[:2])
    y, ty = B.relu(x * 2.0 + r) * r, torch.relu(tx * 2.0 + tr) * tr
    y.backward(B.tensor(arrays[2]))
    ty.backward(torch.tensor(arrays[2]))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    for mine, theirs in ((x, tx), (r, tr)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_over_batch_splits_a_big_batch_in_contiguous_parts():
    """One contiguous part per core, in order, where run gives a conv's chunks to the cores
    on the same bounds; a small array (or a busy pool) is one part on the calling thread."""
    big = np.zeros((7, _threads.ELEMENTWISE_BYTES // 4 // 7 + 1), np.float32)
    threads = set()

    def fn(s, e):
        threads.add(threading.get_ident())
        return s, e
    spans = _threads.over_batch(fn, big)
    parts = min(_threads.WORKERS, 7) if _threads._openblas() else 1
    assert spans[0][0] == 0 and spans[-1][1] == 7 and len(spans) == len(threads) == parts
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    chunks = _threads.run(lambda part: part, list(range(7)), True)
    assert [len(c) for c in chunks] == [e - s for s, e in spans] or parts == 1
    assert sum(chunks, []) == list(range(7))
    assert _threads.over_batch(fn, np.zeros((7, 3), np.float32)) == [(0, 7)]
    # Nested in a run (the workers busy): the same parts, one after another.
    assert _run(lambda p: _threads.over_batch(fn, big), [0, 1], True) == [spans] * parts


@pytest.mark.parametrize("bias", [True, False])
def test_big_conv_bias_and_max_pool_match_torch(bias):
    """The ops a LeNet-5 step splits over the batch (bias add and gradient, 2x2 max-pool and
    its gradient) on an activation above the threshold, forward and backward."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype("float32")
              for s in ((65, 1, 28, 28), (6, 1, 5, 5), (6,), (65, 6, 14, 14))]
    assert 65 * 6 * 28 * 28 * 4 >= _threads.ELEMENTWISE_BYTES
    x, w, b = (B.tensor(a, requires_grad=True) for a in arrays[:3])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in arrays[:3])
    y = B.nn.functional.max_pool2d(B.nn.functional.conv2d(x, w, b if bias else None, padding=2), 2)
    ty = torch.nn.functional.max_pool2d(
        torch.nn.functional.conv2d(tx, tw, tb if bias else None, padding=2), 2)
    y.backward(B.tensor(arrays[3]))
    ty.backward(torch.tensor(arrays[3]))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    for mine, theirs in ((x, tx), (w, tw)) + (((b, tb),) if bias else ()):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_big_nearest_upsample_matches_torch():
    """2x nearest upsampling and its gradient split over the batch (an odd one)."""
    rng = np.random.default_rng(4)
    a, g = (rng.standard_normal(s).astype("float32") for s in ((5, 7, 60, 60), (5, 7, 120, 120)))
    assert g.nbytes >= _threads.ELEMENTWISE_BYTES
    x, tx = B.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y = B.nn.functional.interpolate(x, scale_factor=2)
    ty = torch.nn.functional.interpolate(tx, scale_factor=2)
    y.backward(B.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_medium_linear_matches_torch(dtype):
    """A linear layer whose products run on one BLAS thread (LeNet-5's first, on 64 images:
    between _threads._ONE_THREAD_MIN and _MAX multiply-adds), forward and backward."""
    M, K, N = 64, 400, 120
    assert _threads._ONE_THREAD_MIN <= M * K * N < _threads._ONE_THREAD_MAX
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


def test_lstm_steps_run_on_one_blas_thread(monkeypatch):
    """The benchmark's LSTM (64 x 64 by 64 x 256 a step) multiplies on one BLAS thread, and the
    count is set back after."""
    blas = _threads._openblas()
    if not (blas and _kernels_rnn.usable(np.zeros(1, "float32"))):
        pytest.skip("needs NumPy's OpenBLAS and numba")
    before, counts = blas[1](), []
    for name in ("lstm_forward", "lstm_backward"):
        loop = getattr(_kernels_rnn, name)
        monkeypatch.setattr(_kernels_rnn, name,
                            lambda *args, loop=loop: (counts.append(blas[1]()), loop(*args)))
    lstm = B.nn.LSTM(28, 64, batch_first=True)
    lstm(B.randn(64, 28, 28))[0].sum().backward()
    assert counts == [1, 1] and blas[1]() == before


def test_lstm_loop_product_through_ctypes_matches_numpy():
    """The LSTM loops' product in its plain-Python form (the loops uncompiled), C = A B
    through NumPy's cblas_sgemm by address."""
    if _threads.sgemm() is None:
        pytest.skip("needs NumPy's OpenBLAS")
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in ((5, 7), (7, 3)))
    c = np.empty((5, 3), np.float32)
    _kernels_rnn._sgemm_ctypes(_threads.sgemm(), 5, 3, 7, a.ctypes.data, b.ctypes.data,
                               c.ctypes.data)
    np.testing.assert_allclose(c, a @ b, rtol=1e-6, atol=1e-6)
