"""Keras's initializers (`Dense(64, kernel_initializer='he_normal')`,
`kernel_initializer=initializers.RandomNormal(stddev=0.01, seed=1)`), filling brique tensors
with brique.nn.init.

An initializer called on a brique Tensor fills it in place (what the layers do); called on a
shape, `GlorotUniform()(shape=(3, 4))`, it returns a new Tensor, as in Keras. Fans are Keras's:
a kernel given by shape is in Keras's layout ((in, out), (kh, kw, in, out)); a brique weight
is PyTorch's ((out, in), (out, in, kh, kw)), whose fans come out the same. The normal
variance-scaling initializers draw from a normal truncated at two standard deviations, its
stddev corrected (/ 0.8796...) so that the variance is scale / fan, as in Keras.
"""
from __future__ import annotations

import math

from .. import creation
from ..autograd import no_grad
from ..nn import init
from ..tensor import Tensor
from ..utils.data.sampler import Generator
from . import _objects


class Initializer(_objects.KerasObject):
    """Base class: `fill(tensor, generator)` fills a Tensor in place; get_config()."""

    seed = None

    def __call__(self, shape, dtype=None):
        if isinstance(shape, Tensor):
            with no_grad():
                self.fill(shape, self._generator())
            return shape
        if isinstance(shape, int):
            shape = (shape,)
        shape = tuple(shape)
        if not all(isinstance(s, int) and s >= 0 for s in shape):
            raise ValueError(f"{type(self).__name__}: shape must be a tuple of ints >= 0, got "
                             f"{shape!r}")
        t = creation.empty(*shape, dtype=dtype if dtype not in (None, "float32") else None)
        with no_grad():
            self.fill(t, self._generator(), keras_layout=True)
        return t

    def _generator(self):
        if self.seed is None:
            return None
        return Generator(int(self.seed))  # the same seed gives the same values, as in Keras

    def fill(self, t, generator=None, keras_layout=False):
        raise NotImplementedError(f"{type(self).__name__} must define fill(tensor)")


def _fans(shape, keras_layout):
    """(fan_in, fan_out) as Keras computes them on its layout; brique's (out, in, *k) layout
    gives the same numbers."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if keras_layout:
        receptive = math.prod(shape[:-2])
        return shape[-2] * receptive, shape[-1] * receptive
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


class VarianceScaling(Initializer):
    """Variance scale / n, n the fan_in, fan_out or their mean (`mode`), drawn from a
    truncated normal, a normal ('untruncated_normal') or a uniform."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not scale > 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale!r}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', "
                             f"got {mode!r}")
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError("VarianceScaling: distribution must be 'truncated_normal', "
                             f"'untruncated_normal' or 'uniform', got {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def fill(self, t, generator=None, keras_layout=False):
        fan_in, fan_out = _fans(tuple(t.shape), keras_layout)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            init.uniform_(t, -limit, limit, generator=generator)
        elif self.distribution == "untruncated_normal":
            init.normal_(t, 0.0, math.sqrt(variance), generator=generator)
        else:
            std = math.sqrt(variance) / 0.87962566103423978
            init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std, generator=generator)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _scaling(scale, mode, distribution, doc):
    class Fixed(VarianceScaling):
        __doc__ = doc

        def __init__(self, seed=None):
            super().__init__(scale, mode, distribution, seed)

        def get_config(self):
            return {"seed": self.seed}
    return Fixed


GlorotUniform = _scaling(1.0, "fan_avg", "uniform", "Uniform in +-sqrt(6 / (fan_in + fan_out)).")
GlorotNormal = _scaling(1.0, "fan_avg", "truncated_normal",
                        "Truncated normal of variance 2 / (fan_in + fan_out).")
HeUniform = _scaling(2.0, "fan_in", "uniform", "Uniform in +-sqrt(6 / fan_in).")
HeNormal = _scaling(2.0, "fan_in", "truncated_normal", "Truncated normal of variance 2 / fan_in.")
LecunUniform = _scaling(1.0, "fan_in", "uniform", "Uniform in +-sqrt(3 / fan_in).")
LecunNormal = _scaling(1.0, "fan_in", "truncated_normal",
                       "Truncated normal of variance 1 / fan_in.")
for _cls, _name in ((GlorotUniform, "GlorotUniform"), (GlorotNormal, "GlorotNormal"),
                    (HeUniform, "HeUniform"), (HeNormal, "HeNormal"),
                    (LecunUniform, "LecunUniform"), (LecunNormal, "LecunNormal")):
    _cls.__name__ = _cls.__qualname__ = _name


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def fill(self, t, generator=None, keras_layout=False):
        init.normal_(t, self.mean, self.stddev, generator=generator)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """A normal cut at two standard deviations from the mean (values redrawn)."""

    def fill(self, t, generator=None, keras_layout=False):
        init.trunc_normal_(t, self.mean, self.stddev, self.mean - 2 * self.stddev,
                           self.mean + 2 * self.stddev, generator=generator)


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def fill(self, t, generator=None, keras_layout=False):
        init.uniform_(t, self.minval, self.maxval, generator=generator)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def fill(self, t, generator=None, keras_layout=False):
        init.constant_(t, float(self.value))

    def get_config(self):
        return {"value": self.value}


class Zeros(Initializer):
    def fill(self, t, generator=None, keras_layout=False):
        init.zeros_(t)


class Ones(Initializer):
    def fill(self, t, generator=None, keras_layout=False):
        init.ones_(t)


class Identity(Initializer):
    """gain times the identity matrix (2-D weights only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def fill(self, t, generator=None, keras_layout=False):
        if t.ndim != 2:
            raise ValueError(f"Identity initializer: expected a 2-D weight, got shape "
                             f"{tuple(t.shape)}")
        init.eye_(t)
        t.mul_(self.gain)

    def get_config(self):
        return {"gain": self.gain}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times gain; higher-rank weights are flattened to 2-D."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def fill(self, t, generator=None, keras_layout=False):
        init.orthogonal_(t, self.gain, generator=generator)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


INITIALIZERS = _objects.table(
    VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
    LecunNormal, RandomNormal, TruncatedNormal, RandomUniform, Constant, Zeros, Ones, Identity,
    Orthogonal,
    # Keras 2's short names
    uniform=RandomUniform, normal=RandomNormal, zero=Zeros, one=Ones)

glorot_uniform, glorot_normal, he_uniform, he_normal = (GlorotUniform, GlorotNormal,
                                                        HeUniform, HeNormal)
lecun_uniform, lecun_normal, orthogonal, identity = (LecunUniform, LecunNormal, Orthogonal,
                                                     Identity)
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
zeros, ones, constant, variance_scaling = Zeros, Ones, Constant, VarianceScaling


def serialize(initializer):
    """A name stays a name; an Initializer becomes {class_name, config}."""
    return _objects.serialize(initializer)


def deserialize(config, custom_objects=None):
    return _objects.deserialize(config, INITIALIZERS, "initializer", custom_objects)


def get(initializer):
    """An initializer (a callable that fills a Tensor in place) from a name, a
    {class_name, config} dict, a class, an Initializer, or a function(tensor)."""
    if initializer is None:
        raise ValueError("initializer: None is not an initializer; give a name such as "
                         "'glorot_uniform'")
    return _objects.get(initializer, INITIALIZERS, "initializer")
