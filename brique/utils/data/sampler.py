"""Samplers: which dataset indices an epoch visits, and in what order (PyTorch's names).

Randomness comes from a `Generator` (or an int seed). With no generator, a sampler draws a
fresh seed from brique's global random state at the start of each epoch, so
`brique.manual_seed(0)` makes shuffling reproducible, as `torch.manual_seed` does.
"""
from __future__ import annotations

import numpy as np

from ... import backend


class Generator:
    """A seedable random generator for data code (`torch.Generator`'s role).

    `brique.Generator` is this class; it wraps `numpy.random.default_rng`::

        g = Generator().manual_seed(0)      # or Generator(0), or just pass the int 0
        DataLoader(ds, shuffle=True, generator=g)

    Every `generator=` argument in `brique.utils.data` also accepts an int seed (a fresh
    Generator seeded with it) or a `numpy.random.Generator`.
    """

    def __init__(self, seed=None):
        self._seed = None
        self.rng = np.random.default_rng()
        if seed is not None:
            self.manual_seed(seed)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from fresh entropy; returns the seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state
        return self

    def __repr__(self):
        return f"Generator(seed={self._seed})"


def as_generator(generator):
    """None, an int seed, a Generator or a numpy Generator -> Generator (None stays None)."""
    from ...random import _DefaultGenerator  # brique.default_generator: the global state
    if generator is None or isinstance(generator, (Generator, _DefaultGenerator)):
        return generator
    if isinstance(generator, np.random.Generator):
        g = Generator()
        g.rng = generator
        return g
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return Generator(int(generator))
    raise TypeError(f"generator: expected None, an int seed, brique.utils.data.Generator or "
                    f"numpy.random.Generator, got {type(generator).__name__}")


def epoch_rng(generator):
    """The numpy Generator one epoch draws from: the generator's own (its state moves on, so
    each epoch differs), or with none a new one seeded from brique's global random state."""
    if generator is not None:
        return generator.rng
    return np.random.default_rng(int(backend.rng().integers(2**63)))


class Sampler:
    """Base class: an iterable of dataset indices, with a length where known."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch (every sample exactly once), or with
    `replacement=True`, `num_samples` independent uniform draws."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = as_generator(generator)
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples must be a positive integer, got "
                             f"{self.num_samples!r}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), epoch_rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        # More samples than the dataset holds: whole permutations, then part of one.
        perms = [rng.permutation(n) for _ in range(self.num_samples // n)]
        perms.append(rng.permutation(n)[: self.num_samples % n])
        return iter(np.concatenate(perms).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = as_generator(generator)

    def __iter__(self):
        order = epoch_rng(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probability proportional to `weights`
    (e.g. 1 / class frequency, to balance classes)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples must be a positive integer, "
                             f"got {num_samples!r}")
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.size == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and "
                             "not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {np.count_nonzero(w)} non-zero weights")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = as_generator(generator)

    def __iter__(self):
        rng = epoch_rng(self.generator)
        idx = rng.choice(self.weights.size, size=self.num_samples, replace=self.replacement,
                         p=self.weights / self.weights.sum())
        return iter(idx.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of `batch_size`; the last, shorter batch
    is dropped when `drop_last`."""

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive integer, got "
                             f"{batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last must be a bool, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
