"""BatchDataset: what image_dataset_from_directory and text_dataset_from_directory return. It
is NOT a tf.data.Dataset, only the part of its API that Keras programs chain on those datasets
(map, take, skip, shuffle, batch, unbatch, repeat, prefetch, cache, as_numpy_iterator), on
NumPy arrays, re-run lazily on each iteration (an epoch), as tf.data does. model.fit,
evaluate and predict take it as an iterable of batches with a length.

Arrays come out as EagerArray, an ndarray with TensorFlow's `.numpy()`, so the keras.io
idiom `images[i].numpy().astype("uint8")` runs unchanged; strings are NumPy str arrays."""
from __future__ import annotations

import itertools
import math

import numpy as np

from ...autograd import no_grad
from ...tensor import Tensor

AUTOTUNE = -1  # tf.data.AUTOTUNE: accepted wherever a buffer size or parallelism is asked


class EagerArray(np.ndarray):
    """An ndarray with `.numpy()` (itself as a plain ndarray), as an eager tf.Tensor has."""

    def numpy(self):
        return np.asarray(self)


def eager(value):
    """Arrays and Tensors of an element (nested in tuples, lists, dicts) as EagerArrays."""
    if isinstance(value, (tuple, list)):
        return tuple(eager(v) for v in value)
    if isinstance(value, dict):
        return {k: eager(v) for k, v in value.items()}
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value).view(EagerArray)


def _plain(value):
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return np.asarray(value)


