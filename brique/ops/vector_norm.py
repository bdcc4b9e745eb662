"""The vector p-norm (`norm`, `Tensor.norm`), a primitive for PyTorch's subgradients where the
composite's are NaN."""
from __future__ import annotations

import builtins
import math
import numbers

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .reduce import _kept_shape, _require_float, _sum, normalize_dims

xp_of = backend.get_array_module


class Norm(Function):
    """The vector p-norm over dims, for a number p other than 0. A primitive for PyTorch's
    subgradients where the composite's are NaN: 0 where the norm is 0 (and, for p < 1, at
    elements that are 0); for p = +-inf, the gradient split evenly between the elements
    whose magnitude is the norm. The backward is made of ops, so it has gradients too."""

    def forward(self, a, p=2.0, dims=(), keepdim=False):
        self.p, self.shape, self.dims = p, a.shape, dims
        xp, m = xp_of(a), abs(a)
        if p == 2:
            return xp.sqrt(_sum(a * a, dims, keepdim, None))
        if p == 1:
            return _sum(m, dims, keepdim, None)
        if math.isinf(p):
            return (m.max if p > 0 else m.min)(axis=dims, keepdims=keepdim)
        return _sum(m ** p, dims, keepdim, None) ** (1 / p)

    def backward(self, g):
        from .elementwise import where
        (a,) = self.saved
        p, kept = self.p, _kept_shape(self.shape, self.dims)
        g, norm = g.reshape(kept), self.saved_output.reshape(kept)
        if math.isinf(p):
            hit = Tensor._make((abs(a._data) == norm._data).astype(a.dtype))
            return a.sign() * hit * (g / hit.sum(self.dims, keepdim=True))
        if p == 1:
            return a.sign() * g
        zero = norm._data == 0
        scale = where(zero, 0.0, g / where(zero, 1.0, norm) ** (p - 1))
        if p < 1:  # |a|^(p-1) is infinite at a = 0, where PyTorch takes 0
            at0 = a._data == 0
            return a.sign() * where(at0, 0.0, where(at0, 1.0, a.abs()) ** (p - 1)) * scale
        return (a * a.abs() ** (p - 2) if p != 2 else a) * scale


def norm(a, p=2, dim=None, keepdim=False):
    """The vector p-norm over dim (all dims by default); p a number, or 'fro' (2)."""
    _require_float(a, "norm")
    if p == "fro":
        p = 2
    if not isinstance(p, numbers.Real):
        raise ValueError(f"norm: p must be a number or 'fro', got {p!r}")
    dims = normalize_dims(dim, a.ndim, "norm")
    if (p < 0 or math.isinf(p)) and builtins.any(a.shape[d] == 0 for d in dims):
        raise RuntimeError(f"norm: the {p} norm of an empty dim (shape {tuple(a.shape)}) has no "
                           "value (the operation has no identity)")
    if p == 0:  # the count of nonzero elements: no gradient, as in PyTorch
        count = (a._data != 0).sum(axis=dims, keepdims=keepdim)
        return Tensor._make(xp_of(a._data).asarray(count, dtype=a.dtype))
    return Norm.apply(a, p=float(p), dims=dims, keepdim=keepdim)
