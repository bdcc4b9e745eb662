"""Keras's initializer names (`Dense(64, kernel_initializer='he_normal')`) as brique.nn.init
functions. Fans are computed as Keras does: a brique weight is Keras's kernel transposed, so
fan-in and fan-out come out the same."""
from __future__ import annotations

from ..nn import init


def _uniform(t):
    return init.uniform_(t, -0.05, 0.05)  # Keras's RandomUniform default


def _normal(t):
    return init.normal_(t, 0.0, 0.05)  # Keras's RandomNormal default


def _lecun_uniform(t):
    return init.kaiming_uniform_(t, nonlinearity="linear")


INITIALIZERS = {
    "glorot_uniform": init.xavier_uniform_, "glorot_normal": init.xavier_normal_,
    "he_uniform": lambda t: init.kaiming_uniform_(t, nonlinearity="relu"),
    "he_normal": lambda t: init.kaiming_normal_(t, nonlinearity="relu"),
    "lecun_uniform": _lecun_uniform, "orthogonal": init.orthogonal_,
    "zeros": init.zeros_, "ones": init.ones_, "uniform": _uniform, "random_uniform": _uniform,
    "normal": _normal, "random_normal": _normal,
}


def get(initializer):
    """A function that fills a tensor in place, from a name or a callable(tensor)."""
    if callable(initializer):
        return initializer
    if initializer not in INITIALIZERS:
        raise ValueError(f"unknown initializer {initializer!r}; expected a callable(tensor) or "
                         f"one of {sorted(INITIALIZERS)}")
    return INITIALIZERS[initializer]
