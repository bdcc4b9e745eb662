"""Datasets with PyTorch's names: Dataset, IterableDataset, TensorDataset, Subset,
ConcatDataset, random_split.

A map-style dataset may also offer `_batch_fetcher()`: a function from an index array to a
whole, already collated batch. The DataLoader uses it (with the default collate) to index a
batch at once instead of calling `__getitem__` once per sample.
"""
from __future__ import annotations

import bisect
import math

import numpy as np

from ...tensor import Tensor
from .sampler import as_generator, epoch_rng


class Dataset:
    """Map-style dataset: subclasses define `__getitem__(index)` and `__len__()`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])

    def _batch_fetcher(self):
        """A function(index array) -> collated batch, or None when there is no fast path."""
        return None


class IterableDataset(Dataset):
    """A stream of samples: subclasses define `__iter__()`."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        raise TypeError("IterableDataset does not support +; chain the iterators instead")


class TensorDataset(Dataset):
    """Samples are slices along dim 0 of tensors that share that first dimension:
    `TensorDataset(X, y)[i] == (X[i], y[i])`.

    Shape:
        each tensor (N, *); a sample is a tuple of (*) tensors.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(t if isinstance(t, Tensor) else Tensor(t, dtype=None) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: all tensors must have the same size in dim 0, got "
                             f"shapes {[tuple(t.shape) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _batch_fetcher(self):
        arrays = [t.detach()._data for t in self.tensors]

        def fetch(indices):
            # A list, as default_collate returns for tuple samples (PyTorch's convention).
            return [Tensor._make(a[indices]) for a in arrays]
        return fetch


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    def _batch_fetcher(self):
        inner = self.dataset._batch_fetcher() if isinstance(self.dataset, Dataset) else None
        if inner is None:
            return None
        indices = np.asarray(self.indices, dtype=np.int64)
        return lambda idx: inner(indices[idx])


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise IndexError(f"ConcatDataset: index {idx} out of range for length {len(self)}")
            idx += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


def random_split(dataset, lengths, generator=None):
    """Split a dataset into non-overlapping random Subsets of the given lengths.

    `lengths` are ints summing to len(dataset), or fractions summing to 1 (the remainder of
    flooring is handed out one by one from the first subset, as PyTorch does). `generator`:
    a Generator, an int seed, or None for brique's global random state.
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(f < 0 or f > 1 for f in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {lengths}")
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n or any(not isinstance(k, (int, np.integer)) or k < 0 for k in lengths):
        raise ValueError(f"random_split: lengths {lengths} must be non-negative ints summing to "
                         f"the dataset's length {n} (or fractions summing to 1)")
    perm = epoch_rng(as_generator(generator)).permutation(n).tolist()
    subsets, offset = [], 0
    for k in lengths:
        subsets.append(Subset(dataset, perm[offset:offset + k]))
        offset += k
    return subsets


class ChainDataset(IterableDataset):
    """Several iterable datasets, one stream after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Samples of several same-length datasets side by side: positional (a tuple) or by
    keyword (a dict): `StackDataset(image=images, label=labels)[i]`."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: give datasets either positionally or by keyword, "
                             "not both")
        self.datasets = args or kwargs
        lengths = {len(d) for d in (args or kwargs.values())}
        if len(lengths) != 1:
            raise ValueError(f"StackDataset: datasets must all have the same length, got "
                             f"{sorted(lengths)}")
        self._length = lengths.pop()

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length
