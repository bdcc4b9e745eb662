"""Normalization with batch statistics as one fused primitive: batch_norm, layer_norm and
group_norm all reduce to "normalize over some axes, then scale and shift".

Fused for speed (it sits on every conv block's hot path): written with mean/var/sub/div
primitives, the forward and backward would walk about three times as many full-size arrays."""
from __future__ import annotations

import string

from .. import autograd, backend
from . import _kernels
from ..autograd import Function
from ..tensor import Tensor

xp_of = backend.get_array_module


def _sum(xp, axes, *arrays):
    """sum over axes of the product of arrays, keeping size-1 dims. einsum multiplies and
    reduces in one pass, and reduces over non-trailing axes (N, H, W of NCHW) several times
    faster than ndarray.sum."""
    ndim = arrays[0].ndim
    letters = string.ascii_letters[:ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    out = xp.einsum(",".join([letters] * len(arrays)) + "->" + kept, *arrays)
    return out.reshape(tuple(1 if i in axes else s for i, s in enumerate(arrays[0].shape)))


def _constant_over(a, axes, ndim):
    """Whether an array broadcast against ndim dims has size 1 along every one of axes."""
    shape = (1,) * (ndim - a.ndim) + a.shape
    return all(shape[i] == 1 for i in axes)


class Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased var over `axes`.

    weight and bias (or None) broadcast against x: shape (1, C, 1, 1) for batch norm, the
    normalized shape for layer norm. Pass a dict as `stats` to get the batch 'mean' and
    'var' back (arrays with size-1 reduced dims), e.g. to update running averages.
    """

    def forward(self, x, weight, bias, axes=(), eps=1e-5, stats=None):
        xp = xp_of(x)
        self.axes, self.eps = axes, eps
        self.n = 1
        for a in axes:
            self.n *= x.shape[a]
        self.compiled = _per_channel(x, weight, bias, axes)
        if self.compiled:
            return self._forward_compiled(x, weight, bias, stats)
        mean = _sum(xp, axes, x) / self.n
        xhat = x - mean
        var = _sum(xp, axes, xhat, xhat) / self.n
        invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat *= invstd
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        self.xhat, self.invstd = xhat, invstd
        if weight is None:
            return xhat.copy() if bias is None else xhat + bias  # xhat is kept for backward
        out = xhat * weight
        if bias is not None:
            out += bias
        return out

    def _forward_compiled(self, x, weight, bias, stats):
        N, C = x.shape[:2]
        w = _channel_values(weight, C, 1.0)
        b = _channel_values(bias, C, 0.0)
        out, mean, var = _kernels.batch_norm_forward(x.reshape(N, C, -1), w, b, self.eps)
        self.mean, self.var = mean, var
        if stats is not None:
            shape = (1, C) + (1,) * (x.ndim - 2)
            stats["mean"] = mean.astype(x.dtype).reshape(shape)
            stats["var"] = var.astype(x.dtype).reshape(shape)
        return out.reshape(x.shape)

    def _backward_compiled(self, g, x, weight, bias):
        N, C = x.shape[:2]
        dx, dw, db = _kernels.batch_norm_backward(
            x._data.reshape(N, C, -1), g.reshape(N, C, -1), _channel_values(weight, C, 1.0),
            self.mean, self.var, self.eps)
        return (Tensor._make(dx.reshape(x.shape)),
                Tensor._make(dw.astype(x.dtype).reshape(weight.shape))
                if _needs(weight) else None,
                Tensor._make(db.astype(x.dtype).reshape(bias.shape)) if _needs(bias) else None)

    def backward(self, g):
        x, weight, bias = self.saved
        if not autograd.is_grad_enabled():
            if self.compiled:
                return self._backward_compiled(g._data, x, weight, bias)
            return self._backward_arrays(g._data, weight, bias)
        # create_graph: the same formula in Tensor ops, with the statistics rebuilt from x so
        # that the gradient's own graph reaches x (second derivatives).
        axes, n = self.axes, self.n
        centred = x - x.mean(axes, keepdim=True)
        invstd = ((centred * centred).mean(axes, keepdim=True) + self.eps).rsqrt()
        xhat = centred * invstd
        gx = g if weight is None else g * weight
        # d xhat/d x projects out the mean and the xhat direction of the upstream gradient.
        dx = (gx - gx.sum(axes, keepdim=True) / n
              - xhat * ((gx * xhat).sum(axes, keepdim=True) / n)) * invstd
        dw = g * xhat if _needs(weight) else None
        db = g if _needs(bias) else None
        return dx, dw, db

    def _backward_arrays(self, g, weight, bias):
        """The same formula on arrays, in place where possible (no graph to record)."""
        xp, xhat, invstd, axes, n = xp_of(g), self.xhat, self.invstd, self.axes, self.n
        w = None if weight is None else weight._data
        per_channel = w is None or _constant_over(w, axes, g.ndim)
        if per_channel:  # batch norm: sum(g * w) = w * sum(g), one pass fewer
            sum_g, sum_gx = _sum(xp, axes, g), _sum(xp, axes, g, xhat)
            coef = invstd if w is None else invstd * w
            dx = g * coef
            dx -= xhat * (coef * (sum_gx / n))
            dx -= coef * (sum_g / n)
        else:  # layer norm: the weight varies along the normalized axes
            gx = g * w
            sum_g, sum_gx = _sum(xp, axes, gx), _sum(xp, axes, gx, xhat)
            dx = xhat * (sum_gx / n)
            dx += sum_g / n
            dx = gx - dx
            dx *= invstd
        dw = db = None
        if _needs(weight):
            reuse = per_channel and _broadcast_axes(w, g) == axes
            dw = Tensor._make(sum_gx) if reuse else _param_grad(xp, w, g, xhat)
        if _needs(bias):
            reuse = per_channel and _broadcast_axes(bias._data, g) == axes
            db = Tensor._make(sum_g) if reuse else _param_grad(xp, bias._data, g)
        return Tensor._make(dx), dw, db


def _per_channel(x, weight, bias, axes):
    """Batch norm's case, which the compiled kernels take (_kernels.batch_norm_*): NumPy
    float arrays of one dtype, statistics over every axis but the channels (dim 1), and a
    weight and bias that are None or one value per channel."""
    if x.ndim < 2 or axes != (0,) + tuple(range(2, x.ndim)) or x.size == 0:
        return False
    params = [p for p in (weight, bias) if p is not None]
    channel = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    return (_kernels.usable(x, *params)
            and all(p.dtype == x.dtype and p.ndim <= x.ndim
                    and (1,) * (x.ndim - p.ndim) + p.shape == channel for p in params))


def _channel_values(p, C, default):
    """A per-channel weight or bias as C float64 values (`default` for None)."""
    if p is None:
        return backend.numpy.full(C, default)
    p = getattr(p, "_data", p)
    return p.reshape(C).astype(backend.numpy.float64)


def _broadcast_axes(param, g):
    """The axes of g along which param was broadcast."""
    shape = (1,) * (g.ndim - param.ndim) + param.shape
    return tuple(i for i in range(g.ndim) if shape[i] == 1 and g.shape[i] != 1)


def _param_grad(xp, param, g, *arrays):
    """sum of g * arrays over the axes where param was broadcast, in param's shape."""
    return Tensor._make(_sum(xp, _broadcast_axes(param, g), g, *arrays).reshape(param.shape))


def _needs(t):
    return t is not None and t.requires_grad


def normalize(x, axes, weight=None, bias=None, eps=1e-5):
    """Normalize x over axes with its own statistics, then scale and shift.
    Returns (output, mean, biased var); the statistics are arrays with size-1 reduced dims.

    Shape: x (*), weight and bias broadcastable to x -> output of x's shape.
    """
    stats = {}
    out = Normalize.apply(x, weight, bias, axes=tuple(axes), eps=eps, stats=stats)
    return out, stats["mean"], stats["var"]
