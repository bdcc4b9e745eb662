"""Layers that only move or repeat values: Permute, RepeatVector, Identity."""
from __future__ import annotations

import numbers

from ..engine import Layer


class Permute(Layer):
    """Reorders the axes of each sample: `Permute((2, 1))` swaps the two axes of (N, a, b).
    `dims` counts from 1 (the batch axis stays first). Shape: (N, *d) -> (N, d[dims - 1])."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if not all(isinstance(d, numbers.Integral) for d in dims) or \
                sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(dims)} (the axes "
                             f"after the batch, counted from 1), got {dims}")
        self.dims = tuple(int(d) for d in dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}

    def _check(self, shape):
        if len(shape) != len(self.dims) + 1:
            raise ValueError(f"{self.name}: dims {self.dims} needs inputs of "
                             f"{len(self.dims) + 1} dims (with the batch), got shape "
                             f"{tuple(shape)}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def forward(self, x):
        self._check(x.shape)
        return x.permute(0, *self.dims)


class RepeatVector(Layer):
    """Repeats each input vector n times. Shape: (N, features) -> (N, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0):
            raise ValueError(f"RepeatVector: n must be a positive int, got {n!r}")
        self.n = int(n)

    def get_config(self):
        return {**super().get_config(), "n": self.n}

    def _check(self, shape):
        if len(shape) != 2:
            raise ValueError(f"{self.name}: expected a 2-D input (batch, features), got shape "
                             f"{tuple(shape)}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, x):
        self._check(x.shape)
        return x.unsqueeze(1).expand(x.shape[0], self.n, x.shape[1])


class Identity(Layer):
    """Returns its input unchanged (a placeholder layer)."""
    image_mode = "either"

    def forward(self, x):
        return x

    call_first = forward
