"""The N-d base of brique.keras's layers on sequences (1-D), images (2-D) and volumes (3-D):
Keras's layout is channels-last (N, *spatial, C) unless data_format='channels_first', and
`call_first` computes on channels-first Tensors, as brique's modules do. It is the N-d form of
convolutional.py's `_Image`; convolutional_more.py, pooling.py and noise.py build on it.
"""
from __future__ import annotations

import numbers

from ..engine import Layer

_AXES = {1: "steps", 2: "rows, cols", 3: "dim1, dim2, dim3"}


def _ntuple(v, n, what, layer, minimum=1):
    """An int or a sequence of n ints (each >= minimum) as a tuple of n ints."""
    v = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(v) != n or not all(isinstance(i, numbers.Integral) and not isinstance(i, bool)
                              and i >= minimum for i in v):
        raise ValueError(f"{layer}: {what} must be an int or a tuple of {n} ints >= {minimum}, "
                         f"got {v}")
    return tuple(int(i) for i in v)


def _choice(value, allowed, what, layer):
    lowered = value.lower() if isinstance(value, str) else value
    if lowered not in allowed:
        raise ValueError(f"{layer}: {what} must be one of {allowed}, got {value!r}")
    return lowered


def _pad_arg(pads):
    """[(before, after) per spatial dim] -> F.pad's list, which starts at the last dim."""
    return [p for pair in reversed(pads) for p in pair]


class _Spatial(Layer):
    """A layer on (N, *spatial, C) inputs (or (N, C, *spatial) with
    data_format='channels_first') with `rank` spatial dims; `call_first` computes on
    channels-first Tensors. Only 2-D channels-last layers let a Model skip their transposes
    (the graph runner keeps 4-D tensors channels-first between such layers)."""
    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.channels_first = _choice(data_format, (None, "channels_last", "channels_first"),
                                      "data_format", name) == "channels_first"
        self.image_mode = "prefer" if self.rank == 2 and not self.channels_first else None

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_first" if
                self.channels_first else "channels_last"}

    def _split(self, shape, what="input"):
        """(spatial sizes, channels) of a Keras-layout shape, after checking its rank."""
        n = self.rank
        if len(shape) != n + 2:
            order = f"channels, {_AXES[n]}" if self.channels_first else f"{_AXES[n]}, channels"
            raise ValueError(f"{self.name}: expected a {n + 2}-D {what} (batch, {order}), got "
                             f"shape {tuple(shape)}")
        sizes, c = (tuple(shape[2:]), shape[1]) if self.channels_first else \
            (tuple(shape[1:-1]), shape[-1])
        if any(s is not None and s < 1 for s in sizes):
            raise ValueError(f"{self.name}: the {what}'s spatial axes must not be empty, got "
                             f"shape {tuple(shape)}")
        return sizes, c

    def _keras_shape(self, x):
        """The Keras-layout shape of a channels-first Tensor."""
        s = tuple(x.shape)
        return s if self.channels_first else (s[0],) + s[2:] + (s[1],)

    def _join(self, sizes, c):
        return (None, c, *sizes) if self.channels_first else (None, *sizes, c)

    def _around_first(self, fn, x):
        """fn (on channels-first Tensors) applied to x in Keras's layout."""
        self._split(x.shape)
        if self.channels_first:
            return fn(x)
        n = self.rank
        y = fn(x.permute(0, n + 1, *range(1, n + 1)))
        return y.permute(0, *range(2, y.ndim), 1)

    def forward(self, x):
        return self._around_first(self.call_first, x)
