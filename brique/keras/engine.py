"""The functional API's pieces: the Layer base class and Input (symbolic tensors: _tensors.py).

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

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..tensor import Tensor
from ._tensors import (KerasTensor, Node, kwarg_tensors, reset_names,  # noqa: F401
                       snake_case, to_first, to_last, to_tensor, unique_name)
from .layer_losses import LossesMixin
from .variables import WeightsMixin

# Keras's call context: the training value of the Keras layer call in progress (None outside
# any call). A layer called inside another runs in the outer call's mode unless given its own.
_training = [None]


def _shape_arg(input_shape, input_dim, batch_input_shape):
    if batch_input_shape is not None:
        return tuple(batch_input_shape)[1:]
    if input_shape is not None:
        return tuple(input_shape)
    if input_dim is not None:
        return (input_dim,)
    return None


def _forward_via_call(self, *args, **kwargs):
    return self.call(*args, **kwargs)


@functools.lru_cache(maxsize=None)
def _call_spec(cls):
    """(parameter names of cls.call after the inputs, whether it takes **kwargs, the default
    of its `training` argument)."""
    params = list(inspect.signature(cls.call).parameters.values())[2:]
    names = tuple(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                       p.KEYWORD_ONLY))
    varkw = any(p.kind == p.VAR_KEYWORD for p in params)
    default = next((p.default for p in params if p.name == "training"), None)
    return names, varkw, default is True


def _structure(inputs):
    """(the leaves of a layer's inputs: one tensor, a list/tuple or a dict of them, and a
    function that puts new leaves back in that structure)."""
    if isinstance(inputs, dict):
        keys = list(inputs)
        return list(inputs.values()), lambda leaves: dict(zip(keys, leaves))
    if isinstance(inputs, (list, tuple)):
        return list(inputs), list
    return [inputs], lambda leaves: leaves[0]


class Layer(WeightsMixin, LossesMixin, nn.Module):
    """Keras's Layer on brique: `build(input_shape)` creates the wrapped module(s),
    `compute_output_shape` gives the output shape (batch entry None), `forward` computes on
    Tensors in Keras's layout.

    Keyword arguments of every layer: name, trainable, input_shape / input_dim /
    batch_input_shape (for the first layer of a Sequential), dtype, activity_regularizer, and
    kernel_/bias_/recurrent_/embeddings_... regularizer and constraint (layer_losses.py).

    A custom layer may be written as Keras writes it: `call(self, inputs, training=None)`
    instead of `forward`, weights from `self.add_weight(...)` (variables.py) in `__init__` or
    `build(input_shape)`, other layers as attributes; its output shape on symbolic tensors
    comes from running `call` on zeros unless it defines `compute_output_shape`.

    Training mode is Keras's: a layer called directly runs in inference mode (Dropout and
    noise off, BatchNormalization on its moving statistics) unless given `training=True` or
    put in training mode (`fit` and `train_on_batch` do, then put the model back); a layer
    called inside another follows the outer call. The mode of a call is the brique mode
    (`.training`) of the layer and its modules during that call.
    """

    def __init__(self, name=None, trainable=True, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, dtype=None, **kwargs):
        super().__init__()
        self.__dict__["training"] = False  # inference unless fit or training=True says so
        for ignored in ("autocast", "dynamic"):  # how Keras 3 runs a layer, not what it does
            kwargs.pop(ignored, None)
        kwargs = self._init_losses(kwargs)
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
        # Keras's layers define call(), brique's forward(): each runs the other, so a subclass
        # overrides either (class MyDense(Dense) whose call() calls super().call(x)).
        if "call" in cls.__dict__ and "forward" not in cls.__dict__:
            cls.forward = _forward_via_call
        elif "forward" in cls.__dict__ and "call" not in cls.__dict__:
            cls.call = cls.__dict__["forward"]
        own = cls.__dict__.get("build")
        if own is not None:
            @functools.wraps(own)
            def build(self, input_shape):
                own(self, input_shape)
                self.built = True
                if not self._trainable:
                    self.trainable = False
                self._after_build()
                self.train(self.training)  # modules made by build() take the layer's mode
            cls.build = build

    forward = _forward_via_call

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` "
                                  "method implemented.")

    # ------------------------------------------------------------------ to override
    def build(self, input_shape):
        """Create the wrapped module(s) for inputs of `input_shape` (batch entry None)."""

    def compute_output_shape(self, input_shape):
        if type(self).forward is _forward_via_call:  # a Keras-style call(): run it on zeros
            return self._infer_output_shape(input_shape, {})
        return input_shape

    def call_output_shape(self, input_shape, **call_kwargs):
        """The output shape(s) of a call with these keyword arguments (a layer whose outputs
        depend on them, as return_attention_scores=True, overrides this)."""
        if type(self).forward is _forward_via_call and \
                type(self).compute_output_shape is Layer.compute_output_shape:
            return self._infer_output_shape(input_shape, call_kwargs)
        return self.compute_output_shape(input_shape)

    def _infer_output_shape(self, input_shape, call_kwargs):
        """Keras traces call() symbolically; here it runs on zeros, under no_grad and in
        inference: a batch of 2, unknown sizes 2 and then 3 (an output axis whose size
        follows them is unknown)."""
        several = isinstance(input_shape, list)
        shapes = input_shape if several else [input_shape]
        dtypes = self.__dict__.get("_probe_dtypes") or ["float32"] * len(shapes)
        unknown = any(s is None for shape in shapes for s in shape[1:])
        runs = []
        for size in ((2, 3) if unknown else (2,)):
            def zeros(shape, dtype):
                return to_tensor(np.zeros([2] + [size if s is None else s for s in shape[1:]],
                                          dtype if dtype != "string" else "float32"))
            xs = [zeros(s, d) for s, d in zip(shapes, dtypes)]
            kwargs = {k: ([zeros(t.shape, t.dtype) if isinstance(t, KerasTensor) else t
                           for t in v] if isinstance(v, (list, tuple)) else
                          zeros(v.shape, v.dtype) if isinstance(v, KerasTensor) else v)
                      for k, v in call_kwargs.items()}
            kwargs["training"] = False
            with no_grad():
                out = self(xs if several else xs[0], **kwargs)
            if not all(isinstance(o, Tensor) for o in (out if isinstance(out, (list, tuple))
                                                       else [out])):
                raise TypeError(f"{self.name}: call() returned {type(out).__name__}; on "
                                "symbolic tensors a layer must return a tensor or a list of "
                                "tensors (or define compute_output_shape)")
            runs.append([tuple(o.shape) for o in (out if isinstance(out, (list, tuple))
                                                  else [out])])
        for module in self.modules():  # add_loss values of the probe are not the model's
            if isinstance(module, LossesMixin):
                module._call_losses.clear()
        outs = [(None,) + tuple(a if a == b else None for a, b in zip(s0[1:], s1[1:]))
                for s0, s1 in zip(runs[0], runs[-1])]
        return outs if isinstance(out, (list, tuple)) else outs[0]

    # Masks (Keras's): a (batch, timesteps) boolean Tensor marking the steps that count. A Model
    # passes each layer its inputs' masks (as forward's `mask=`, when forward takes it) and
    # asks compute_mask for the masks of its outputs. A layer that does not support masking
    # drops them, as in Keras.
    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs, *args, **kwargs):
        if args:  # call(self, a, b): the extra inputs travel by their names
            names, _, _ = _call_spec(type(self))
            if len(args) > len(names):
                raise TypeError(f"{self.name}: call() takes {len(names) + 1} inputs, got "
                                f"{len(args) + 1}")
            for name, value in zip(names, args):
                if name in kwargs:
                    raise TypeError(f"{self.name}: got multiple values for {name!r}")
                kwargs[name] = value
        explicit = kwargs.pop("training", None)
        kwargs = self._call_kwargs(kwargs)
        leaves, rebuild = _structure(inputs)
        symbolic = [isinstance(t, KerasTensor) for t in leaves]
        if all(symbolic):
            if isinstance(inputs, dict):
                raise TypeError(f"{self.name}: a dict of symbolic tensors as inputs is not "
                                "supported by brique.keras; pass a list")
            if explicit is not None and self._takes("training"):
                kwargs["training"] = explicit  # replayed by the Model on every call
            return self._call_symbolic(inputs, leaves, kwargs)
        if any(symbolic) or kwarg_tensors(kwargs):
            raise TypeError(f"{self.name}: cannot mix symbolic (Input) tensors and data in "
                            "one call")
        tensors = [to_tensor(t) for t in leaves]
        self._ensure_built(rebuild([(None,) + tuple(t.shape[1:]) for t in tensors]))
        tensors = self._numeric(tensors)
        return self._call_in_mode(super().__call__, rebuild(tensors), kwargs, explicit)

    # Layers that take strings (text and lookup layers) or ids (Embedding) say so; the others
    # refuse strings, and a built-in layer with float weights computes in floats on integer or
    # bool inputs, as Keras's ops promote them (a custom layer gets its inputs as they are).
    accepts_strings = False
    index_inputs = False
    float_inputs = False  # a built-in layer without weights that computes in floats (a mean)

    def _numeric(self, tensors):
        out = []
        for t in tensors:
            if isinstance(t, np.ndarray) and t.dtype.kind in "USO":
                if not self.accepts_strings:
                    raise TypeError(f"{self.name}: expected numeric inputs, got an array of "
                                    f"strings (dtype {t.dtype}, shape {t.shape}); turn strings "
                                    "into numbers first (TextVectorization, StringLookup, "
                                    "Hashing)")
            elif (isinstance(t, Tensor) and t.dtype.kind in "biu" and not self.index_inputs
                    and type(self).__module__.startswith("brique.keras.layers")
                    and (self.float_inputs
                         or any(p.is_floating_point() for p in self.parameters()))):
                t = t.to(backend.get_default_dtype())
            out.append(t)
        return out

    def _call_in_mode(self, call, args, kwargs, explicit):
        """Run the call in Keras's training mode: `training=` if given, else the outer
        call's, else this layer's mode (or True where call() defaults to training=True, as
        Keras's random augmentation layers)."""
        outer = _training[0]
        if explicit is not None:
            training = bool(explicit)
        elif outer is not None:
            training = outer
        else:
            training = self.training or _call_spec(type(self))[2]
        if self._takes("training"):
            kwargs["training"] = training
        saved = None
        if training != self.training:
            saved = [(m, m.training) for m in self.modules()]
            self.train(training)
        elif outer is None:
            self.train(training)  # modules made since (a Dropout's) take the layer's mode
        _training[0] = training
        try:
            out = self._run_call(call, args, kwargs)
        finally:
            _training[0] = outer
            for module, mode in saved or ():
                module.__dict__["training"] = mode
        self.__dict__["_last_shapes"] = [(None,) + tuple(o.shape[1:]) for o in
                                         (out if isinstance(out, (list, tuple)) else [out])
                                         if isinstance(o, Tensor)]
        return out

    def _ensure_built(self, shapes):
        if not self.built:
            self.build(shapes)
            self.built = True
            self._after_build()
            self.train(self.training)

    def _takes(self, argument):
        names, varkw, _ = _call_spec(type(self))
        return argument in names or varkw

    def _call_kwargs(self, kwargs):
        # As Keras, `training` and `mask` reach only a call() that takes them.
        if not kwargs.keys() & {"training", "mask"}:
            return kwargs
        return {k: v for k, v in kwargs.items()
                if k not in ("training", "mask") or self._takes(k)}

    def _call_symbolic(self, inputs, leaves, kwargs=None):
        shapes = [t.shape for t in leaves]
        several = isinstance(inputs, (list, tuple))
        in_shape = shapes if several else shapes[0]
        self._ensure_built(list(shapes) if several else shapes[0])
        self.__dict__["_probe_dtypes"] = [t.dtype for t in leaves]
        try:
            out_shape = self.call_output_shape(in_shape, **(kwargs or {}))
        finally:
            self.__dict__["_probe_dtypes"] = None
        several = isinstance(out_shape, list)
        node = Node(self, inputs, kwargs=kwargs)
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
        # as Keras: the layers inside follow; add_weight(trainable=False) weights stay frozen
        for module in self.modules():
            if isinstance(module, Layer):
                module.__dict__["_trainable"] = bool(value)
            for p in module._parameters.values():
                if p is not None:
                    p.requires_grad_(bool(value) and getattr(p, "trainable", True)
                                     and p.is_floating_point())

    def count_params(self):
        """Every weight's size, the non-trainable ones (moving statistics) included."""
        return sum(w.numel() for w in self.weights)

    # get_weights / set_weights (variables.py) give Keras's layouts (Dense kernel (in, out),
    # Conv2D kernel (kh, kw, in, out)); a layer that stores them otherwise overrides both.

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
        config = {"name": self.name, "trainable": self._trainable, "dtype": "float32",
                  **self._losses_config()}
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
