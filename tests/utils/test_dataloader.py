"""DataLoader: order under a seed, coverage, drop_last, collate, errors, worker threads."""
import collections
import threading
import time

import numpy as np
import pytest

import brique
from brique.utils.data import (DataLoader, Dataset, Generator, IterableDataset, TensorDataset,
                               default_collate)


class Range(Dataset):
    def __init__(self, n, fail_at=None, delay=0.0):
        self.n, self.fail_at, self.delay = n, fail_at, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay)
        if i == self.fail_at:
            raise KeyError(f"sample {i} is broken")
        return np.full(3, i, dtype=np.float32), i


def _workers():
    return [t for t in threading.enumerate() if t.name.startswith("brique-DataLoader")]


def _wait_no_workers(timeout=5.0):
    end = time.monotonic() + timeout
    while _workers() and time.monotonic() < end:
        time.sleep(0.01)
    return _workers()


def _labels(loader):
    return [b[1].tolist() for b in loader]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_shuffle_reproducible_and_covers_every_sample(num_workers):
    ds = Range(23)
    a = DataLoader(ds, batch_size=5, shuffle=True, generator=Generator().manual_seed(7),
                   num_workers=num_workers)
    b = DataLoader(ds, batch_size=5, shuffle=True, generator=7, num_workers=num_workers)
    epochs_a = [_labels(a) for _ in range(3)]
    assert epochs_a == [_labels(b) for _ in range(3)]
    for epoch in epochs_a:
        flat = [i for batch in epoch for i in batch]
        assert sorted(flat) == list(range(23))
    assert epochs_a[0] != epochs_a[1]  # a new order each epoch
    assert sum(epochs_a[0], []) != list(range(23))


def test_global_seed_makes_shuffle_reproducible():
    ds = Range(50)
    brique.manual_seed(3)
    first = _labels(DataLoader(ds, batch_size=10, shuffle=True))
    brique.manual_seed(3)
    assert _labels(DataLoader(ds, batch_size=10, shuffle=True)) == first


@pytest.mark.parametrize("drop_last,expected", [(False, [4, 4, 2]), (True, [4, 4])])
def test_drop_last_and_len(drop_last, expected):
    loader = DataLoader(Range(10), batch_size=4, drop_last=drop_last)
    assert [len(b[1]) for b in loader] == expected
    assert len(loader) == len(expected)


def test_sequential_batches_and_types():
    x, y = next(iter(DataLoader(Range(10), batch_size=4)))
    assert isinstance(x, brique.Tensor) and x.shape == (4, 3) and x.dtype == np.float32
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2, 3]


def test_collate_tuples_dicts_numbers():
    Point = collections.namedtuple("Point", "a b")
    batch = [{"x": np.ones((2, 2)) * i, "y": i, "z": float(i), "name": f"s{i}",
              "pair": (i, brique.tensor([i, i])), "pt": Point(i, True)} for i in range(3)]
    out = default_collate(batch)
    assert out["x"].shape == (3, 2, 2) and out["x"].dtype == np.float64
    assert out["y"].dtype == np.int64 and out["y"].tolist() == [0, 1, 2]
    assert out["z"].dtype == np.float64
    assert out["name"] == ["s0", "s1", "s2"]
    assert isinstance(out["pair"], list) and out["pair"][1].tolist() == [[0, 0], [1, 1], [2, 2]]
    assert isinstance(out["pt"], Point) and out["pt"].b.dtype == np.bool_
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (1,)])


def test_collate_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate
    batch = [(np.arange(4, dtype=np.float32) + i, i, {"w": 0.5 * i}) for i in range(3)]
    ours, theirs = default_collate(batch), torch_collate(batch)
    assert type(ours) is type(theirs)
    for o, t in [(ours[0], theirs[0]), (ours[1], theirs[1]), (ours[2]["w"], theirs[2]["w"])]:
        assert o.shape == tuple(t.shape) and str(o.dtype) == str(t.dtype).replace("torch.", "")
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("num_workers", [0, 3])
def test_tensordataset_fast_path_matches_generic_path(num_workers):
    X = brique.randn(37, 2, 3)
    y = brique.arange(37)
    ds = TensorDataset(X, y)
    fast = DataLoader(ds, batch_size=8, shuffle=True, generator=1, num_workers=num_workers)
    slow = DataLoader(ds, batch_size=8, shuffle=True, generator=1, collate_fn=default_collate)
    assert ds._batch_fetcher() is not None
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        assert type(xf) is type(xs) and xf.dtype == xs.dtype
        np.testing.assert_array_equal(xf.numpy(), xs.numpy())
        np.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_fast_path_indexes_whole_batches():
    calls = []

    class Counting(TensorDataset):
        def __getitem__(self, i):
            calls.append(i)
            return super().__getitem__(i)
    loader = DataLoader(Counting(brique.zeros(20, 2), brique.zeros(20)), batch_size=5)
    assert sum(1 for _ in loader) == 4 and calls == []


