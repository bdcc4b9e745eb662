"""`cifar100.load_data(label_mode='fine')` -> (x_train, y_train), (x_test, y_test): uint8
images (50000|10000, 32, 32, 3) channels-last, labels (N, 1) (100 fine or 20 coarse
classes), from Keras's origin, cached in ~/.keras/datasets."""
from __future__ import annotations

import os

import numpy as np

from ..utils.files import get_file
from ._common import load_cifar_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"


def load_data(label_mode="fine"):
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"cifar100.load_data: label_mode must be 'fine' or 'coarse', got "
                         f"{label_mode!r}")
    path = get_file("cifar-100-python", origin=ORIGIN, untar=True, file_hash=SHA256)
    out = []
    for part in ("train", "test"):
        x, y = load_cifar_batch(os.path.join(path, part), label_key=f"{label_mode}_labels")
        out.append((x.transpose(0, 2, 3, 1).copy(), np.asarray(y, dtype=np.int64).reshape(-1, 1)))
    return tuple(out)
