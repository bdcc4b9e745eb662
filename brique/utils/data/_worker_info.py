"""Which DataLoader worker is running: `get_worker_info()`, PyTorch's hook for sharding an
IterableDataset across workers, and the loop that gives each worker its own stream.

brique's workers are threads, so the information is thread-local. For an IterableDataset each
worker iterates its own shallow copy of the dataset (PyTorch's workers each hold a copy), so a
`worker_init_fn` that sets `get_worker_info().dataset.start` changes that worker's copy only;
batches come back round-robin over the workers, skipping those that are done, as PyTorch's do.
`seed` is base_seed + id as in PyTorch; the threads share brique's random state, so use it to
seed a generator of your own (`numpy.random.default_rng(info.seed)`) in the dataset.
"""
from __future__ import annotations

import copy
import itertools
import queue
import threading

import numpy as np

from ... import backend

_local = threading.local()


class WorkerInfo:
    """id, num_workers, seed and dataset of the worker running this code (read-only)."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        for name, value in (("id", id), ("num_workers", num_workers), ("seed", seed),
                            ("dataset", dataset)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise RuntimeError(f"WorkerInfo: cannot set {name!r}: the worker's information is "
                           "read-only")

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={type(self.dataset).__name__})")


def get_worker_info():
    """In a DataLoader worker: its WorkerInfo. In the main process (thread): None."""
    return getattr(_local, "info", None)


def set_worker_info(info):
    _local.info = info


def base_seed(generator):
    """A seed for this epoch's workers, reproducible under a seed, that consumes no draw (so
    the sample order stays the same for any num_workers): derived from a peek at the state."""
    rng = generator.rng if generator is not None else backend.rng()
    peek = np.random.Generator(copy.deepcopy(rng.bit_generator)).integers(2**63)
    return int(np.random.SeedSequence([int(peek), 0x5EED]).generate_state(1, np.uint64)[0]
               % 2**63)


_END = object()


def _stream(info, dataset, batch_size, drop_last, collate, init_fn, out, stop):
    set_worker_info(info)

    def put(item):
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False
    try:
        if init_fn is not None:
            init_fn(info.id)
        it = iter(dataset)
        while not stop.is_set():
            if batch_size is None:
                item = next(it, _END)
                if item is _END:
                    break
                batch = collate(item)
            else:
                chunk = list(itertools.islice(it, batch_size))
                if not chunk or (drop_last and len(chunk) < batch_size):
                    break
                batch = collate(chunk)
            if not put((batch, None)):
                return
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, who re-raises it
        put((None, exc))
        return
    put((_END, None))


class IterableWorkersIter:
    """Each worker thread reads its own copy of an IterableDataset; batches are taken from the
    workers in turn."""

    def __init__(self, loader, seed):
        n = loader.num_workers
        self._timeout = loader.timeout or None
        self._stop = threading.Event()
        self._queues = [queue.Queue(maxsize=loader.prefetch_factor) for _ in range(n)]
        self._active = list(range(n))
        self._turn = 0
        self._threads = []
        for i in range(n):
            info = WorkerInfo(i, n, seed + i, copy.copy(loader.dataset))
            t = threading.Thread(target=_stream, name=f"brique-DataLoader-worker-{i}",
                                 daemon=True,
                                 args=(info, info.dataset, loader.batch_size, loader.drop_last,
                                       loader.collate_fn, loader.worker_init_fn,
                                       self._queues[i], self._stop))
            self._threads.append(t)
            t.start()

    def __iter__(self):
        return self

    def __next__(self):
        while self._active:
            self._turn %= len(self._active)
            worker = self._active[self._turn]
            try:
                batch, exc = self._queues[worker].get(timeout=self._timeout)
            except queue.Empty:
                self.close()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} s waiting for "
                                   f"worker {worker}") from None
            if exc is not None:
                self.close()
                if hasattr(exc, "add_note"):
                    exc.add_note(f"(raised in brique DataLoader worker thread {worker})")
                raise exc
            if batch is _END:
                self._active.remove(worker)
                continue
            self._turn += 1
            return batch
        self.close()
        raise StopIteration

    def close(self):
        self._stop.set()
        self._active = []

    def __del__(self):
        self.close()