@pytest.mark.parametrize("num_workers", [0, 2])
def test_error_in_dataset_reaches_caller(num_workers):
    loader = DataLoader(Range(20, fail_at=13), batch_size=4, num_workers=num_workers)
    seen = []
    with pytest.raises(KeyError, match="sample 13 is broken") as info:
        for _, y in loader:
            seen.extend(y.tolist())
    assert seen == list(range(12))
    frames = [f.name for f in info.traceback]
    assert "__getitem__" in frames  # the original traceback, down to the dataset
    assert _wait_no_workers() == []


def test_error_comes_in_order_after_earlier_batches():
    class SlowThenFail(Range):
        def __getitem__(self, i):
            if i < 8:
                time.sleep(0.05)  # batches 0 and 1 are slow, batch 2 fails at once
            return super().__getitem__(i)
    seen = []
    with pytest.raises(KeyError):
        for _, y in DataLoader(SlowThenFail(12, fail_at=9), batch_size=4, num_workers=3):
            seen.append(y.tolist())
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert _wait_no_workers() == []


def test_break_early_leaves_no_thread_and_no_deadlock():
    loader = DataLoader(Range(400, delay=0.001), batch_size=2, num_workers=4, prefetch_factor=2)
    done = threading.Event()

    def run():
        for i, _ in enumerate(loader):
            if i == 3:
                break
        done.set()
    t = threading.Thread(target=run)
    t.start()
    assert done.wait(timeout=10), "breaking out of the loop deadlocked"
    t.join(timeout=5)
    assert _wait_no_workers() == []


def test_close_and_exhaustion_stop_workers():
    it = iter(DataLoader(Range(40), batch_size=4, num_workers=2))
    next(it)
    assert len(_workers()) == 2
    it.close()
    assert _wait_no_workers() == []
    assert len(list(DataLoader(Range(40), batch_size=4, num_workers=2))) == 10
    assert _wait_no_workers() == []


def test_prefetch_is_bounded_and_ahead():
    fetched = []

    class Log(Range):
        def __getitem__(self, i):
            fetched.append(i)
            return super().__getitem__(i)
    it = iter(DataLoader(Log(100), batch_size=1, num_workers=2, prefetch_factor=3))
    next(it)
    time.sleep(0.2)
    assert 2 <= len(fetched) <= 1 + 6  # the next batches are loaded, but at most 6 in flight
    it.close()


def test_worker_init_fn_and_batch_size_none():
    ids = []
    loader = DataLoader(Range(5), batch_size=None, num_workers=2, worker_init_fn=ids.append)
    samples = list(loader)
    assert sorted(ids) == [0, 1]
    assert [s[1] for s in samples] == [0, 1, 2, 3, 4]
    assert isinstance(samples[0][0], np.ndarray)


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(10))

        def __len__(self):
            return 10
    batches = [b.tolist() for b in DataLoader(Stream(), batch_size=4)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    # As in PyTorch, every worker iterates its own copy: an unsharded stream comes twice
    # (tests/utils/test_worker_info.py shards by get_worker_info()).
    batches = [b.tolist() for b in DataLoader(Stream(), batch_size=4, num_workers=2)]
    assert batches == [[0, 1, 2, 3], [0, 1, 2, 3], [4, 5, 6, 7], [4, 5, 6, 7], [8, 9], [8, 9]]
    assert len(DataLoader(Stream(), batch_size=4, drop_last=True)) == 2


def test_bad_arguments():
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(Range(4), sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler"):
        DataLoader(Range(4), batch_sampler=[[0, 1]], batch_size=2)
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(Range(4), prefetch_factor=2)
    assert [b[1].tolist() for b in DataLoader(Range(4), batch_sampler=[[3, 0], [1]])] == [
        [3, 0], [1]]
