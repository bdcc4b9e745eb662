"""`boston_housing.load_data(path, test_split=0.2, seed=113)` -> (x_train, y_train),
(x_test, y_test): 13 features per house and its price, shuffled with `seed` as Keras does."""
from __future__ import annotations

import numpy as np

from ..utils.files import get_file
from ._common import KERAS_DATASETS

SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1), got "
                         f"{test_split}")
    path = get_file(path, origin=KERAS_DATASETS + "boston_housing.npz", file_hash=SHA256)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
