"""Tests check numbers, not speed: one BLAS thread keeps them fast and steady on a machine
whose cores are shared (two OpenBLAS threads competing with another process make small
matrix products tens of times slower).

Keras 3 is the reference for brique.keras; it runs on PyTorch's backend (the test extra has
no TensorFlow), chosen here before any test imports it."""
import os

os.environ["KERAS_BACKEND"] = "torch"

import brique  # noqa: E402

brique.set_num_threads(1)
