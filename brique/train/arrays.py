"""NumPy arrays as fit()'s data, Keras's way: `fit(model, (X, y), validation_split=0.2)`.

`X` is an array (or a list of arrays, one per model input), `y` an array (or a list, one per
output). Floating arrays become float32 tensors (the default dtype), integer ones int64.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..creation import randperm
from ..tensor import Tensor


def _leaves(part):
    return list(part) if isinstance(part, (list, tuple)) else [part]


def _array(a):
    a = backend.to_numpy(a.detach()._data) if isinstance(a, Tensor) else np.asarray(a)
    if a.dtype.kind == "f" and a.dtype != backend.get_default_dtype():
        a = a.astype(backend.get_default_dtype())
    elif a.dtype.kind in "iub" and a.dtype != np.int64:
        a = a.astype(np.int64)
    return a


def is_arrays(data):
    """True for an (inputs, targets) tuple of arrays/Tensors (or lists of them), the form
    fit() accepts besides an iterable of batches."""
    if not (isinstance(data, tuple) and len(data) == 2):
        return False
    leaves = _leaves(data[0]) + _leaves(data[1])
    return bool(leaves) and all(isinstance(a, (np.ndarray, Tensor)) for a in leaves)


class ArrayLoader:
    """Batches of (x, y) Tensors cut from in-memory arrays; reshuffled (with brique's RNG,
    so `brique.manual_seed` repeats a run) at each pass when `shuffle`."""

    def __init__(self, x, y, batch_size=32, shuffle=False):
        self.x_list, self.y_list = isinstance(x, (list, tuple)), isinstance(y, (list, tuple))
        self.xs, self.ys = [_array(a) for a in _leaves(x)], [_array(a) for a in _leaves(y)]
        sizes = {len(a) for a in self.xs + self.ys}
        if len(sizes) != 1:
            raise ValueError("fit: inputs and targets must have the same number of samples, "
                             f"got {[len(a) for a in self.xs]} inputs and "
                             f"{[len(a) for a in self.ys]} targets")
        if not (isinstance(batch_size, int) and batch_size > 0):
            raise ValueError(f"fit: batch_size must be a positive int, got {batch_size!r}")
        self.n, self.batch_size, self.shuffle = sizes.pop(), batch_size, shuffle

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def __iter__(self):
        order = backend.to_numpy(randperm(self.n)._data) if self.shuffle else None
        for start in range(0, self.n, self.batch_size):
            idx = slice(start, start + self.batch_size) if order is None else \
                order[start:start + self.batch_size]
            x = [Tensor._make(a[idx]) for a in self.xs]
            y = [Tensor._make(a[idx]) for a in self.ys]
            yield (x if self.x_list else x[0]), (y if self.y_list else y[0])


def split_last(data, fraction):
    """(train, validation) parts of an (x, y) tuple: the validation part is the last
    `fraction` of the samples, taken before any shuffling (Keras's rule)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fit: validation_split must be in (0, 1), got {fraction!r}")
    x, y = data
    n = len(_leaves(x)[0])
    cut = n - int(round(n * fraction))
    if cut <= 0 or cut >= n:
        raise ValueError(f"fit: validation_split={fraction} leaves an empty part of {n} samples")

    def part(p, s):
        return [a[s] for a in p] if isinstance(p, (list, tuple)) else p[s]
    return (part(x, slice(0, cut)), part(y, slice(0, cut))), \
        (part(x, slice(cut, n)), part(y, slice(cut, n)))


def as_loaders(train, val, batch_size, shuffle, validation_split):
    """fit()'s data as iterables of batches: arrays become ArrayLoaders, anything else
    (DataLoader, list of batches) is passed on."""
    if validation_split:
        if not is_arrays(train):
            raise ValueError("fit: validation_split needs train=(X, y) arrays; with a "
                             "DataLoader pass val= instead")
        if val is not None:
            raise ValueError("fit: give either val (validation_data) or validation_split")
        train, val = split_last(train, validation_split)
    if is_arrays(train):
        train = ArrayLoader(*train, batch_size=batch_size, shuffle=shuffle)
    if is_arrays(val):
        val = ArrayLoader(*val, batch_size=batch_size)
    return train, val
