"""`cifar10.load_data()` -> (x_train, y_train), (x_test, y_test): uint8 images
(50000|10000, 32, 32, 3) channels-last and uint8 labels (N, 1), as Keras returns them, from
Keras's origin (the python version of CIFAR-10), cached in ~/.keras/datasets."""
from __future__ import annotations

import os

import numpy as np

from ..utils.files import get_file
from ._common import load_cifar_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"


def load_data():
    path = get_file("cifar-10-batches-py", origin=ORIGIN, untar=True, file_hash=SHA256)
    parts = [load_cifar_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([np.asarray(p[1], dtype=np.uint8) for p in parts])
    x_test, y_test = load_cifar_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(-1, 1)
    y_test = np.asarray(y_test, dtype=np.uint8).reshape(-1, 1)
    return ((x_train.transpose(0, 2, 3, 1).copy(), y_train),
            (x_test.transpose(0, 2, 3, 1).copy(), y_test))
