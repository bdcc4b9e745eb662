"""Reductions: sum, prod, amax/amin and cumsum/cumprod are primitives; mean, var, std, max/min
along a dim, median, logsumexp and softmax are composites of primitives. log_softmax is a fused
primitive for numerical stability. The vector norm is in vector_norm.py."""
from __future__ import annotations

import builtins
from collections import namedtuple

from .. import backend
from ..autograd import Function
from ..tensor import Tensor

xp_of = backend.get_array_module
values_indices = namedtuple("values_indices", ["values", "indices"])


def normalize_dims(dim, ndim, op="reduce"):
    """dim (None, int or sequence) -> sorted tuple of non-negative axes (None: all)."""
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is int and 0 <= dim < ndim:  # the common case, on every reduction's path
        return (dim,)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        top = builtins.max(ndim, 1)
        if not -top <= d < top:
            raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                             f"[{-top}, {top - 1}], but got {d})")
        d = d % top if ndim else 0
        if d in out:  # PyTorch refuses x.sum((0, 0)) rather than reducing once
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(out)) if ndim else ()


def reduced_dims(dim, ndim, op):
    """normalize_dims for sum, mean, var/std and amax/amin, where, as in PyTorch, an empty
    list of dims reduces over every dim (x.sum(()) is the total, not x)."""
    if dim is not None and type(dim) is not int and len(dim) == 0:
        return tuple(range(ndim))
    return normalize_dims(dim, ndim, op)


def one_dim(dim, ndim, op):
    """The one dim an op works along, for ops that need at least one dimension."""
    if ndim == 0:
        raise ValueError(f"{op}: expects a tensor with at least one dimension, got a 0-d tensor")
    return normalize_dims(dim, ndim, op)[0]


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _expand_back(g, shape, dims):
    """Gradient of a reduction over dims, spread back over the input's shape."""
    return g.reshape(_kept_shape(shape, dims)).expand(shape)


def _sum(a, dims, keepdims, dtype):
    """a.sum(axis=dims, ...). NumPy reduces an axis of 2-8 elements with a slow strided inner
    loop: the gradient of a x2 nearest upsampling, 2x2 sums over a (32, 16, 28, 28) array,
    takes 3.6 ms that way and 0.35 ms by adding the axis's slices, as done here for large
    float arrays."""
    small = ([d for d in dims if 1 < a.shape[d] <= 8] if a.size >= 4096 and a.dtype.kind == "f"
             and dtype in (None, a.dtype) and xp_of(a) is backend.numpy else None)
    if not small:  # small arrays (the common case) skip the scan above
        return a.sum(axis=dims, keepdims=keepdims, dtype=dtype)
    index = [slice(None)] * a.ndim
    for d in small:
        index[d] = slice(0, 1)
        out = a[tuple(index)].copy()
        for i in range(1, a.shape[d]):
            index[d] = slice(i, i + 1)
            out += a[tuple(index)]
        index[d] = slice(None)
        a = out
    rest = tuple(d for d in dims if d not in small)
    if rest:
        a = a.sum(axis=rest, keepdims=True)
    return a if keepdims else a.reshape([s for i, s in enumerate(a.shape) if i not in dims])


class Sum(Function):
    def forward(self, a, dims=(), keepdim=False, dtype=None):
        self.shape, self.dims = a.shape, dims
        if dtype is None and a.dtype.kind in "biu":
            dtype = backend.int64  # PyTorch sums integers and bools as int64
        return _sum(a, dims, keepdim, dtype)

    def backward(self, g):
        return _expand_back(g, self.shape, self.dims)


