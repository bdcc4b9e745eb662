"""Every CPU core for the chunked loops of a convolution and for big elementwise ops.

NumPy's OpenBLAS uses every core for one GEMM, but the copies around it (im2col, col2im,
the output transposes) run on one. A conv's chunks are independent, so a big conv's loop runs
instead on one thread per core, each chunk's GEMM on a single BLAS thread: all of the work on
all of the cores. NumPy's elementwise ops run on one core too; a big one is split the same way.

Spinning threads of two pools on the same cores slow each other down badly (a numba
`prange` im2col next to OpenBLAS's threads made a ResNet-20 step 12x slower), so the pool
here is of plain Python threads, which sleep when idle (the compiled kernels and NumPy's
copies and GEMMs release the GIL). And every conv runs its GEMMs on one BLAS thread, the
small ones that stay on the calling thread too: after a multi-threaded call OpenBLAS's idle
threads spin for a while, taking a core from the pool's threads (ResNet-20 step on 2 cores,
its first conv's GEMMs on 2 BLAS threads: 470 ms; on one: 382 ms; LeNet-5, whose convs are all
small, measured the same either way). The BLAS thread count is set back after each conv.

CPU-only, like the compiled kernels (_kernels.py), hence `import numpy`: it takes NumPy arrays
and hands every other array back to the plain code path.

NumPy's OpenBLAS is found among the loaded libraries and its thread count set through
ctypes; where it is not found (another BLAS), everything runs on the calling thread as is.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import threading

import numpy

from .. import _malloc

WORKERS = os.cpu_count() or 1
_blas = None  # (set_num_threads, get_num_threads) of NumPy's OpenBLAS, False if not found
_sgemm = None  # (address of its cblas_sgemm, whether its integers are 64-bit), or None
_workers = None  # the WORKERS - 1 threads beside the calling one, started on first use
_busy = threading.Lock()  # held while a `run` uses the workers


def _openblas():
    global _blas, _sgemm
    if _blas is None:
        _blas = False
        try:
            with open("/proc/self/maps") as f:
                paths = {line.split()[-1] for line in f if "openblas" in line}
            # NumPy's first: SciPy (which numba imports) loads an OpenBLAS of its own.
            for path in sorted(paths, key=lambda p: ("numpy" not in p, p)):
                lib = ctypes.CDLL(path)
                for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""),
                                       ("openblas", "64_"), ("openblas", "")):
                    s = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                    g = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                    if s is not None and g is not None:
                        _blas = (s, g)
                        gemm = getattr(lib, f"{prefix.replace('openblas', 'cblas')}_sgemm"
                                            f"{suffix}", None)
                        if gemm is not None:
                            _sgemm = (ctypes.cast(gemm, ctypes.c_void_p).value, suffix == "64_")
                        return _blas
        except OSError:
            pass
    return _blas


def sgemm():
    """(address, 64-bit integers?) of cblas_sgemm in NumPy's OpenBLAS, for compiled loops that
    multiply matrices between their steps (_kernels_rnn.py); None where it is not found."""
    _openblas()
    return _sgemm


class _Worker:
    """A thread that runs one job at a time, handed to it and back through two locks: a round
    trip takes 9 us on 2 cores (Intel Xeon) where a ThreadPoolExecutor's queue and future took
    24, which made a 1.2 MB ReLU split between the cores slower than on one (65 against 55 us;
    now 40)."""

    def __init__(self, k):
        self._go, self._done = threading.Lock(), threading.Lock()
        self._go.acquire()
        self._done.acquire()
        self._job = self._result = None
        threading.Thread(target=self._loop, name=f"brique-worker-{k}", daemon=True).start()

    def _loop(self):
        while True:
            self._go.acquire()
            fn, arg = self._job
            try:
                self._result = (fn(arg), None)
            except BaseException as e:  # handed to the caller, which raises it
                self._result = (None, e)
            self._job = None
            self._done.release()

    def start(self, fn, arg):
        self._job = (fn, arg)
        self._go.release()

    def wait(self):
        """(result, exception or None) of the job, once it has finished. An exception raised in
        this thread while it waits (Ctrl-C) is held until then and handed back instead: the
        worker must not be given a new job while the old one runs."""
        interrupt = None
        while True:
            try:
                self._done.acquire()
                break
            except BaseException as e:
                interrupt = e
        (value, error), self._result = self._result, None
        return value, interrupt or error


def _after_fork():
    # A forked child (a DataLoader worker) has none of its parent's threads: start its own.
    global _workers, _busy
    _workers, _busy = None, threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def run(fn, items, parallel):
    """[fn(items)] with BLAS at one thread; with `parallel`, [fn(part) for each part] instead,
    the parts (contiguous runs of items, cut as `bounds` cuts a batch) each on a thread of its
    own. As [fn(items)] on the calling thread, BLAS untouched, where NumPy's OpenBLAS is not
    found; on the calling thread alone while another `run` uses the workers (another thread's,
    or one nested in fn)."""
    blas = _openblas()
    if not blas:
        return [fn(items)]
    parts = [items[s:e] for s, e in bounds(len(items)) if e > s] if parallel else []
    if len(parts) < 2 or not _busy.acquire(blocking=False):
        with one_blas_thread():
            return [fn(items)]
    try:
        global _workers
        if _workers is None:
            _malloc.keep_freed_memory()  # before the workers' first allocation: see there
            _workers = [_Worker(k) for k in range(1, WORKERS)]
        with one_blas_thread():
            started = []
            try:
                for worker, part in zip(_workers, parts[1:]):
                    worker.start(fn, part)
                    started.append(worker)
                first = fn(parts[0])
            finally:  # every started worker waited for, even when this part raised
                outcomes = [worker.wait() for worker in started]
        for _, error in outcomes:
            if error is not None:
                raise error
        return [first] + [value for value, _ in outcomes]
    finally:
        _busy.release()


# Elementwise ops on NumPy arrays from this many bytes are split between the cores: they are
# bound by memory traffic, which one core does not saturate. Measured on 2 cores (Intel Xeon),
# float32: an add of 8 MB 0.92 -> 0.51 ms, of 2 MB 0.46 -> 0.29 ms, of 0.5 MB 0.22 -> 0.16 ms.
# The ops ask `big(a)` first, which costs small arrays one attribute lookup.
ELEMENTWISE_BYTES = 1 << 20


def big(a):
    """Is `a` an array big enough for `elementwise` to split?"""
    return getattr(a, "nbytes", 0) >= ELEMENTWISE_BYTES and WORKERS > 1


def elementwise(f, a, b):
    """f(a, b) for a NumPy ufunc f (add, multiply, maximum) or a compiled kernel that takes
    `out=` as they do (_kernels.leaky), computed a part per core when `a` is a big
    contiguous NumPy array and `b` a Python number or an array of a's shape (broadcasting goes
    the plain way). The result has NumPy's dtype for a and b."""
    if not big(a) or type(a) is not numpy.ndarray or not a.flags.c_contiguous:
        return f(a, b)
    if type(b) is numpy.ndarray:
        if b.shape != a.shape or not b.flags.c_contiguous:
            return f(a, b)
        flat_b = b.reshape(-1)
    elif type(b) in (int, float, bool):
        flat_b = None
    else:
        return f(a, b)
    out = numpy.empty(a.shape, numpy.result_type(a, b))
    flat_a, flat_out, n = a.reshape(-1), out.reshape(-1), a.size

    def part(spans):
        for s, e in spans:
            f(flat_a[s:e], b if flat_b is None else flat_b[s:e], out=flat_out[s:e])

    run(part, bounds(n), True)
    return out


