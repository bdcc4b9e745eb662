"""brique.utils.data.get_worker_info: None in the main thread, the worker's id, num_workers,
seed and dataset inside DataLoader workers, so IterableDataset sharding code written for
PyTorch gives PyTorch's batches."""
import math
import threading

import pytest

import brique
from brique.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

torch = pytest.importorskip("torch")


def sharded(lib):
    """PyTorch's documented pattern: each worker reads its own slice of [start, end)."""
    base = lib.utils.data.IterableDataset

    class Range(base):
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = lib.utils.data.get_worker_info()
            if info is None:
                lo, hi = self.start, self.end
            else:
                per = int(math.ceil((self.end - self.start) / info.num_workers))
                lo = self.start + info.id * per
                hi = min(lo + per, self.end)
            return iter(range(lo, hi))
    return Range


def batches(lib, dataset, **kw):
    # batch_size=None: brique hands the samples over as they are (torch converts them)
    return [b.tolist() if hasattr(b, "tolist") else b
            for b in lib.utils.data.DataLoader(dataset, **kw)]


def test_main_thread_has_no_worker_info():
    assert get_worker_info() is None


@pytest.mark.parametrize("kw", [dict(batch_size=2, num_workers=2),
                                dict(batch_size=3, num_workers=2, drop_last=True),
                                dict(batch_size=2, num_workers=0),
                                dict(batch_size=None, num_workers=2)])
def test_sharded_iterable_dataset_gives_torch_batches(kw):
    ours = batches(brique, sharded(brique)(3, 12), **kw)
    theirs = batches(torch, sharded(torch)(3, 12), **kw)
    assert ours == theirs


def test_unsharded_stream_repeats_per_worker_as_in_torch():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(5))
    assert batches(brique, Stream(), batch_size=2, num_workers=2) == [
        [0, 1], [0, 1], [2, 3], [2, 3], [4], [4]]


def test_worker_info_fields_and_worker_init_fn_sharding():
    seen = []
    lock = threading.Lock()

    class Split(IterableDataset):
        def __init__(self):
            self.items = list(range(8))

        def __iter__(self):
            return iter(self.items)

    def init(worker_id):
        info = get_worker_info()
        with lock:
            seen.append((worker_id, info.id, info.num_workers, info.seed))
        ds = info.dataset  # this worker's own copy
        ds.items = ds.items[info.id::info.num_workers]

    dataset = Split()
    loader = DataLoader(dataset, batch_size=2, num_workers=2, worker_init_fn=init, generator=5)
    assert [b.tolist() for b in loader] == [[0, 2], [1, 3], [4, 6], [5, 7]]
    assert dataset.items == list(range(8))  # the loader's dataset is untouched
    seen.sort()
    assert [s[:3] for s in seen] == [(0, 0, 2), (1, 1, 2)]
    assert seen[1][3] == seen[0][3] + 1
    # reproducible under a seed, and drawing it leaves the sample order alone
    seeds = []
    loader = DataLoader(Split(), batch_size=4, num_workers=2, generator=5,
                        worker_init_fn=lambda i: seeds.append(get_worker_info().seed))
    list(loader)
    assert sorted(seeds) == [s[3] for s in seen]
    with pytest.raises(RuntimeError, match="read-only"):
        brique.utils.data.WorkerInfo(0, 1, 0, None).id = 3


def test_map_style_workers_see_their_info():
    class Who(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = get_worker_info()
            return -1 if info is None else info.num_workers

    assert batches(brique, Who(), batch_size=3) == [[-1, -1, -1], [-1, -1, -1]]
    assert batches(brique, Who(), batch_size=3, num_workers=2) == [[2, 2, 2], [2, 2, 2]]


def test_errors_and_early_stop():
    class Bad(IterableDataset):
        def __iter__(self):
            if get_worker_info().id == 1:
                raise ValueError("shard 1 is broken")
            return iter(range(4))

    with pytest.raises(ValueError, match="shard 1 is broken"):
        list(DataLoader(Bad(), batch_size=2, num_workers=2))

    class Endless(IterableDataset):
        def __iter__(self):
            i = 0
            while True:
                yield i
                i += 1

    it = iter(DataLoader(Endless(), batch_size=2, num_workers=2))
    assert next(it).tolist() == [0, 1] and next(it).tolist() == [0, 1]
    it.close()