class Prod(Function):
    def forward(self, a, dims=(), keepdim=False):
        self.shape, self.dims = a.shape, dims
        return a.prod(axis=dims, keepdims=keepdim)

    def backward(self, g):
        (a,) = self.saved
        g = _expand_back(g, self.shape, self.dims)
        out = _expand_back(self.saved_output, self.shape, self.dims)
        ad = a._data
        zeros = ad == 0
        if not zeros.any():
            return g * out / a
        # With zeros, d prod / d a_i is the product of the other elements: nonzero only where
        # a_i is the single zero of its slice.
        xp = xp_of(ad)
        nonzero_prod = xp.where(zeros, 1, ad).prod(axis=self.dims, keepdims=True)
        count = zeros.sum(axis=self.dims, keepdims=True)
        safe = xp.where(zeros, 1, ad)
        others = xp.where(zeros, xp.where(count == 1, nonzero_prod, 0),
                          xp.where(count == 0, out._data / safe, 0))
        return g * Tensor._make(others.astype(ad.dtype))


class Amax(Function):
    """max (largest=True) or min over dims; ties share the gradient evenly, as in PyTorch."""

    def forward(self, a, dims=(), keepdim=False, largest=True):
        if a.size == 0:
            raise RuntimeError(f"max/min: cannot reduce an empty tensor of shape {a.shape}")
        self.shape, self.dims = a.shape, dims
        reduce = a.max if largest else a.min
        return reduce(axis=dims, keepdims=keepdim)

    def backward(self, g):
        (a,) = self.saved
        out = self.saved_output._data.reshape(_kept_shape(self.shape, self.dims))
        mask = a._data == out
        share = mask / mask.sum(axis=self.dims, keepdims=True)
        return _expand_back(g, self.shape, self.dims) * Tensor._make(share.astype(a.dtype))


class Cumsum(Function):
    def forward(self, a, dim=0):
        self.dim = dim
        return a.cumsum(axis=dim)

    def backward(self, g):
        return g.flip(self.dim).cumsum(self.dim).flip(self.dim)


class Cumprod(Function):
    def forward(self, a, dim=0):
        self.dim = dim
        return a.cumprod(axis=dim)

    def backward(self, g):
        # d out_j / d a_k = prod_{i <= j, i != k} a_i for j >= k. Without zeros that is
        # out_j / a_k: the gradient is the reversed cumsum of g * out, over a (ops, so it has
        # gradients too). With zeros, the exclusive product before k times S_k = g_k +
        # a_{k+1} S_{k+1}, run backward along the dim (first order only).
        (a,) = self.saved
        d, out = self.dim, self.saved_output
        if not (a._data == 0).any():
            return (g * out).flip(d).cumsum(d).flip(d) / a
        xp = xp_of(a._data)
        ad, gd = xp.moveaxis(a._data, d, 0), xp.moveaxis(g._data, d, 0)
        before = xp.concatenate([xp.ones_like(ad[:1]), ad[:-1]]).cumprod(axis=0)
        s = xp.empty_like(gd)
        s[-1] = gd[-1]
        for k in range(ad.shape[0] - 2, -1, -1):
            s[k] = gd[k] + ad[k + 1] * s[k + 1]
        return Tensor._make(xp.moveaxis(before * s, 0, d))


class LogSoftmax(Function):
    """Fused for stability: log_softmax(x) = (x - m) - log(sum(exp(x - m))), m = max(x)."""

    def forward(self, a, dim=-1):
        self.dim = dim
        xp = xp_of(a)
        if a.size == 0:  # an empty dim (or batch) has nothing to normalise
            return a.copy()
        shifted = a - a.max(axis=dim, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(self, g):
        out = self.saved_output
        return g - out.exp() * g.sum(self.dim, keepdim=True)


# ----------------------------------------------------------------- public functions


def _single_dim(dim, ndim, op):
    dims = normalize_dims(dim, ndim, op)  # a 0-d tensor takes dim 0 or -1, as in PyTorch
    return dims[0] if ndim else 0


def sum(a, dim=None, keepdim=False, dtype=None):
    return Sum.apply(a, dims=reduced_dims(dim, a.ndim, "sum"), keepdim=keepdim,
                     dtype=backend.as_dtype(dtype))


def prod(a, dim=None, keepdim=False):
    return Prod.apply(a, dims=normalize_dims(dim, a.ndim, "prod"), keepdim=keepdim)


def _require_float(a, op):
    if a.dtype.kind != "f":
        raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be a "
                           f"floating point dtype, got {a.dtype}")


