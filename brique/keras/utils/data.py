"""Data utilities of keras.utils: Sequence / PyDataset (batches by index, for model.fit),
pad_sequences, timeseries_dataset_from_array and split_dataset, on NumPy arrays."""
from __future__ import annotations

import math

import numpy as np


class PyDataset:
    """Batches by index: subclass it with `__len__` (the number of batches) and
    `__getitem__(index)` returning `x`, `(x, y)` or `(x, y, sample_weight)`; model.fit calls
    `on_epoch_end()` after each epoch (e.g. to reshuffle). Keras 2's `Sequence` is the same
    class. `workers`, `use_multiprocessing` and `max_queue_size` are accepted; batches are
    read in the training process, in order."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers, self.use_multiprocessing = workers, use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) "
                                  "returning a batch")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__() returning "
                                  "the number of batches")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


Sequence = PyDataset


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """A (num_samples, maxlen[, ...]) array of the sequences, padded with `value` and cut to
    `maxlen` ('pre' or 'post' for each), as Keras does; maxlen defaults to the longest."""
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: sequences must be a list of sequences, got "
                         f"{type(sequences).__name__}")
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding must be 'pre' or 'post', got {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: truncating must be 'pre' or 'post', got "
                         f"{truncating!r}")
    lengths, sample_shape = [], None
    for s in sequences:
        if not hasattr(s, "__len__"):
            raise ValueError(f"pad_sequences: sequences must be a list of iterables; found "
                             f"the non-iterable {s!r}")
        if len(s) and sample_shape is None:  # items may be vectors: the first says their shape
            sample_shape = np.asarray(s).shape[1:]
        lengths.append(len(s))
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be a non-negative int, got {maxlen!r}")
    is_text = np.issubdtype(np.dtype(dtype), np.str_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(f"pad_sequences: dtype {dtype!r} cannot hold the padding value "
                         f"{value!r}; use dtype=object or a string dtype")
    out = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s) or not maxlen:
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(f"pad_sequences: sequence {i} has items of shape "
                             f"{kept.shape[1:]}, the others {tuple(sample_shape)}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out


class TimeseriesDataset:
    """Batches of windows over a series, made by timeseries_dataset_from_array: an iterable
    of `x` or `(x, y)` batches with a length, usable in model.fit."""

    def __init__(self, data, targets, starts, offsets, batch_size):
        self.data, self.targets, self.starts = data, targets, starts
        self.offsets, self.batch_size = offsets, batch_size

    def __len__(self):
        return len(self.starts) if self.batch_size is None else \
            math.ceil(len(self.starts) / self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"TimeseriesDataset: batch {index} of {len(self)}")
        index %= len(self)
        size = self.batch_size or 1
        starts = self.starts[index * size:(index + 1) * size]
        x = self.data[starts[:, None] + self.offsets]
        y = None if self.targets is None else self.targets[starts]
        if self.batch_size is None:
            x, y = x[0], None if y is None else y[0]
        return x if y is None else (x, y)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Windows data[i : i + sequence_length * sampling_rate : sampling_rate] for i every
    `sequence_stride` steps, each with targets[i] (Keras's alignment), in batches of
    `batch_size` (None: single windows).

    Shape: data (T, ...) -> batches x (batch, sequence_length, ...), y (batch, ...)."""
    data = np.asarray(data)
    start_index = 0 if start_index is None else start_index
    end_index = len(data) if end_index is None else end_index
    for name, v, low in (("sequence_length", sequence_length, 1),
                         ("sampling_rate", sampling_rate, 1),
                         ("sequence_stride", sequence_stride, 1)):
        if not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"timeseries_dataset_from_array: {name} must be an int >= {low}, "
                             f"got {v!r}")
    if not 0 <= start_index < end_index <= len(data):
        raise ValueError(f"timeseries_dataset_from_array: need 0 <= start_index < end_index <= "
                         f"len(data) = {len(data)}, got start_index={start_index}, "
                         f"end_index={end_index}")
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = np.asarray(targets)[start_index:]
        num_seqs = min(num_seqs, len(targets))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(starts)
    return TimeseriesDataset(data[start_index:end_index], targets, starts,
                             np.arange(sequence_length) * sampling_rate, batch_size)


def _size(size, total, name):
    if size is None:
        return None
    if isinstance(size, float):
        if not 0.0 < size < 1.0:
            raise ValueError(f"split_dataset: a float {name} must be in (0, 1), got {size}")
        return int(size * total)
    if isinstance(size, (int, np.integer)) and 0 < size <= total:
        return int(size)
    raise ValueError(f"split_dataset: {name} must be a float in (0, 1) or an int in "
                     f"[1, {total}], got {size!r}")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """(left, right) parts of an array, a tuple/list of arrays or a dict of arrays with the
    same first dimension (each part of the same structure); sizes as fractions or counts,
    one defaulting to the rest (both None: half each)."""
    leaves = list(dataset.values()) if isinstance(dataset, dict) else \
        list(dataset) if isinstance(dataset, (tuple, list)) else [dataset]
    leaves = [np.asarray(a) for a in leaves]
    n = len(leaves[0]) if leaves else 0
    if not leaves or any(len(a) != n for a in leaves):
        raise ValueError(f"split_dataset: expected arrays of one length, got lengths "
                         f"{[len(a) for a in leaves]}")
    left, right = _size(left_size, n, "left_size"), _size(right_size, n, "right_size")
    if left is None and right is None:
        left = n // 2
    left = n - right if left is None else left
    right = n - left if right is None else right
    if left + right > n:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} exceeds the "
                         f"{n} samples")
    order = np.arange(n)
    if shuffle:
        np.random.default_rng(seed).shuffle(order)
    parts = []
    for idx in (order[:left], order[left:left + right]):
        cut = [a[idx] for a in leaves]
        parts.append(dict(zip(dataset, cut)) if isinstance(dataset, dict) else
                     type(dataset)(cut) if isinstance(dataset, (tuple, list)) else cut[0])
    return tuple(parts)
