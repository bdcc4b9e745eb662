"""`to_categorical` and Keras 1's `np_utils` spelling of it."""
from __future__ import annotations

import types

import numpy as np


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot rows from class indices: (N,) or (N, 1) integers -> (N, num_classes)."""
    y = np.asarray(y, dtype="int64")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: class indices must be >= 0, got {y.min()}")
    num_classes = int(y.max()) + 1 if num_classes is None else num_classes
    if y.size and y.max() >= num_classes:
        raise ValueError(f"to_categorical: class index {y.max()} >= num_classes={num_classes}")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


np_utils = types.SimpleNamespace(to_categorical=to_categorical)
