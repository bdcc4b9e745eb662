"""Keras's activation names (`Dense(10, activation='softmax')`) as brique functions on
Tensors; softmax is taken over the last axis, as Keras does."""
from __future__ import annotations

from ..nn import functional as F
from ..ops.elementwise import exp


def linear(x):
    return x


def softmax(x, axis=-1):
    return F.softmax(x, dim=axis)


def hard_sigmoid(x):
    # Keras 2's piecewise-linear sigmoid: clip(0.2 x + 0.5, 0, 1)
    return (x * 0.2 + 0.5).clamp(0.0, 1.0)


def selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * F.elu(x, alpha)


def softsign(x):
    return x / (x.abs() + 1.0)


ACTIVATIONS = {
    "linear": linear, "relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh,
    "softmax": softmax, "elu": F.elu, "selu": selu, "softplus": F.softplus,
    "softsign": softsign, "hard_sigmoid": hard_sigmoid, "exponential": exp,
    "swish": F.silu, "silu": F.silu, "gelu": F.gelu,
}


def get(activation):
    """A callable for an activation name, a callable, or None (linear)."""
    if activation is None:
        return linear
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected a callable or one of "
                         f"{sorted(ACTIVATIONS)}")
    return ACTIVATIONS[activation]


relu, sigmoid, tanh, elu, softplus = F.relu, F.sigmoid, F.tanh, F.elu, F.softplus
