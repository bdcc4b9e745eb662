"""Keras's activations (`Dense(10, activation='softmax')`, `activations.relu(x, max_value=6)`)
as brique functions on Tensors, with Keras's signatures and defaults; softmax and log_softmax
are taken over the last axis. hard_sigmoid is Keras 2's clip(0.2 x + 0.5, 0, 1) (Keras 3 changed
it to relu6(x + 3) / 6, which is hard_silu's gate); gelu is the exact erf form by default, as
in Keras 2 and 3.
"""
from __future__ import annotations

from ..nn import functional as F
from ..ops.elementwise import exp


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, alpha=None):
    """max(x, 0), or Keras's general form: x where x > threshold (at most max_value),
    negative_slope * (x - threshold) elsewhere (Keras 2 spelled negative_slope `alpha`)."""
    slope = negative_slope if alpha is None else alpha
    if not slope and max_value is None and not threshold:
        return F.relu(x)
    below = (x - threshold) * slope if slope else x * 0.0
    y = x.where(x > threshold, below)
    if max_value is not None:
        y = y.clamp(max=float(max_value))
    return y


def elu(x, alpha=1.0):
    return F.elu(x, alpha)


def selu(x):
    return F.selu(x)


def celu(x, alpha=1.0):
    return F.celu(x, alpha)


def gelu(x, approximate=False):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(x)


def mish(x):
    return F.mish(x)


def relu6(x):
    return F.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope)


def hard_sigmoid(x):
    # Keras 2's piecewise-linear sigmoid: clip(0.2 x + 0.5, 0, 1)
    return (x * 0.2 + 0.5).clamp(0.0, 1.0)


def hard_silu(x):
    """x * relu6(x + 3) / 6 (MobileNetV3's hard swish)."""
    return F.hardswish(x)


def hard_tanh(x):
    return F.hardtanh(x)


def sigmoid(x):
    return F.sigmoid(x)


def log_sigmoid(x):
    return F.logsigmoid(x)


def tanh(x):
    return F.tanh(x)


def tanh_shrink(x):
    return F.tanhshrink(x)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return x / (x.abs() + 1.0)


def exponential(x):
    return exp(x)


def softmax(x, axis=-1):
    return F.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    return F.log_softmax(x, dim=axis)


def glu(x, axis=-1):
    """a * sigmoid(b), a and b the two halves of x along `axis`."""
    return F.glu(x, dim=axis)


swish, hard_swish = silu, hard_silu

ACTIVATIONS = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "log_softmax": log_softmax, "elu": elu, "selu": selu, "celu": celu, "softplus": softplus,
    "softsign": softsign, "hard_sigmoid": hard_sigmoid, "exponential": exponential,
    "swish": silu, "silu": silu, "gelu": gelu, "mish": mish, "relu6": relu6,
    "leaky_relu": leaky_relu, "hard_silu": hard_silu, "hard_swish": hard_silu,
    "hard_tanh": hard_tanh, "log_sigmoid": log_sigmoid, "tanh_shrink": tanh_shrink,
    "glu": glu,
}


def serialize(activation):
    """The name of a built-in activation (Keras's serialized form), else the function's
    name."""
    for name, fn in ACTIVATIONS.items():
        if fn is activation:
            return name
    if activation is None:
        return "linear"
    return getattr(activation, "__name__", None)


def deserialize(name, custom_objects=None):
    if isinstance(name, dict):  # Keras 3 may write {"class_name": "function", "config": n}
        name = name.get("config")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return get(name)


def get(activation):
    """A callable for an activation name, a callable, or None (linear)."""
    if activation is None:
        return linear
    if callable(activation):
        return activation
    if isinstance(activation, dict):
        return deserialize(activation)
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected a callable or one of "
                         f"{sorted(ACTIVATIONS)}")
    return ACTIVATIONS[activation]
