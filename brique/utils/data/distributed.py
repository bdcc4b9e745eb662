"""DistributedSampler: each rank reads its own share of the dataset (PyTorch's partition)."""
from __future__ import annotations

import math

import numpy as np

from .sampler import Sampler


def torch_randperm(n, seed):
    """The permutation `torch.randperm(n, generator=torch.Generator().manual_seed(seed))` gives:
    a Fisher-Yates shuffle driven by MT19937 (NumPy's legacy seeding is the same engine), so
    ranks of a brique job and of a PyTorch job visit the same indices for the same arguments."""
    perm = np.arange(n)
    if n > 1:
        raw = np.random.RandomState(seed % 2**32)._bit_generator.random_raw(n - 1)
        for i, r in enumerate(raw.tolist()):
            j = i + r % (n - i)
            perm[i], perm[j] = perm[j], perm[i]
    return perm


class DistributedSampler(Sampler):
    """Indices of rank `rank` among `num_replicas`: the (shuffled) index list, padded by
    repeating its start to a multiple of `num_replicas` (or cut, with `drop_last`), then every
    `num_replicas`-th index from `rank`. Call `set_epoch(epoch)` each epoch for a new order."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        indices = (torch_randperm(n, self.seed + self.epoch) if self.shuffle
                   else np.arange(n)).tolist()
        if self.drop_last:
            indices = indices[:self.total_size]
        elif indices:
            pad = self.total_size - len(indices)
            indices += (indices * math.ceil(pad / len(indices)))[:pad]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Shuffle differently (and identically on every rank) in epoch `epoch`."""
        self.epoch = int(epoch)
