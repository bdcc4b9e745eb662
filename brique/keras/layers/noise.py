"""Regularising noise, active only in training (inside `fit`, or `layer(x, training=True)`)
and the identity in evaluation (`predict`, `evaluate`, `layer.eval()`): SpatialDropout1D/2D/3D
(whole channels), GaussianNoise, GaussianDropout, AlphaDropout.

As every brique.keras layer, one called without `training=` runs in inference, or in the
mode of the call around it (engine.py). `seed` is kept in the config; draws come from
brique's generator (`brique.manual_seed`).
"""
from __future__ import annotations

import math
import numbers

from ...creation import randn
from ...nn import functional as F
from ..engine import Layer
from ._spatial import _Spatial


def _rate(value, what, layer, one=True):
    top = "1]" if one else "1)"
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not (
            0 <= value <= 1 if one else 0 <= value < 1):
        raise ValueError(f"{layer}: {what} must be a number in [0, {top}, got {value!r}")
    return float(value)


class _Noise(Layer):
    """Noise on each entry: works on images in either layout."""
    image_mode = "either"
    supports_masking = True

    def _active(self, training):
        return self.training if training is None else bool(training)

    def forward(self, x, training=None):
        return self._noise(x) if self._active(training) else x

    def call_first(self, x):
        return self.forward(x)


class GaussianNoise(_Noise):
    """Adds N(0, stddev**2) noise in training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(stddev, numbers.Real) or isinstance(stddev, bool) or stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be a number >= 0, got {stddev!r}")
        self.stddev, self.seed = float(stddev), seed

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}

    def _noise(self, x):
        return x + self.stddev * randn(*x.shape, dtype=x.dtype, device=x.device)


class GaussianDropout(_Noise):
    """Multiplies by N(1, rate / (1 - rate)) noise in training: the variance of dropout at
    that rate, without zeros."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = _rate(rate, "rate", "GaussianDropout", one=False), seed

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    def _noise(self, x):
        std = math.sqrt(self.rate / (1.0 - self.rate))
        return x * (1.0 + std * randn(*x.shape, dtype=x.dtype, device=x.device))


class AlphaDropout(_Noise):
    """Dropout for SELU networks (F.alpha_dropout): dropped entries take SELU's negative
    saturation, then an affine map keeps the mean and variance."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if noise_shape is not None:
            raise ValueError("AlphaDropout: noise_shape is not supported by brique.keras")
        self.rate, self.seed = _rate(rate, "rate", "AlphaDropout", one=False), seed

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    def _noise(self, x):
        return F.alpha_dropout(x, self.rate, training=True)


class _SpatialDropout(_Spatial):
    """Drops whole channels (feature maps) in training, scaling the rest by 1/(1-rate)."""

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.rate, self.seed = _rate(rate, "rate", type(self).__name__), seed

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

    def call_first(self, x, training=None):
        active = self.training if training is None else bool(training)
        dropout = (F.dropout1d, F.dropout2d, F.dropout3d)[self.rank - 1]
        return dropout(x, self.rate, active)

    def forward(self, x, training=None):
        return self._around_first(lambda t: self.call_first(t, training), x)


class SpatialDropout1D(_SpatialDropout):
    """Shape: (N, steps, C), one draw per (sample, channel)."""
    rank = 1


class SpatialDropout2D(_SpatialDropout):
    """Shape: (N, H, W, C), one draw per (sample, channel)."""
    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Shape: (N, D, H, W, C), one draw per (sample, channel)."""
    rank = 3