def mean(a, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        a = a.to(dtype)
    _require_float(a, "mean")
    dims = reduced_dims(dim, a.ndim, "mean")
    n = 1
    for d in dims:
        n *= a.shape[d]
    return sum(a, dims, keepdim) / n


def var(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    _require_float(a, "var")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    dims = reduced_dims(dim, a.ndim, "var")
    n = 1
    for d in dims:
        n *= a.shape[d]
    centred = a - mean(a, dims, keepdim=True)
    return sum(centred * centred, dims, keepdim) / builtins.max(n - correction, 0)


def std(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(a, dim, unbiased, keepdim, correction=correction).sqrt()


def all(a, dim=None, keepdim=False):
    """Whether every element (along `dim`) is nonzero: a bool Tensor, never differentiable."""
    return Tensor._make(a._data.all(axis=dim, keepdims=keepdim))


def any(a, dim=None, keepdim=False):
    """Whether some element (along `dim`) is nonzero: a bool Tensor, never differentiable."""
    return Tensor._make(a._data.any(axis=dim, keepdims=keepdim))


def amax(a, dim=None, keepdim=False):
    return Amax.apply(a, dims=reduced_dims(dim, a.ndim, "amax"), keepdim=keepdim)


def amin(a, dim=None, keepdim=False):
    return Amax.apply(a, dims=reduced_dims(dim, a.ndim, "amin"), keepdim=keepdim,
                      largest=False)


def _max_min(a, dim, keepdim, largest, other):
    from .elementwise import maximum, minimum
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return (maximum if largest else minimum)(a, dim)
    if other is not None:
        return (maximum if largest else minimum)(a, other)
    if dim is None:
        return Amax.apply(a, dims=normalize_dims(None, a.ndim), keepdim=False, largest=largest)
    d = _single_dim(dim, a.ndim, "max" if largest else "min")
    _nonempty_dim(a, d, "max" if largest else "min")
    xp = xp_of(a._data)
    pick = xp.argmax if largest else xp.argmin
    idx = pick(a._data, axis=d, keepdims=True) if a.ndim else xp.zeros((), dtype=backend.int64)
    values = a.gather(d, Tensor._make(idx)) if a.ndim else a * 1
    idx = Tensor._make(idx.astype(backend.int64, copy=False))
    if not keepdim and a.ndim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values_indices(values, idx)


def max(a, dim=None, keepdim=False, *, other=None):
    """max over everything, or `(values, indices)` along `dim`; `max(a, b)` is `maximum`."""
    return _max_min(a, dim, keepdim, True, other)


def min(a, dim=None, keepdim=False, *, other=None):
    return _max_min(a, dim, keepdim, False, other)


def _nonempty_dim(a, d, op):
    if a.ndim and a.shape[d] == 0:
        raise RuntimeError(f"{op}: expected reduction dim {d} to have non-zero size (shape "
                           f"{tuple(a.shape)})")


def _arg(a, dim, keepdim, largest):
    xp = xp_of(a._data)
    pick = xp.argmax if largest else xp.argmin
    op = "argmax" if largest else "argmin"
    if dim is None:
        if a.numel() == 0:
            raise RuntimeError(f"{op}: cannot reduce an empty tensor of shape {tuple(a.shape)}")
        out = pick(a._data.reshape(-1))
        if keepdim:
            out = out.reshape((1,) * a.ndim)
    else:
        d = _single_dim(dim, a.ndim, op)
        _nonempty_dim(a, d, op)
        out = pick(a._data, axis=d, keepdims=keepdim) if a.ndim else xp.zeros((), "int64")
    return Tensor._make(xp.asarray(out, dtype=backend.int64))


def argmax(a, dim=None, keepdim=False):
    return _arg(a, dim, keepdim, True)


def argmin(a, dim=None, keepdim=False):
    return _arg(a, dim, keepdim, False)


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(a))) over dim, stable; integers in the default float dtype (uint8 would
    wrap in the shift by the maximum), -inf over no elements. torch.special's too."""
    dims = normalize_dims(dim, a.ndim, "logsumexp")
    if a.dtype.kind != "f":
        a = a.to(backend.get_default_dtype())
    if a.numel() == 0:  # no maximum to shift by: the sum of nothing is 0
        return a.sum(dims, keepdim) - float("inf")
    m = amax(a, dims, keepdim=True).detach()
    xp = xp_of(m._data)
    m = Tensor._make(xp.where(xp.isfinite(m._data), m._data, 0))  # all -inf rows stay -inf
    out = (a - m).exp().sum(dims, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dims)


def log_softmax(a, dim=None, dtype=None):
    if dtype is not None:
        a = a.to(dtype)
    if a.dtype.kind != "f" and a.numel():
        raise TypeError(f"softmax/log_softmax: expects a floating tensor, got {a.dtype} (as in "
                        "PyTorch; convert with .float() or pass dtype=)")
    return LogSoftmax.apply(a, dim=_single_dim(-1 if dim is None else dim, a.ndim, "log_softmax"))


def softmax(a, dim=None, dtype=None):
    return log_softmax(a, dim, dtype).exp()


def cumsum(a, dim):
    d = _single_dim(dim, a.ndim, "cumsum")
    if a.ndim == 0:  # NumPy's cumsum would flatten to (1,)
        return Cumsum.apply(a.reshape(1), dim=0).reshape(())
    return Cumsum.apply(a, dim=d)


def cumprod(a, dim, dtype=None):
    if dtype is not None:
        a = a.to(dtype)
    d = _single_dim(dim, a.ndim, "cumprod")
    if a.ndim == 0:
        return Cumprod.apply(a.reshape(1), dim=0).reshape(())
    if a.dtype.kind in "biu":  # PyTorch multiplies integers and bools as int64
        a = a.to(backend.int64)
    return Cumprod.apply(a, dim=d)


def median(a, dim=None, keepdim=False):
    """The lower of the two middle values (NaN if there is one): over everything, with the
    gradient shared by the elements equal to it; or `(values, indices)` along dim."""
    xp = xp_of(a._data)
    if dim is None:
        flat = a.reshape(-1)
        data = flat._data
        if data.size == 0:
            raise RuntimeError("median: cannot take the median of an empty tensor")
        nan = xp.isnan(data) if data.dtype.kind == "f" else None
        if nan is not None and nan.any():
            hit = nan
        else:
            hit = data == xp.sort(data)[(data.size - 1) // 2]
        if a.dtype.kind != "f":
            return Tensor._make(data[hit][0])
        weights = Tensor._make((hit / hit.sum()).astype(data.dtype))
        return (flat * weights).sum()
    d = _single_dim(dim, a.ndim, "median")
    if a.ndim == 0:
        return values_indices(a * 1, Tensor._make(xp.zeros((), dtype=backend.int64)))
    _nonempty_dim(a, d, "median")
    data, n = a._data, a.shape[d]
    order = xp.argsort(data, axis=d, kind="stable")  # NaN last, as PyTorch sorts
    if data.dtype.kind == "f":  # a slice with NaN: its first NaN
        nans = xp.isnan(data).sum(axis=d, keepdims=True)
        pos = xp.where(nans > 0, n - nans, (n - 1) // 2)
    else:
        pos = xp.full(data.shape[:d] + (1,) + data.shape[d + 1:], (n - 1) // 2)
    idx = xp.take_along_axis(order, pos, axis=d).astype(backend.int64)
    values, idx = a.gather(d, Tensor._make(idx)), Tensor._make(idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values_indices(values, idx)


def var_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(a, dim, unbiased, keepdim, correction=correction), mean(a, dim, keepdim))


def std_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(a, dim, unbiased, keepdim, correction=correction), mean(a, dim, keepdim))
