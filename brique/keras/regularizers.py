"""Keras's weight regularizers: `Dense(64, kernel_regularizer=l2(0.01))` adds
0.01 * sum(kernel ** 2) to the training loss (layer.losses, summed into the loss by fit).

A regularizer is a callable on a weight Tensor in Keras's layout returning a scalar Tensor, so
autograd carries its gradient. Keras 2's defaults: `l1()`, `l2()` and the string 'l2' are
0.01; `l1_l2()` is l1=0.01, l2=0.01 (Keras 3's class `L1L2()` defaults to zeros).
"""
from __future__ import annotations

import math

from ..creation import eye
from ..nn import functional as F
from . import _objects


def _factor(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative finite number, got {value!r}")
    return float(value)


class Regularizer(_objects.KerasObject):
    """Base class: `__call__(weight) -> scalar Tensor` and get_config()/from_config(). A
    subclass (or any function of a Tensor) can serve as kernel_regularizer."""

    def __call__(self, x):
        return x.sum() * 0.0


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x ** 2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1", type(self).__name__)
        self.l2 = _factor(l2, "l2", type(self).__name__)

    def __call__(self, x):
        total = None
        if self.l1:
            total = x.abs().sum() * self.l1
        if self.l2:
            term = (x * x).sum() * self.l2
            total = term if total is None else total + term
        return x.sum() * 0.0 if total is None else total

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 * sum(|x|)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """l2 * sum(x ** 2)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """factor * mean |cos| between distinct rows (mode='rows') or columns ('columns') of a
    2-D weight, each L2-normalized: pushes them towards orthogonality.

    Shape: the weight must be 2-D, e.g. a Dense kernel (in, units)."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns', got "
                             f"{mode!r}")
        self.mode = mode

    def __call__(self, x):
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer: expected a 2-D weight, got shape "
                             f"{tuple(x.shape)}")
        if self.mode == "columns":
            x = x.t()
        x = F.normalize(x, dim=1, eps=1e-7)
        size = x.shape[0]
        if size < 2:  # no pair of rows to compare
            return x.sum() * 0.0
        off = (x @ x.t()) * (1.0 - eye(size, dtype=x.dtype, device=x.device))
        return off.abs().sum() * (self.factor * 0.5 / (size * (size - 1) / 2.0))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1=0.01, l2=0.01):
    """Keras 2's function: an L1L2 regularizer with both factors 0.01 by default."""
    return L1L2(l1=l1, l2=l2)


l1, l2, orthogonal_regularizer = L1, L2, OrthogonalRegularizer

_TABLE = _objects.table(Regularizer, L1, L2, L1L2, OrthogonalRegularizer, l1_l2=l1_l2)


def serialize(regularizer):
    return _objects.serialize(regularizer)


def deserialize(config, custom_objects=None):
    return _objects.deserialize(config, _TABLE, "regularizer", custom_objects)


def get(identifier):
    """A regularizer from None, a name ('l1', 'l2', 'l1_l2', 'orthogonal_regularizer'), a
    {class_name, config} dict, a Regularizer or a function of a Tensor."""
    return _objects.get(identifier, _TABLE, "regularizer")
