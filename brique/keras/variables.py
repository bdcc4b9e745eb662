"""Keras's weights on a Layer: `self.add_weight(shape=..., initializer=..., trainable=...)` in
`__init__` or `build(input_shape)`, as the guide "Making new layers and models via
subclassing" writes custom layers, and the `weights` / `trainable_weights` /
`non_trainable_weights` lists in Keras's order.

A weight is a `Variable`: a brique Parameter (so `parameters()`, `state_dict()` and the
optimizers see it) with Keras's `name`, `trainable`, `assign`, `assign_add`, `assign_sub`
and `value`. A non-trainable weight never requires grad, whatever `layer.trainable` says.
"""
from __future__ import annotations

import re

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..nn.parameter import Parameter
from ..tensor import Tensor
from . import constraints as _constraints
from . import initializers as _initializers
from . import regularizers as _regularizers

# add_weight's positional order: Keras 3 puts `shape` first, Keras 2 `name` (a str) first.
_KERAS3_ORDER = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer",
                 "constraint", "aggregation", "overwrite_with_gradient", "name")
_KERAS2_ORDER = ("name", "shape", "dtype", "initializer", "regularizer", "trainable",
                 "constraint")
# How Keras stores or distributes a variable: nothing to do on one process.
_IGNORED = {"autocast", "aggregation", "overwrite_with_gradient", "synchronization",
            "use_resource", "partitioner", "caching_device", "experimental_autocast"}
_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64",
           "uint8", "bool"}


def _as_array(value):
    if isinstance(value, Tensor):
        return backend.to_numpy(value.detach()._data)
    if hasattr(value, "detach"):  # a torch tensor from a Keras-written initializer
        value = value.detach().cpu().numpy()
    return np.asarray(value)


class Variable(Parameter):
    """A layer's weight as Keras sees it (`layer.add_weight` returns one). In arithmetic and
    in brique it is the Parameter it extends."""

    __slots__ = ("name", "trainable")

    def __init__(self, value, trainable=True, name="variable"):
        super().__init__(Tensor._make(np.ascontiguousarray(value)),
                         requires_grad=trainable and value.dtype.kind == "f")
        self.name, self.trainable = name, bool(trainable)

    @property
    def path(self):
        return self.name

    @property
    def value(self):
        return self

    def numpy(self):
        """A copy of the values, trainable or not (Keras's variable.numpy())."""
        return backend.to_numpy(self._data).copy()

    def assign(self, value):
        """Set the values in place (broadcast to the variable's shape); outside the graph."""
        array = np.broadcast_to(_as_array(value), tuple(self.shape)).astype(self.numpy().dtype)
        with no_grad():
            self.copy_(backend.to_device(backend.asarray(array), self.device))
        return self

    def assign_add(self, value):
        return self.assign(self.numpy() + _as_array(value))

    def assign_sub(self, value):
        return self.assign(self.numpy() - _as_array(value))

    def __repr__(self):
        return (f"<Variable name={self.name!r} shape={tuple(self.shape)} "
                f"trainable={self.trainable}>")


def _weight_shape(layer, shape):
    if shape is None:
        return ()
    if isinstance(shape, (int, np.integer)) or not hasattr(shape, "__iter__"):
        raise ValueError(f"{layer}.add_weight: shape must be a tuple of ints, got {shape!r}")
    shape = tuple(shape)
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
               for s in shape):
        raise ValueError(f"{layer}.add_weight: a weight's shape must be fully defined, "
                         f"ints >= 0 (no None), got shape={shape!r}")
    return tuple(int(s) for s in shape)


def _initial_value(layer, initializer, shape, dtype):
    init = _initializers.get(initializer)
    value = _as_array(init(shape, dtype=dtype))
    if value.shape != shape:
        value = np.broadcast_to(value, shape) if value.size == 1 else value
    if value.shape != shape:
        raise ValueError(f"{layer}.add_weight: the initializer {initializer!r} returned shape "
                         f"{value.shape}, expected {shape}")
    return value.astype(dtype)


