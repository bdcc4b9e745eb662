"""`from brique.keras import random`: Keras 3's `keras.random` on brique's RNG.

`seed=` follows Keras: None draws from brique's global generator (seeded by
`brique.manual_seed` or `keras.utils.set_random_seed`); an int gives the same numbers at every
call with that int; a `SeedGenerator` gives a reproducible stream that advances at each call.
Draws are made on the host with NumPy's PCG64, then become Tensors.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend as _backend
from ..ops.indexing import index_select
from ..tensor import Tensor
from .ops.core import _dtype, convert_to_tensor as _t


class SeedGenerator:
    """A reproducible stream of random numbers: `SeedGenerator(1337)` gives the same sequence
    of draws in every run; `SeedGenerator()` is seeded from brique's global generator."""

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(_backend.rng().integers(0, 2**31 - 1))
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"SeedGenerator: seed must be a non-negative int or None, "
                             f"got {seed!r}")
        self.initial_seed, self.name = int(seed), name
        self.generator = np.random.default_rng(self.initial_seed)

    def next(self, ordered=True):
        """A new seed drawn from the stream (Keras returns its state; this is an int)."""
        return int(self.generator.integers(0, 2**31 - 1))

    def get_config(self):
        return {"seed": self.initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _rng(seed):
    if seed is None:
        return _backend.rng()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"keras.random: seed must be None, an int or a SeedGenerator, "
                     f"got {seed!r}")


def _float(dtype):
    dt = _dtype(dtype) if dtype is not None else _backend.get_default_dtype()
    if dt.kind != "f":
        raise ValueError(f"keras.random: expected a floating dtype, got {dt}")
    return dt


def _shape(shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
        raise ValueError(f"keras.random: shape must be non-negative ints, got {shape}")
    return shape


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    values = _rng(seed).normal(mean, stddev, _shape(shape))
    return Tensor._make(values.astype(_float(dtype)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dt = _dtype(dtype) if dtype is not None else _backend.get_default_dtype()
    if dt.kind in "iu":  # Keras allows integer uniform draws in [minval, maxval)
        return randint(shape, minval, maxval, dtype, seed)
    values = _rng(seed).uniform(minval, maxval, _shape(shape))
    return Tensor._make(values.astype(dt))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    if maxval <= minval:
        raise ValueError(f"randint: maxval ({maxval}) must be > minval ({minval})")
    values = _rng(seed).integers(minval, maxval, _shape(shape))
    return Tensor._make(values.astype(_dtype(dtype)))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws kept within two standard deviations of the mean (redrawn otherwise)."""
    rng, shape = _rng(seed), _shape(shape)
    values = rng.standard_normal(shape)
    bad = np.abs(values) > 2.0
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2.0
    return Tensor._make((mean + stddev * values).astype(_float(dtype)))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """(batch, num_samples) class indices drawn from the softmax of each row of `logits`."""
    logits = np.asarray(_t(logits).detach().numpy(), dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"categorical: logits must be (batch, num_classes), got shape "
                         f"{logits.shape}")
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    rng = _rng(seed)
    draws = np.stack([rng.choice(p.shape[1], size=num_samples, p=row) for row in p])
    return Tensor._make(draws.astype(_dtype(dtype)))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """inputs with a `rate` fraction zeroed and the rest scaled by 1 / (1 - rate);
    `noise_shape` broadcasts one mask (e.g. (batch, 1, features) for the same mask at each
    time step)."""
    x = _t(inputs)
    if not 0.0 <= rate < 1.0 or math.isnan(rate):
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    shape = tuple(x.shape) if noise_shape is None else tuple(
        d if n is None else n for n, d in zip(noise_shape, x.shape))
    keep = _rng(seed).uniform(size=shape) >= rate
    mask = Tensor._make((keep / (1.0 - rate)).astype(x.dtype))
    return x * mask


def shuffle(x, axis=0, seed=None):
    """x with its entries along `axis` in a random order."""
    x = _t(x)
    order = _rng(seed).permutation(x.shape[axis])
    return index_select(x, axis, Tensor._make(order))


def gamma(shape, alpha, dtype=None, seed=None):
    return Tensor._make(_rng(seed).gamma(alpha, 1.0, _shape(shape)).astype(_float(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    values = _rng(seed).binomial(counts, probabilities, _shape(shape))
    return Tensor._make(values.astype(_float(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None):  # noqa: A002 (Keras's names)
    return Tensor._make(_rng(seed).beta(alpha, beta, _shape(shape)).astype(_float(dtype)))