def _stack(items):
    """Elements (arrays, or tuples / dicts of them) stacked into one batch element."""
    first = items[0]
    if isinstance(first, tuple):
        return tuple(_stack([item[i] for item in items]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack([item[k] for item in items]) for k in first}
    shapes = {np.shape(item) for item in items}
    if len(shapes) > 1:
        raise ValueError(f"BatchDataset.batch: elements of different shapes {sorted(shapes)} "
                         "cannot be stacked into one batch")
    return np.stack([np.asarray(item) for item in items]).view(EagerArray)


def _rows(element):
    """The rows of a batch element (split along its first axis), for unbatch."""
    if isinstance(element, tuple):
        parts = [list(_rows(v)) for v in element]
        if len({len(p) for p in parts}) > 1:
            raise ValueError(f"BatchDataset.unbatch: the parts of a batch have different "
                             f"first dimensions {[len(p) for p in parts]}")
        return zip(*parts)
    if isinstance(element, dict):
        return (dict(zip(element, row)) for row in zip(*(_rows(v) for v in element.values())))
    if np.ndim(element) == 0:
        raise ValueError("BatchDataset.unbatch: the elements are scalars, they have no batch "
                         "axis to split")
    return iter(element)


def _count(count, what):
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < -1:
        raise ValueError(f"BatchDataset.{what}: count must be an int >= -1 (-1: all), got "
                         f"{count!r}")
    return int(count)


class BatchDataset:
    """A lazy sequence of elements (a batch `x`, or `(x, y)`): `make()` returns a fresh
    iterator of them (a new epoch, reshuffled where shuffling was asked).

    The length is tracked without reading the data: `rows` elements below, grouped by
    `batch` (None: not grouped), so unbatch() after batch() knows its length too; None when
    unknown, math.inf after repeat()."""

    def __init__(self, make, rows, batch=None, drop_remainder=False, class_names=None,
                 file_paths=None):
        self._make, self._rows, self._batch = make, rows, batch
        self._drop_remainder = drop_remainder
        self.class_names, self.file_paths = class_names, file_paths

    def _derive(self, make, rows, batch=None, drop_remainder=False):
        return BatchDataset(make, rows, batch, drop_remainder, self.class_names,
                            self.file_paths)

    def _length(self):
        if self._rows is None or self._batch is None or self._rows == math.inf:
            return self._rows
        split = math.floor if self._drop_remainder else math.ceil
        return split(self._rows / self._batch)

    def __len__(self):
        n = self._length()
        if n is None:
            raise TypeError("BatchDataset: the length is unknown (unbatch() of a dataset that "
                            "was not batched); count it with sum(1 for _ in dataset)")
        if n == math.inf:
            raise TypeError("BatchDataset: the dataset is infinite (repeat()); give fit "
                            "steps_per_epoch")
        return n

    def cardinality(self):
        """The number of elements, -1 when infinite, -2 when unknown (tf.data's codes)."""
        n = self._length()
        return -2 if n is None else -1 if n == math.inf else n

    def __iter__(self):
        return iter(self._make())

    def as_numpy_iterator(self):
        """The elements as plain NumPy arrays."""
        return (_plain(element) for element in self)

    def __array__(self, dtype=None, copy=None):
        """All elements as one array (batches concatenated), so that a preprocessing
        layer's adapt() takes the dataset, as Keras's does; (x, y) elements must be mapped to
        x first."""
        elements = list(self)
        if not elements:
            raise ValueError("BatchDataset: the dataset is empty; there is nothing to adapt on")
        if any(isinstance(e, (tuple, dict)) for e in elements):
            raise ValueError("BatchDataset: the elements are (x, y) pairs; use "
                             "dataset.map(lambda x, y: x) to get an array of the inputs")
        join = np.concatenate if self._batch is not None else np.stack
        out = join([np.asarray(e) for e in elements])
        return out if dtype is None else out.astype(dtype)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """map_func applied to each element: called as map_func(x, y) on (x, y) elements (as
        tf.data unpacks tuples), map_func(x) otherwise; Tensors it returns become arrays."""
        if not callable(map_func):
            raise TypeError(f"BatchDataset.map: map_func must be callable, got "
                            f"{type(map_func).__name__}")

        def make():
            for element in self:
                with no_grad():
                    out = map_func(*element) if isinstance(element, tuple) else \
                        map_func(element)
                yield eager(out)
        return self._derive(make, self._rows, self._batch, self._drop_remainder)

    def take(self, count, name=None):
        """The first `count` elements (-1: all)."""
        count = _count(count, "take")
        if count == -1:
            return self
        return self._derive(lambda: itertools.islice(self, count), self._shift(count, -1),
                            self._batch, self._drop_remainder)

    def skip(self, count, name=None):
        """All but the first `count` elements (-1: none)."""
        count = _count(count, "skip")
        if count == -1:
            return self._derive(lambda: iter(()), 0, self._batch)
        return self._derive(lambda: itertools.islice(self, count, None),
                            self._shift(count, +1), self._batch, self._drop_remainder)

    def _shift(self, count, sign):
        """The rows below after taking (sign -1) or skipping (+1) `count` elements: only a
        dataset's last batch is short, so `count` batches hold count * batch rows."""
        if self._rows is None:
            return None
        used = min(count * (self._batch or 1), self._rows)
        return used if sign < 0 else self._rows - used

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Elements drawn at random from a buffer of `buffer_size` filled in order (tf.data's
        algorithm); a new order each iteration unless reshuffle_each_iteration=False."""
        if not isinstance(buffer_size, (int, np.integer)) or buffer_size == 0 or \
                buffer_size < -1:
            raise ValueError(f"BatchDataset.shuffle: buffer_size must be a positive int, got "
                             f"{buffer_size!r}")
        size = math.inf if buffer_size == -1 else int(buffer_size)
        seed = np.random.randint(2**31) if seed is None else seed
        rng = np.random.default_rng(seed)

        def make():
            draw = rng if reshuffle_each_iteration else np.random.default_rng(seed)
            buffer = []
            for element in self:
                buffer.append(element)
                if len(buffer) >= size:
                    i = int(draw.integers(len(buffer)))
                    buffer[i], buffer[-1] = buffer[-1], buffer[i]
                    yield buffer.pop()
            for i in draw.permutation(len(buffer)):
                yield buffer[i]
        return self._derive(make, self._rows, self._batch, self._drop_remainder)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Consecutive elements stacked into batches of `batch_size` (the last one shorter
        unless drop_remainder)."""
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"BatchDataset.batch: batch_size must be a positive int, got "
                             f"{batch_size!r}")

        def make():
            it = iter(self)
            while True:
                group = list(itertools.islice(it, batch_size))
                if not group or (drop_remainder and len(group) < batch_size):
                    return
                yield _stack(group)
        return self._derive(make, self._length(), int(batch_size), drop_remainder)

    def unbatch(self, name=None):
        """Each batch split back into its rows."""
        def make():
            for element in self:
                yield from (eager(row) for row in _rows(element))
        return self._derive(make, self._rows if self._batch is not None else None)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        return self.unbatch().batch(batch_size, drop_remainder)

    def repeat(self, count=None, name=None):
        """The elements `count` times over (None or -1: forever)."""
        forever = count is None or count == -1
        if not forever:
            count = _count(count, "repeat")

        def make():
            for _ in (itertools.count() if forever else range(count)):
                yield from self
        n = self._length()
        return self._derive(make, math.inf if forever else None if n is None else n * count)

    def prefetch(self, buffer_size=None, name=None):
        """The dataset itself: batches are read when asked for."""
        return self

    def cache(self, filename="", name=None):
        """The dataset itself: files are read again each epoch."""
        return self

    def apply(self, transformation_func):
        return transformation_func(self)

    def __repr__(self):
        n = self._length()
        size = "unknown" if n is None else "infinite" if n == math.inf else n
        return f"<BatchDataset elements={size}>"
