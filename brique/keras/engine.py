"""The functional API's pieces: symbolic tensors, the Layer base class, Input.

A Keras layer is an `nn.Module` that wraps a brique module (built on its first call, when the
input shape is known) and speaks Keras's layout: images are channels-last (N, H, W, C). Called
on a `KerasTensor` (what `Input` returns) it runs nothing: it records a `Node` (this layer, its
input tensors) and returns new KerasTensors of the computed shape, from which `Model` later
reads the graph. Called on arrays or Tensors it computes, like any module.

Layers that work on images internally channels-first (Conv2D, pooling, ...) define
`call_first(x)` on (N, C, H, W) Tensors; `forward` transposes around it, and a Model's graph
runner skips the transposes between two such layers.
"""
from __future__ import annotations

import functools
import inspect
import re

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..tensor import Tensor

_name_counts: dict = {}


def reset_names():
    """Layer names count from 1 again (K.clear_session())."""
    _name_counts.clear()


def unique_name(prefix):
    _name_counts[prefix] = _name_counts.get(prefix, 0) + 1
    return f"{prefix}_{_name_counts[prefix]}"


def snake_case(name):
    """'MaxPooling2D' -> 'max_pooling2d', 'Conv2D' -> 'conv2d' (Keras's layer-name prefixes)."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def to_tensor(x):
    """An array or Tensor as a Tensor; float64 NumPy data becomes float32 (Keras's floatx)."""
    if isinstance(x, Tensor):
        return x
    a = np.asarray(x)
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

    def __init__(self, layer, inputs, outputs=()):
        self.layer, self.inputs, self.outputs = layer, inputs, list(outputs)

    @property
    def input_list(self):
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]


def _shape_arg(input_shape, input_dim, batch_input_shape):
    if batch_input_shape is not None:
        return tuple(batch_input_shape)[1:]
    if input_shape is not None:
        return tuple(input_shape)
    if input_dim is not None:
        return (input_dim,)
    return None


