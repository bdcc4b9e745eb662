"""Datasets (TensorDataset, Subset, ConcatDataset, random_split) and samplers."""
import numpy as np
import pytest

import brique
from brique.utils.data import (BatchSampler, ConcatDataset, DataLoader, Generator,
                               RandomSampler, SequentialSampler, Subset, SubsetRandomSampler,
                               TensorDataset, WeightedRandomSampler, random_split)


def test_tensordataset_items_and_checks():
    ds = TensorDataset(brique.arange(6).reshape(3, 2), brique.tensor([7, 8, 9]))
    x, y = ds[1]
    assert x.tolist() == [2, 3] and y.item() == 8 and len(ds) == 3
    with pytest.raises(ValueError, match="same size in dim 0"):
        TensorDataset(brique.zeros(3), brique.zeros(4))


def test_subset_concat_and_fast_path():
    ds = TensorDataset(brique.arange(10))
    sub = Subset(ds, [9, 2, 5])
    assert [sub[i][0].item() for i in range(3)] == [9, 2, 5]
    (batch,) = next(iter(DataLoader(sub, batch_size=3)))
    assert batch.tolist() == [9, 2, 5]
    cat = ConcatDataset([ds, sub])
    assert len(cat) == 13 and cat[10][0].item() == 9 and cat[-1][0].item() == 5
    assert len(ds + sub) == 13


def test_random_split_lengths_fractions_and_seed():
    ds = TensorDataset(brique.arange(10))
    a, b = random_split(ds, [7, 3], generator=Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10))
    a2, _ = random_split(ds, [7, 3], generator=0)
    assert a2.indices == a.indices
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=1)
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(TensorDataset(brique.arange(11)), [0.34, 0.33, 0.33], generator=1)
    assert [len(p) for p in parts] == [4, 4, 3]  # remainder handed out from the first
    with pytest.raises(ValueError, match="summing"):
        random_split(ds, [3, 3])


def test_random_sampler_permutation_and_replacement():
    data = range(10)
    s = RandomSampler(data, generator=0)
    first, second = list(s), list(s)
    assert sorted(first) == list(range(10)) and first != second
    assert list(RandomSampler(data, generator=0)) == first
    more = list(RandomSampler(data, num_samples=25, generator=0))
    assert len(more) == 25 and sorted(more[:10]) == list(range(10))
    rep = list(RandomSampler(data, replacement=True, num_samples=100, generator=0))
    assert len(rep) == 100 and set(rep) <= set(range(10)) and len(set(rep)) < 10 + 1
    assert list(SequentialSampler(data)) == list(range(10))
    assert sorted(SubsetRandomSampler([3, 5, 7], generator=0)) == [3, 5, 7]


def test_weighted_random_sampler():
    s = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000, generator=0)
    counts = np.bincount(list(s), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / counts[1] - 3) < 0.4 and len(s) == 4000
    no_rep = list(WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False, generator=0))
    assert sorted(no_rep) == [0, 1, 2]
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler([1, 0], 2, replacement=False)
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([-1, 2], 2)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(7), 0, False)


def test_generator_state_round_trip():
    g = Generator(5)
    state = g.get_state()
    a = g.rng.random(3)
    g.set_state(state)
    np.testing.assert_array_equal(g.rng.random(3), a)
    assert g.initial_seed() == 5
    with pytest.raises(TypeError, match="generator"):
        RandomSampler(range(3), generator="seed")