def over_batch(fn, a):
    """[fn(start, stop)] over the batch (first) dim of `a`: for a big NumPy array, one
    contiguous part per core, each on its own thread; otherwise [fn(0, n)] here. Every split
    of a batch falls on the same bounds (a conv's chunks, `elementwise`'s halves of a flat
    array), so a core reads the part it wrote, from its own cache: LeNet-5's conv bias
    gradient on 64 x 6 x 28 x 28 took 155 us on one core right after its ReLU's gradient
    had been written half by each core, and 31 us when run again on the same data."""
    n = a.shape[0]
    if not big(a) or type(a) is not numpy.ndarray or n < WORKERS:
        return [fn(0, n)]
    return [r for part in run(lambda part: [fn(s, e) for s, e in part], bounds(n), True)
            for r in part]


def bounds(n):
    """n items cut into one contiguous (start, stop) per core: the one split of a batch, or
    of a flat array, that every op uses."""
    return [(n * k // WORKERS, n * (k + 1) // WORKERS) for k in range(WORKERS)]


# Matrix products of NumPy arrays with this many multiply-adds or more, up to _ONE_THREAD_MAX,
# run on one BLAS thread: below it OpenBLAS uses one anyway, above it its threads pay off
# (the MLP's 64 x 784 by 784 x 256: 2 threads make an epoch 10% faster). In between, waking
# OpenBLAS's threads costs more than it gains, and they then spin for a while against the
# threads of the next convs; LeNet-5's 64 x 400 by 400 x 120 did that to every batch. An
# LSTM's recurrent product, 64 x 64 by 64 x 256: 21.5 us on 2 threads, 16.3 us on one.
_ONE_THREAD_MIN, _ONE_THREAD_MAX = 1 << 18, 1 << 22


def medium_product(array, multiply_adds):
    """Is a matrix product of `array`s (NumPy or CuPy) of this many multiply-adds a medium-
    sized NumPy one, to run on one BLAS thread (see above)?"""
    return _ONE_THREAD_MIN <= multiply_adds < _ONE_THREAD_MAX and type(array) is numpy.ndarray


def blas_threads_for(array, multiply_adds):
    """A block for matrix products of `array`s of this many multiply-adds each: one BLAS
    thread for medium-sized NumPy ones, BLAS as it is otherwise."""
    return one_blas_thread() if medium_product(array, multiply_adds) else _AS_IS


_AS_IS = contextlib.nullcontext()


@contextlib.contextmanager
def one_blas_thread():
    """NumPy's OpenBLAS on one thread inside the block (its thread count set back after)."""
    blas = _openblas()
    if not blas:
        yield
        return
    set_threads, get_threads = blas
    before = get_threads()
    set_threads(1)
    try:
        yield
    finally:
        set_threads(before)
