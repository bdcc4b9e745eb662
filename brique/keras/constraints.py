"""Keras's weight constraints: `Dense(64, kernel_constraint=max_norm(2.))` projects the
kernel after each optimizer step (fit, train_on_batch), as Keras does.

A constraint is a callable on a weight Tensor in Keras's layout (a Dense kernel is (in, units),
a Conv2D kernel (kh, kw, in, filters)) returning the projected Tensor; `axis=0` therefore
bounds the norm of each unit's incoming weights, as in Keras, though brique stores them
transposed. Norms get Keras's epsilon 1e-7 in the denominator.
"""
from __future__ import annotations

import math

from . import _objects

EPSILON = 1e-7


def _norms(w, axis):
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    for a in axes:
        if not isinstance(a, int) or not -w.ndim <= a < w.ndim:
            raise ValueError(f"constraint: axis {axis!r} is out of range for a weight of shape "
                             f"{tuple(w.shape)}")
    return (w * w).sum(tuple(a % w.ndim for a in axes), keepdim=True).sqrt()


def _number(value, name, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative number, got {value!r}")
    return value


class Constraint(_objects.KerasObject):
    """Base class: `__call__(weight) -> projected weight` (the identity here), get_config."""

    def __call__(self, w):
        return w


class MaxNorm(Constraint):
    """Rescales the weights whose norm along `axis` exceeds `max_value` down to it."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = _number(max_value, "max_value", "MaxNorm"), axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return w * (norms.clamp(0.0, float(self.max_value)) / (norms + EPSILON))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Negative weights become zero."""

    def __call__(self, w):
        return w.clamp(min=0.0)


class UnitNorm(Constraint):
    """Each weight vector along `axis` is divided by its norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (_norms(w, self.axis) + EPSILON)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms along `axis` move into [min_value, max_value]: a fraction `rate` of the way
    (rate=1: clipped at once)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _number(min_value, "min_value", "MinMaxNorm")
        self.max_value = _number(max_value, "max_value", "MinMaxNorm")
        if self.min_value > self.max_value:
            raise ValueError(f"MinMaxNorm: min_value {min_value} is above max_value "
                             f"{max_value}")
        self.rate, self.axis = _number(rate, "rate", "MinMaxNorm"), axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = norms.clamp(float(self.min_value), float(self.max_value)) * self.rate + \
            norms * (1.0 - self.rate)
        return w * (desired / (norms + EPSILON))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
# Keras 2's capitalised aliases
maxnorm, nonneg, unitnorm = MaxNorm, NonNeg, UnitNorm

_TABLE = _objects.table(Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm,
                        maxnorm=MaxNorm, nonneg=NonNeg, unitnorm=UnitNorm)


def serialize(constraint):
    return _objects.serialize(constraint)


def deserialize(config, custom_objects=None):
    return _objects.deserialize(config, _TABLE, "constraint", custom_objects)


def get(identifier):
    """A constraint from None, a name ('max_norm', 'non_neg', 'unit_norm', ...), a
    {class_name, config} dict, a Constraint or a function of a Tensor."""
    return _objects.get(identifier, _TABLE, "constraint")
