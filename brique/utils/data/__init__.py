"""`brique.utils.data`: datasets, samplers and the DataLoader, with PyTorch's names.

    from brique.utils.data import DataLoader, TensorDataset, random_split, Generator
"""
from . import transforms  # noqa: F401
from .dataloader import DataLoader, default_collate
from ._worker_info import WorkerInfo, get_worker_info  # noqa: F401
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                      Subset, TensorDataset, random_split)
from .distributed import DistributedSampler
from .sampler import (BatchSampler, Generator, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "Generator",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate",
           "random_split", "transforms", "ChainDataset", "StackDataset", "DistributedSampler",
           "get_worker_info", "WorkerInfo"]
