"""Keras 3 (on PyTorch's backend, tests/conftest.py) as the reference for brique.keras: the
same layer built in both, Keras's weights copied into brique's, outputs compared."""
import numpy as np

import keras  # noqa: F401  (the reference; KERAS_BACKEND is set by tests/conftest.py)

from brique.keras.engine import to_tensor


def to_numpy(x):
    """A Keras (torch-backed) or brique output as a NumPy array."""
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def same_layer(ref_layer, our_layer, x):
    """Build both layers on x, give ours the reference's weights, and return both outputs."""
    ref_out = to_numpy(ref_layer(x))
    our_layer(to_tensor(x[:1]))  # builds it
    our_layer.set_weights([to_numpy(w) for w in ref_layer.get_weights()])
    return ref_out, to_numpy(our_layer(to_tensor(x)))
