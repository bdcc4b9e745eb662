"""`from brique.keras import backend as K`: Keras's backend functions on brique Tensors, for
custom losses, metrics and Lambda layers (K.mean, K.square, K.epsilon(), ...), and
K.function / K.clear_session."""
from __future__ import annotations

import numpy as np

from .. import backend as _backend
from ..ops.elementwise import maximum as _maximum, minimum as _minimum
from ..ops.movement import cat
from ..nn import functional as F
from ..tensor import Tensor
from .engine import reset_names, to_tensor

_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def epsilon():
    """The fuzz factor of losses and metrics: 1e-7, as in Keras."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def floatx():
    """The default float type's name: brique's default dtype ('float32' unless set)."""
    return str(_backend.get_default_dtype())


def set_floatx(value):
    """'float32' or 'float64' (also 'float16'): new weights, K.variable/constant and arrays
    given to layers and models take this type (it sets brique's default dtype)."""
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx: expected 'float16', 'float32' or 'float64', got "
                         f"{value!r}")
    _backend.set_default_dtype(value)


def image_data_format():
    """Always 'channels_last' (Keras's default); a layer can take data_format= itself."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Only 'channels_last' is a global setting here (layers take data_format= one by one)."""
    if data_format != "channels_last":
        raise ValueError(f"set_image_data_format: brique.keras supports only 'channels_last' "
                         f"globally, got {data_format!r}; pass data_format='channels_first' to "
                         "the layers that need it")


def is_keras_tensor(x):
    """True for the symbolic tensors of Input(...) and layers called on them."""
    from .engine import KerasTensor
    return isinstance(x, KerasTensor)


def backend():
    return "brique"


def clear_session():
    """Restart layer names from 1 (`dense_1`, ...); models are ordinary Python objects."""
    reset_names()


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def mean(x, axis=None, keepdims=False):
    return x.mean() if axis is None else x.mean(_axis(axis), keepdim=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 (Keras's name)
    return x.sum() if axis is None else x.sum(_axis(axis), keepdim=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return x.amax() if axis is None else x.amax(_axis(axis), keepdim=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return x.amin() if axis is None else x.amin(_axis(axis), keepdim=keepdims)


def square(x):
    return x * x


def sqrt(x):
    return x.clamp(0.0, None).sqrt()


def abs(x):  # noqa: A001
    return x.abs()


def exp(x):
    return x.exp()


def log(x):
    return x.log()


def clip(x, min_value, max_value):
    return x.clamp(min_value, max_value)


def maximum(x, y):
    return _maximum(x, y)


def minimum(x, y):
    return _minimum(x, y)


def dot(x, y):
    return x @ y


def sigmoid(x):
    return F.sigmoid(x)


def softmax(x, axis=-1):
    return F.softmax(x, dim=axis)


def relu(x):
    return F.relu(x)


def tanh(x):
    return F.tanh(x)


def concatenate(tensors, axis=-1):
    return cat(list(tensors), axis)


def reshape(x, shape):
    return x.reshape(tuple(shape))


def permute_dimensions(x, pattern):
    return x.permute(*pattern)


def expand_dims(x, axis=-1):
    return x.unsqueeze(axis)


def squeeze(x, axis):
    return x.squeeze(axis)


def argmax(x, axis=-1):
    return x.argmax(axis)


def equal(x, y):
    return x == y


def cast(x, dtype):
    return x.to(_backend.as_dtype(dtype))


def round(x):  # noqa: A001
    """Nearest integer, as a float tensor without gradient (as Keras's K.round)."""
    xp = _backend.get_array_module(x._data)
    return Tensor._make(xp.round(x.detach()._data))


def shape(x):
    return tuple(x.shape)


def int_shape(x):
    return tuple(x.shape)


def ndim(x):
    return len(x.shape)


def variable(value, dtype=None, name=None):
    return to_tensor(np.asarray(value, dtype=dtype or floatx()))


def constant(value, dtype=None, shape=None, name=None):
    a = np.asarray(value, dtype=dtype or floatx())
    return to_tensor(np.broadcast_to(a, shape).copy() if shape is not None else a)


def get_value(x):
    return _backend.to_numpy(x.detach()._data) if isinstance(x, Tensor) else np.asarray(x)


eval = get_value  # noqa: A001


def learning_phase():
    """A placeholder accepted (and ignored) among K.function's inputs: brique switches
    training/evaluation with model.train()/eval(), and K.function runs in evaluation."""
    return _LEARNING_PHASE


_LEARNING_PHASE = object()


def function(inputs, outputs):
    """A callable from a list of input arrays to a list of output arrays, through the graph
    between `inputs` and `outputs` (symbolic tensors), in evaluation mode:
    `K.function([model.input], [model.get_layer('attention_probs').output])`."""
    from .models import Model
    keep = [i for i, t in enumerate(inputs) if t is not _LEARNING_PHASE]
    sub = Model([inputs[i] for i in keep], list(outputs))

    def run(values):
        xs = [values[i] for i in keep]
        return sub.predict(xs, batch_size=len(xs[0]) or 1)
    return run