class Layer(nn.Module):
    """Keras's Layer on brique: `build(input_shape)` creates the wrapped module(s),
    `compute_output_shape` gives the output shape (batch entry None), `forward` computes on
    Tensors in Keras's layout.

    Keyword arguments of every layer: name, trainable, input_shape / input_dim /
    batch_input_shape (for the first layer of a Sequential), dtype.
    """

    def __init__(self, name=None, trainable=True, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, dtype=None, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{sorted(kwargs)}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.built, self._trainable, self._nodes = False, trainable, []
        self.declared_input_shape = _shape_arg(input_shape, input_dim, batch_input_shape)

    def __init_subclass__(cls, **kwargs):
        # A subclass's build() marks the layer built (and frozen if not trainable) however it
        # is called: from the first call, or directly as layer.build(shape).
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("build")
        if own is not None:
            @functools.wraps(own)
            def build(self, input_shape):
                own(self, input_shape)
                self.built = True
                self.trainable = self._trainable
            cls.build = build

    # ------------------------------------------------------------------ to override
    def build(self, input_shape):
        """Create the wrapped module(s) for inputs of `input_shape` (batch entry None)."""

    def compute_output_shape(self, input_shape):
        return input_shape

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs, **kwargs):
        leaves = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        symbolic = [isinstance(t, KerasTensor) for t in leaves]
        if all(symbolic):
            return self._call_symbolic(inputs, leaves)
        if any(symbolic):
            raise TypeError(f"{self.name}: cannot mix symbolic (Input) tensors and data in "
                            "one call")
        tensors = [to_tensor(t) for t in leaves]
        self._ensure_built([(None,) + tuple(t.shape[1:]) for t in tensors], inputs)
        args = tensors if isinstance(inputs, (list, tuple)) else tensors[0]
        return super().__call__(args, **kwargs)

    def _ensure_built(self, shapes, inputs):
        if not self.built:
            self.build(shapes if isinstance(inputs, (list, tuple)) else shapes[0])
            self.built = True

    def _call_symbolic(self, inputs, leaves):
        shapes = [t.shape for t in leaves]
        in_shape = shapes if isinstance(inputs, (list, tuple)) else shapes[0]
        self._ensure_built(shapes, inputs)
        out_shape = self.compute_output_shape(in_shape)
        several = isinstance(out_shape, list)
        node = Node(self, inputs)
        dtype = leaves[0].dtype if leaves else "float32"
        for i, s in enumerate(out_shape if several else [out_shape]):
            suffix = f"/{i}" if several else ""
            node.outputs.append(KerasTensor(s, self.output_dtype(dtype), node, i,
                                            f"{self.name}/{len(self._nodes)}{suffix}"))
        self._nodes.append(node)
        return node.outputs if several else node.outputs[0]

    def output_dtype(self, input_dtype):
        return "float32"

    # ------------------------------------------------------------------ Keras's attributes
    def _node(self, what):
        if not self._nodes:
            raise AttributeError(f"Layer {self.name} has never been called on a symbolic "
                                 f"tensor and thus has no defined {what}")
        if len(self._nodes) > 1:
            raise AttributeError(f"Layer {self.name} has been called {len(self._nodes)} times "
                                 f"(shared layer): its {what} is ambiguous")
        return self._nodes[0]

    @property
    def input(self):
        return self._node("input").inputs

    @property
    def output(self):
        outs = self._node("output").outputs
        return outs if len(outs) > 1 else outs[0]

    @property
    def input_shape(self):
        x = self.input
        return [t.shape for t in x] if isinstance(x, (list, tuple)) else x.shape

    @property
    def output_shape(self):
        x = self.output
        return [t.shape for t in x] if isinstance(x, list) else x.shape

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self.__dict__["_trainable"] = bool(value)
        for p in self.parameters():
            p.requires_grad_(bool(value))

    @property
    def weights(self):
        return list(self.parameters())

    @property
    def trainable_weights(self):
        return [p for p in self.parameters() if p.requires_grad]

    def count_params(self):
        return sum(p.numel() for p in self.parameters())

    # Weights as Keras lays them out (Dense kernel (in, out), Conv2D kernel (kh, kw, in,
    # out)); a layer that stores them otherwise overrides these two.
    def get_weights(self):
        return [backend.to_numpy(p.detach()._data).copy() for p in self.parameters()]

    def set_weights(self, weights):
        params = list(self.parameters())
        if len(weights) != len(params):
            raise ValueError(f"{self.name}: set_weights expects {len(params)} arrays, got "
                             f"{len(weights)}")
        for p, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(w.shape) != tuple(p.shape):
                raise ValueError(f"{self.name}: weight of shape {tuple(p.shape)} cannot take "
                                 f"an array of shape {w.shape}")
            with no_grad():
                p.copy_(backend.to_device(backend.asarray(w).astype(p.dtype), p.device))

    def extra_repr(self):
        return f"name={self.name!r}"

    # ------------------------------------------------------------------ config (model saving)
    _BASE_ARGS = {"self", "name", "trainable", "input_shape", "input_dim", "batch_input_shape",
                  "batch_size", "dtype", "kwargs", "args"}

    def get_config(self):
        """The constructor arguments that rebuild this layer, without its weights (Keras's
        base keys; each layer adds its own). As in Keras, a custom layer whose __init__ takes
        other arguments must override get_config (and from_config if they are not plain)."""
        if type(self).get_config is Layer.get_config:
            extra = sorted(set(inspect.signature(type(self).__init__).parameters)
                           - self._BASE_ARGS)
            if extra:
                # Keras raises NotImplementedError here too: the layer is usable, only its
                # serialization is missing, and the user must write it.
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has arguments {extra} in __init__() and "
                    "therefore must override get_config() to be saved with model.save()")
        config = {"name": self.name, "trainable": self._trainable, "dtype": "float32"}
        if self.declared_input_shape is not None:
            config["batch_input_shape"] = (None,) + tuple(self.declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """The layer that get_config() describes (fresh weights: load_model sets them)."""
        return cls(**config)


class InputLayer(Layer):
    """The source of a graph: `Input(shape=(28, 28, 1))` returns its output tensor."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None,
                 batch_input_shape=None, **kwargs):
        super().__init__(name=name or unique_name("input"), **kwargs)
        shape = _shape_arg(input_shape, None, batch_input_shape)
        if shape is None:
            raise ValueError("Input: give shape=(...) (without the batch size) or batch_shape")
        self.shape, self.dtype, self.built = shape, dtype or "float32", True
        node = Node(self, [])
        node.outputs.append(KerasTensor((None,) + shape, self.dtype, node, 0, self.name))
        self._nodes.append(node)

    def get_config(self):
        return {"batch_input_shape": (None,) + tuple(self.shape), "dtype": self.dtype,
                "name": self.name}

    def forward(self, x):
        return x


def Input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False, tensor=None):
    """A symbolic input of `shape` (without the batch size): `Input(shape=(784,))`."""
    if sparse or tensor is not None:
        raise ValueError("Input: sparse inputs and tensor= are not supported by brique.keras")
    return InputLayer(input_shape=shape, batch_input_shape=batch_shape, name=name,
                      dtype=dtype).output
