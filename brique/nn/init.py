"""Weight initializers (`nn.init`), in place and without recording a graph, as in PyTorch."""
from __future__ import annotations

import math
import warnings

from .. import backend
from ..autograd import no_grad


def calculate_gain(nonlinearity, param=None):
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(t):
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than "
                         f"2 dimensions (shape {tuple(t.shape)})")
    receptive = 1
    for s in t.shape[2:]:
        receptive *= s
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fan(t, mode):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


@no_grad()
def uniform_(t, a=0.0, b=1.0, generator=None):
    return t.uniform_(a, b, generator=generator)


@no_grad()
def normal_(t, mean=0.0, std=1.0, generator=None):
    return t.normal_(mean, std, generator=generator)


@no_grad()
def constant_(t, val):
    return t.fill_(val)


def zeros_(t):
    return constant_(t, 0.0)


def ones_(t):
    return constant_(t, 1.0)


@no_grad()
def eye_(t):
    if t.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(t.shape)}")
    xp = backend.get_array_module(t._data)
    return t.copy_(xp.eye(*t.shape, dtype=t.dtype))


def xavier_uniform_(t, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, generator)


def xavier_normal_(t, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(t, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if t.numel() == 0:  # PyTorch warns and leaves it: there is nothing to draw
        warnings.warn("Initializing zero-element tensors is a no-op")
        return t
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(t, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if t.numel() == 0:  # PyTorch warns and leaves it: there is nothing to draw
        warnings.warn("Initializing zero-element tensors is a no-op")
        return t
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    return normal_(t, 0.0, std, generator)


@no_grad()
def orthogonal_(t, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Saxe et al.)."""
    if t.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(t.shape)}")
    rows = t.shape[0]
    cols = t.numel() // rows
    xp = backend.get_array_module(t._data)
    flat = backend.rng(t.device, generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))  # makes the decomposition unique, the distribution uniform
    if rows < cols:
        q = q.T
    return t.copy_((gain * q).reshape(t.shape).astype(t.dtype))


@no_grad()
def trunc_normal_(t, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    rng = backend.rng(t.device, generator)
    draws = rng.normal(mean, std, size=t.shape)
    bad = (draws < a) | (draws > b)
    while bad.any():
        draws[bad] = rng.normal(mean, std, size=int(bad.sum()))
        bad = (draws < a) | (draws > b)
    return t.copy_(draws.astype(t.dtype))


@no_grad()
def dirac_(t, groups=1):
    """The identity of a convolution: a 1 at the kernel's centre from input channel d to
    output channel d (in each of `groups` groups), zeros elsewhere. Shape: (out, in, *k), 3-5
    dims."""
    if t.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got "
                         f"shape {tuple(t.shape)}")
    if t.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 ({t.shape[0]}) must be divisible by groups ({groups})")
    xp = backend.get_array_module(t._data)
    out = xp.zeros(t.shape, dtype=t.dtype)
    per_group = t.shape[0] // groups
    centre = tuple(k // 2 for k in t.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, t.shape[1])):
            out[(g * per_group + d, d) + centre] = 1
    return t.copy_(out)


@no_grad()
def sparse_(t, sparsity, std=0.01, generator=None):
    """N(0, std) entries with a fraction `sparsity` of each column set to zero (Martens
    2010). 2-D tensors only."""
    if t.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(t.shape)}")
    rows, cols = t.shape
    zeros_per_col = math.ceil(sparsity * rows)
    rng = backend.rng(t.device, generator)
    values = rng.normal(0.0, std, size=(rows, cols))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros_per_col], c] = 0
    return t.copy_(values.astype(t.dtype))


def _deprecated(new):
    old = new.__name__[:-1]

    def alias(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)
    alias.__name__ = old
    alias.__doc__ = f"Deprecated: use nn.init.{new.__name__}."
    return alias


# The old names PyTorch still accepts, warning.
uniform, normal, constant = _deprecated(uniform_), _deprecated(normal_), _deprecated(constant_)
xavier_uniform, xavier_normal = _deprecated(xavier_uniform_), _deprecated(xavier_normal_)
kaiming_uniform, kaiming_normal = _deprecated(kaiming_uniform_), _deprecated(kaiming_normal_)
orthogonal, sparse = _deprecated(orthogonal_), _deprecated(sparse_)
dirac, eye = _deprecated(dirac_), _deprecated(eye_)