def _state_buffers(module, recurse):
    """The float buffers that are state (BatchNormalization's moving statistics), not the
    constants a layer keeps as non-persistent buffers."""
    modules = module.modules() if recurse else [module]
    return [b for m in modules for name, b in m._buffers.items()
            if b is not None and b.is_floating_point() and name not in m._non_persistent]


class WeightsMixin:
    """add_weight and Keras's weight lists for brique.keras's Layer."""

    def add_weight(self, *args, **kwargs):
        """A new weight of this layer: `add_weight(shape=(4, 8), initializer='random_normal',
        trainable=True, name='w')` (Keras 3's positional order, shape first; Keras 2's, name
        first, also works). initializer: a name, an initializer or a callable(shape, dtype)
        (default glorot_uniform, zeros for integer dtypes); regularizer and constraint as on
        any layer. Returns the Variable, registered on the layer (trained, saved)."""
        order = _KERAS2_ORDER if args and isinstance(args[0], str) else _KERAS3_ORDER
        if len(args) > len(order):
            raise TypeError(f"{self.name}.add_weight: takes at most {len(order)} positional "
                            f"arguments, got {len(args)}")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"{self.name}.add_weight: got multiple values for {key!r}")
            kwargs[key] = value
        unknown = set(kwargs) - set(_KERAS3_ORDER) - set(_KERAS2_ORDER) - _IGNORED
        if unknown:
            raise TypeError(f"{self.name}.add_weight: unexpected keyword argument(s) "
                            f"{sorted(unknown)}")
        shape = _weight_shape(self.name, kwargs.get("shape"))
        dtype = str(getattr(kwargs.get("dtype"), "name", kwargs.get("dtype")) or "float32")
        dtype = dtype.replace("torch.", "")
        if dtype not in _DTYPES:
            raise ValueError(f"{self.name}.add_weight: unknown dtype {dtype!r}; expected one "
                             f"of {sorted(_DTYPES)}")
        initializer = kwargs.get("initializer")
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith("float") else "zeros"
        trainable = kwargs.get("trainable")
        trainable = True if trainable is None else bool(trainable)
        name = kwargs.get("name") or "variable"
        var = Variable(_initial_value(self.name, initializer, shape, dtype), trainable, name)
        if not self.__dict__.get("_trainable", True):
            var.requires_grad_(False)  # a frozen layer's new weight is frozen too
        key = self._free_key(re.sub(r"\W", "_", name.split("/")[-1].split(":")[0]))
        self._parameters[key] = var
        self.__dict__.setdefault("_unbound_weights", set()).add(key)
        regularizer = _regularizers.get(kwargs.get("regularizer"))
        constraint = _constraints.get(kwargs.get("constraint"))
        if regularizer is not None or constraint is not None:
            loss_key = f"weight:{id(var)}"  # distinct from the constructor's 'kernel', ...
            self.__dict__.setdefault("_weight_losses", []).append((loss_key, var))
            if regularizer is not None:
                self._regularizers[loss_key] = regularizer
            if constraint is not None:
                self._constraints[loss_key] = constraint
        return var

    def _free_key(self, base):
        base = base if base and not base[0].isdigit() else f"variable_{base}"
        key, i = base, 0
        while key in self._parameters or (key in self.__dict__ and key not in
                                          self.__dict__.get("_unbound_weights", ())):
            i += 1
            key = f"{base}_{i}"
        return key

    def _bind_weight(self, name, value):
        """`self.w = self.add_weight(...)`: the weight takes the attribute's name in the
        layer's registry (state_dict keys), in place so the creation order stays. True when
        `value` was such a weight."""
        params, unbound = self.__dict__["_parameters"], self.__dict__.get("_unbound_weights")
        old = next((k for k in unbound or () if params.get(k) is value), None)
        if old is None:
            return False
        unbound.discard(old)
        if old == name:
            object.__setattr__(self, name, value)
            return True
        items = [(name if k == old else k, p) for k, p in params.items() if k != name]
        params.clear()
        params.update(items)
        object.__setattr__(self, name, value)
        return True

    def __setattr__(self, name, value):
        if isinstance(value, Parameter) and "_parameters" in self.__dict__ and \
                self._bind_weight(name, value):
            return
        # Keras tracks layers held in a list or dict attribute (self.blocks = [Dense(8), ...])
        if isinstance(value, (list, tuple, dict)) and value and not name.startswith("_") \
                and "_modules" in self.__dict__:
            items = list(value.values() if isinstance(value, dict) else value)
            if all(isinstance(v, nn.Module) for v in items):
                value = (nn.ModuleDict(value) if isinstance(value, dict)
                         else nn.ModuleList(items))
        super().__setattr__(name, value)

    def _regularized_weights(self):
        return super()._regularized_weights() + [
            (key, var, None) for key, var in self.__dict__.get("_weight_losses", ())]

    # ------------------------------------------------------------------ Keras's lists
    def _own_weights(self):
        """This layer's own weights (not its sublayers'): trainable ones first, as Keras."""
        own = [p for p in self._parameters.values() if p is not None]
        return [p for p in own if p.requires_grad] + [p for p in own if not p.requires_grad]

    def _weight_tree(self, buffers):
        out = self._own_weights()
        if buffers:
            out += _state_buffers(self, recurse=False)
        for child in self._modules.values():
            if isinstance(child, WeightsMixin):
                out += child._weight_tree(buffers)
            elif child is not None:
                out += list(child.parameters())
                if buffers:
                    out += _state_buffers(child, recurse=True)
        seen, unique = set(), []
        for w in out:
            if id(w) not in seen:
                seen.add(id(w))
                unique.append(w)
        return unique

    @property
    def weights(self):
        """Every weight: the layer's own (trainable first), then its sublayers', in order;
        BatchNormalization's moving statistics included, as in Keras."""
        return self._weight_tree(buffers=True)

    @property
    def trainable_weights(self):
        return [w for w in self._weight_tree(buffers=False) if w.requires_grad]

    @property
    def non_trainable_weights(self):
        return [w for w in self.weights if not w.requires_grad]

    def get_weights(self):
        """The weights as NumPy arrays in Keras's order and layouts (each sublayer gives its
        own: a Dense kernel is (in, out))."""
        arrays = [backend.to_numpy(p.detach()._data).copy() for p in self._own_weights()]
        for child in self._modules.values():
            if isinstance(child, WeightsMixin):
                arrays += child.get_weights()
            elif child is not None:
                arrays += [backend.to_numpy(p.detach()._data).copy()
                           for p in child.parameters()]
        return arrays

    def set_weights(self, weights):
        weights = list(weights)
        targets = list(self._own_weights())
        for child in self._modules.values():
            if child is not None and not isinstance(child, WeightsMixin):
                targets += list(child.parameters())
        expected = len(targets) + sum(len(c.get_weights()) for c in self._modules.values()
                                      if isinstance(c, WeightsMixin))
        if len(weights) != expected:
            raise ValueError(f"{self.name}: set_weights expects {expected} arrays, got "
                             f"{len(weights)}")
        own = len(self._own_weights())
        self._copy_into(targets[:own], weights[:own])
        rest = weights[own:]
        for child in self._modules.values():
            if isinstance(child, WeightsMixin):
                n = len(child.get_weights())
                child.set_weights(rest[:n])
                rest = rest[n:]
            elif child is not None:
                params = list(child.parameters())
                self._copy_into(params, rest[:len(params)])
                rest = rest[len(params):]

    def _copy_into(self, params, arrays):
        for p, w in zip(params, arrays):
            w = _as_array(w)
            if tuple(w.shape) != tuple(p.shape):
                raise ValueError(f"{self.name}: weight of shape {tuple(p.shape)} cannot take "
                                 f"an array of shape {w.shape}")
            with no_grad():
                p.copy_(backend.to_device(backend.asarray(w).astype(p.dtype), p.device))
