"""DataLoader: batches from a dataset, optionally loaded ahead by background threads.

    loader = DataLoader(dataset, batch_size=64, shuffle=True, generator=0, num_workers=2)
    for x, y in loader:
        ...

`num_workers=0` loads each batch in the calling thread when it is asked for, as PyTorch
does. `num_workers >= 1` starts that many daemon *threads* (not processes: NumPy releases
the GIL in its copies and the dataset need not be picklable) that keep up to
`prefetch_factor * num_workers` batches in flight, so the next batch is ready while the model
computes. Batches always come back in sampler order. An exception raised while loading a
batch is re-raised in the caller as the original exception object (its traceback still shows
where in the dataset it happened). The threads stop when the epoch ends, when the loop breaks
early and the iterator is dropped, or on `iterator.close()`.

The sampler runs in the calling thread, so the order of samples under a seed is the same for
any `num_workers`; random transforms drawing from a shared generator in several threads are
not reproducible draw for draw (use num_workers=0 or 1 for that). For an IterableDataset each
worker iterates its own copy of the dataset, as in PyTorch (shard it with `get_worker_info()`,
else each worker yields the whole stream); batches come round-robin over the workers.
`pin_memory` and `persistent_workers` are accepted for PyTorch compatibility and ignored.
"""
from __future__ import annotations

import collections.abc
import itertools
import queue
import threading

import numpy as np

from ... import backend
from ...tensor import Tensor
from . import _worker_info
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, as_generator


