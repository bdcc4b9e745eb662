"""`fashion_mnist.load_data()` -> (x_train, y_train), (x_test, y_test): uint8 images
(60000|10000, 28, 28) and uint8 labels (N,), as Keras returns them.

Read by brique.datasets.FashionMNIST (its checksums and cache, $BRIQUE_DATA or
~/.cache/brique), downloading from Keras's origin first, then Zalando's."""
from __future__ import annotations

import numpy as np

from ...datasets import FashionMNIST
from ._common import KERAS_DATASETS


class _KerasFashionMNIST(FashionMNIST):
    mirrors = [KERAS_DATASETS] + FashionMNIST.mirrors


def load_data(path=None):
    """`path` is brique's cache folder (default: $BRIQUE_DATA or ~/.cache/brique)."""
    parts = [_KerasFashionMNIST(root=path, train=t, download=True, progress=False)
             for t in (True, False)]
    return tuple((p.images.copy(), p.labels.astype(np.uint8)) for p in parts)
