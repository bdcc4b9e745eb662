"""The functional API's symbolic side: KerasTensor (a shape and the Node that makes it), Node
(one call of a layer in a graph), layer names, and the conversions between data and brique
Tensors in Keras's layout (to_tensor, and channels-last <-> channels-first)."""
from __future__ import annotations

import re

import numpy as np

from .. import backend
from ..tensor import Tensor

_name_counts: dict = {}


def reset_names():
    """Layer names count from 1 again (K.clear_session())."""
    _name_counts.clear()


def unique_name(prefix):
    """'dense', then 'dense_1', 'dense_2', ...: tf.keras's and Keras 3's numbering (the
    first of a kind unsuffixed), so get_layer('dense') finds what it finds there."""
    n = _name_counts.get(prefix, 0)
    _name_counts[prefix] = n + 1
    return f"{prefix}_{n}" if n else prefix


def snake_case(name):
    """'MaxPooling2D' -> 'max_pooling2d', 'Conv2D' -> 'conv2d' (Keras's layer-name prefixes)."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def to_tensor(x):
    """An array or Tensor as a Tensor; float64 NumPy data becomes float32 (Keras's floatx).
    Strings stay a NumPy array (brique tensors hold numbers): string layers (StringLookup,
    TextVectorization, Hashing) take them as they are, also when fit's loader wrapped them."""
    if isinstance(x, Tensor):
        return x._data if x._data.dtype.kind in "USO" else x
    a = np.asarray(x)
    if a.dtype.kind in "USO":
        return a
    if a.dtype.kind == "f" and a.dtype != backend.get_default_dtype():
        a = a.astype(backend.get_default_dtype())
    return Tensor._make(a)


def to_first(x):
    """(N, H, W, C) -> (N, C, H, W)."""
    return x.permute(0, 3, 1, 2)


def to_last(x):
    """(N, C, H, W) -> (N, H, W, C)."""
    return x.permute(0, 2, 3, 1)


class KerasTensor:
    """A symbolic tensor: a shape whose first entry (the batch) is None, and the node that
    makes it. Call layers on it to build a graph; give it to `Model(inputs, outputs)`."""

    __slots__ = ("shape", "dtype", "node", "index", "name")

    def __init__(self, shape, dtype, node, index, name):
        self.shape, self.dtype = tuple(shape), dtype
        self.node, self.index, self.name = node, index, name

    ndim = property(lambda self: len(self.shape))
    layer = property(lambda self: self.node.layer)

    def __repr__(self):
        return f"<KerasTensor '{self.name}' shape={self.shape} dtype={self.dtype}>"


class Node:
    """One call of a layer in a graph: its input KerasTensors (a list, or one tensor) and the
    KerasTensors it returned."""

    def __init__(self, layer, inputs, outputs=(), kwargs=None):
        self.layer, self.inputs, self.outputs = layer, inputs, list(outputs)
        self.kwargs = dict(kwargs or {})  # the call's keyword arguments, replayed by Model

    @property
    def input_list(self):
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]

    @property
    def kwarg_tensors(self):
        """Symbolic tensors given by keyword (`initial_state=`, `attention_mask=`): inputs too."""
        return kwarg_tensors(self.kwargs)


def kwarg_tensors(kwargs):
    found = []
    for v in kwargs.values():
        for t in (v if isinstance(v, (list, tuple)) else [v]):
            if isinstance(t, KerasTensor):
                found.append(t)
    return found
