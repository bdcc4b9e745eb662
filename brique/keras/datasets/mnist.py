"""`mnist.load_data()` -> (x_train, y_train), (x_test, y_test): uint8 images (N, 28, 28) and
uint8 labels (N,), as Keras returns them.

Full MNIST (60,000 / 10,000) when its files are in brique's cache or can be downloaded there
(brique.datasets.MNIST); otherwise the 5,000 digits embedded in brique (mnist-5k: 4,000 / 1,000),
with a warning saying so.
"""
from __future__ import annotations

import warnings

import numpy as np

from ...datasets import MNIST, DatasetUnavailableError, MNIST5k


def load_data(path=None):
    """`path` is brique's cache folder (default: $BRIQUE_DATA or ~/.cache/brique)."""
    try:
        parts = [MNIST(root=path, train=t, download=True, progress=False) for t in (True, False)]
    except (DatasetUnavailableError, OSError) as exc:
        reason = str(exc).splitlines()[0].rstrip(":")
        warnings.warn("brique.keras.datasets.mnist: full MNIST is neither cached nor "
                      f"downloadable ({reason}); using the embedded 5,000-image subset "
                      "(4,000 train / 1,000 test) instead", stacklevel=2)
        parts = [MNIST5k(train=t) for t in (True, False)]
    return tuple((p.images.copy(), p.labels.astype(np.uint8)) for p in parts)