def default_collate(batch):
    """Stack a list of samples into a batch, recursively, like `torch`'s default_collate:
    Tensors and ndarrays are stacked along a new dim 0, Python ints become an int64 tensor,
    floats a float64 one, bools a bool one; dicts collate per key, tuples and lists per
    position (returned as a list, as PyTorch does; namedtuples keep their type); strings and
    other objects are returned as a list.

    Shape:
        N samples of shape (*) -> (N, *).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        xp = backend.get_array_module(elem._data)
        return Tensor._make(xp.stack([b._data for b in batch]))
    if backend.is_array(elem):
        if elem.dtype.kind in "OSUV":
            raise TypeError(f"default_collate: cannot make a tensor of arrays of dtype "
                            f"{elem.dtype}")
        xp = backend.get_array_module(elem)
        return Tensor._make(xp.stack(batch))
    if isinstance(elem, np.generic):
        return Tensor._make(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        out = {k: default_collate([d[k] for d in batch]) for k in elem}
        try:
            return out if type(elem) is dict else type(elem)(out)
        except TypeError:  # a Mapping type that cannot be built from a dict
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(s) != size for s in batch):
            raise RuntimeError("default_collate: each element in the batch should be of equal "
                               f"size, got sizes {sorted({len(s) for s in batch})}")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


class DataLoader:
    """Iterate over a dataset in batches (PyTorch's signature).

    Args:
        dataset: a map-style Dataset (`__getitem__`, `__len__`) or an IterableDataset.
        batch_size: samples per batch (None: no batching, samples come one at a time).
        shuffle: a new random order each epoch; reproducible with `generator`.
        sampler / batch_sampler: custom index order / custom batches of indices.
        num_workers: 0 loads in the calling thread; n >= 1 loads ahead in n threads.
        collate_fn: list of samples -> batch (default: `default_collate`).
        drop_last: drop the last, incomplete batch (len() counts accordingly).
        timeout: seconds to wait for a batch from the workers (0: forever).
        worker_init_fn: called as fn(worker_id) in each worker thread when it starts.
        generator: a Generator, an int seed, or None (brique's global random state).
        prefetch_factor: batches in flight per worker (default 2).

    With the default collate, a dataset that offers a batch fetcher (TensorDataset, Subset of
    one, the brique.datasets image sets) is indexed a whole batch at once.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, generator=None, prefetch_factor=None,
                 persistent_workers=False):
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got "
                             f"{num_workers!r}")
        if prefetch_factor is not None and num_workers == 0:
            raise ValueError("DataLoader: prefetch_factor is only used with num_workers > 0")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout must be non-negative, got {timeout}")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if prefetch_factor is None else int(prefetch_factor)
        if self.prefetch_factor < 1:
            raise ValueError("DataLoader: prefetch_factor must be at least 1")
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = persistent_workers
        self.generator = as_generator(generator)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle or sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader: an IterableDataset takes no shuffle, sampler or "
                                 "batch_sampler; it yields samples in its own order")
        elif batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler is mutually exclusive with "
                                 "batch_size, shuffle, sampler and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None is incompatible with drop_last")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle")
        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=self.generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None or batch_sampler is not None
            else (lambda x: x))
        self._default_collate = collate_fn is None

    def _fetcher(self):
        """index batch -> batch (the function the workers run)."""
        dataset, collate = self.dataset, self.collate_fn
        if self.batch_sampler is None:  # batch_size=None: one sample at a time
            return lambda index: collate(dataset[index])
        fast = dataset._batch_fetcher() if self._default_collate and hasattr(
            dataset, "_batch_fetcher") else None
        if fast is not None:
            return lambda indices: fast(np.asarray(indices, dtype=np.int64))
        return lambda indices: collate([dataset[i] for i in indices])

    def _index_batches(self):
        if self._iterable:
            it = iter(self.dataset)
            if self.batch_size is None:
                return ([s] for s in it)
            chunks = iter(lambda: list(itertools.islice(it, self.batch_size)), [])
            return (c for c in chunks if not (self.drop_last and len(c) < self.batch_size))
        return iter(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        if self._iterable and self.num_workers > 0:  # each worker reads its own stream
            return _worker_info.IterableWorkersIter(
                self, _worker_info.base_seed(self.generator))
        if self._iterable:
            collate = self.collate_fn
            # For an IterableDataset the "index batches" are the samples themselves.
            fetch = collate if self.batch_size is not None else (lambda s: collate(s[0]))
            jobs = self._index_batches()
        else:
            jobs, fetch = self._index_batches(), self._fetcher()
        if self.num_workers == 0:
            return _SingleThreadIter(jobs, fetch)
        seed = _worker_info.base_seed(self.generator)
        infos = [_worker_info.WorkerInfo(i, self.num_workers, seed + i, self.dataset)
                 for i in range(self.num_workers)]
        return _ThreadedIter(jobs, fetch, infos, self.prefetch_factor * self.num_workers,
                             self.timeout, self.worker_init_fn)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


class _SingleThreadIter:
    def __init__(self, jobs, fetch):
        self._jobs, self._fetch = jobs, fetch

    def __iter__(self):
        return self

    def __next__(self):
        return self._fetch(next(self._jobs))

    def close(self):
        self._jobs = iter(())


_STOP = object()


def _worker(info, tasks, results, fetch, stop, init_fn):
    # Holds no reference to the iterator, so dropping the iterator runs its __del__.
    worker_id = info.id
    _worker_info.set_worker_info(info)
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception as exc:  # reported on the first batch this worker would have made
        results.put((None, exc, worker_id))
        return
    while not stop.is_set():
        task = tasks.get()
        if task is _STOP:
            return
        seq, job = task
        try:
            results.put((seq, fetch(job), None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who re-raises it
            results.put((seq, exc, worker_id))


class _ThreadedIter:
    """Hands index batches to worker threads, keeps `max_in_flight` of them outstanding and
    returns the results in order."""

    def __init__(self, jobs, fetch, infos, max_in_flight, timeout, init_fn):
        self._jobs = jobs
        self._max_in_flight = max_in_flight
        self._timeout = timeout or None
        self._tasks = queue.SimpleQueue()
        self._results = queue.SimpleQueue()
        self._stop = threading.Event()
        self._sent = self._next = 0
        self._done = {}
        self._exhausted = False
        self._workers = [threading.Thread(
            target=_worker, name=f"brique-DataLoader-worker-{i}", daemon=True,
            args=(info, self._tasks, self._results, fetch, self._stop, init_fn))
            for i, info in enumerate(infos)]
        for w in self._workers:
            w.start()
        self._fill()

    def _fill(self):
        while not self._exhausted and self._sent - self._next < self._max_in_flight:
            try:
                job = next(self._jobs)
            except StopIteration:
                self._exhausted = True
                break
            self._tasks.put((self._sent, job))
            self._sent += 1

    def __iter__(self):
        return self

    def __next__(self):
        if self._next >= self._sent:
            self.close()
            raise StopIteration
        while self._next not in self._done:
            try:
                seq, value, worker = self._results.get(timeout=self._timeout)
            except queue.Empty:
                self.close()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} s waiting "
                                   f"for batch {self._next}") from None
            if seq is None:  # worker_init_fn failed
                self._raise(value, worker, "worker_init_fn")
            self._done[seq] = (value, worker)
        batch, worker = self._done.pop(self._next)
        if worker is not None:  # this batch raised: re-raise in order, after the batches before
            self._raise(batch, worker, f"batch {self._next}")
        self._next += 1
        self._fill()
        return batch

    def _raise(self, exc, worker, where):
        self.close()
        if hasattr(exc, "add_note"):
            exc.add_note(f"(raised in brique DataLoader worker thread {worker} while loading "
                         f"{where})")
        raise exc

    def close(self):
        """Stop the worker threads (idempotent); pending batches are discarded."""
        if self._stop.is_set():
            return
        self._stop.set()
        for _ in self._workers:
            self._tasks.put(_STOP)
        for w in self._workers:
            if w is not threading.current_thread():
                w.join(timeout=5.0)
        self._done.clear()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
