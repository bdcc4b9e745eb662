"""Helpers the distributions share: parameter broadcasting, probs <-> logits, lazy properties,
and drawing noise from brique's seeded generator (so `brique.manual_seed` fixes every sample)."""
from __future__ import annotations

import numbers

from .. import backend
from .._compat import finfo
from ..creation import tensor
from ..ops.movement import broadcast_shapes
from ..tensor import Size, Tensor


def broadcast_all(*values):
    """Tensors and numbers -> tensors of one broadcast shape. Numbers take the dtype and device
    of the first tensor (the default float dtype when there is none), as in PyTorch."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, numbers.Number):
            dtype = like.dtype if like is not None and like.is_floating_point() else \
                backend.get_default_dtype()
            out.append(tensor(float(v), dtype=dtype,
                              device=like.device if like is not None else None))
        else:
            raise ValueError(f"broadcast_all: expected tensors or numbers, got {type(v).__name__}")
    shape = broadcast_shapes(*(v.shape for v in out))
    return tuple(v if tuple(v.shape) == tuple(shape) else v.expand(*shape) for v in out)


def as_size(shape):
    if isinstance(shape, int):
        return Size((shape,))
    return Size(tuple(int(s) for s in shape))


def clamp_probs(probs):
    """Probabilities kept inside (0, 1) by the dtype's eps, so their logits stay finite."""
    eps = _eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def _eps(dtype):
    return float(finfo(dtype).eps)


def tiny(dtype):
    return float(finfo(dtype).tiny)


def probs_to_logits(probs, is_binary=False):
    """Log-odds for binary probabilities, log-probabilities for categorical ones."""
    p = clamp_probs(probs)
    return (p.log() - (-p).log1p()) if is_binary else p.log()


def logits_to_probs(logits, is_binary=False):
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def sum_rightmost(value, dim):
    """Sum out the rightmost `dim` dimensions."""
    return value.reshape(*value.shape[:value.dim() - dim], -1).sum(-1) if dim > 0 else value


def draw(like, shape, kind, **params):
    """An array drawn by the device generator (`kind`: a numpy Generator method such as
    "standard_normal", "gamma", "poisson"), as a tensor in like's dtype, off the graph."""
    gen = backend.rng(like.device)
    if kind == "uniform":  # [tiny, 1): log(u) and log(-log(u)) stay finite
        array = gen.uniform(tiny(like.dtype), 1.0, tuple(shape))
    else:
        array = getattr(gen, kind)(size=tuple(shape), **params)
    return Tensor._make(array.astype(like.dtype, copy=False))


def draw_like(like, kind, *params):
    """A draw by the device generator with array parameters (gamma shapes, Poisson rates,
    binomial counts) of the sample's shape, as a tensor in like's dtype, off the graph."""
    arrays = [p.detach()._data if isinstance(p, Tensor) else p for p in params]
    array = getattr(backend.rng(like.device), kind)(*arrays)
    array = backend.xp_of(like.device).asarray(array)  # a 0-d draw comes back a Python float
    return Tensor._make(array.astype(like.dtype, copy=False))


class lazy_property:
    """Computed on first access and stored on the instance (probs from logits and back)."""

    def __init__(self, fn):
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        value = self.fn(obj)
        obj.__dict__[self.fn.__name__] = value
        return value
