"""More reductions PyTorch programs use: torch.all/any, the NaN-ignoring reductions, quantiles,
kthvalue, mode, cummax/cummin, logcumsumexp, aminmax, msort, dist and renorm. All are
composites (a sort or an index found on the arrays, then differentiable gathers), except
LogCumSumExp, a primitive for stability (exp of a large range overflows or underflows)."""
from __future__ import annotations

import math
import numbers
from collections import namedtuple

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .reduce import _single_dim, normalize_dims, values_indices

xp_of = backend.get_array_module
aminmax_result = namedtuple("aminmax", ["min", "max"])


def _check_dim_list(dim, ndim, op):
    if dim is None:
        return None
    return normalize_dims(dim, ndim, op)  # which refuses a dim listed twice


def all(input, dim=None, keepdim=False):
    """Whether every element (over `dim`, an int or a tuple) is nonzero: bool (uint8 kept)."""
    dims = _check_dim_list(dim, input.ndim, "all")
    out = input._data.all(axis=dims, keepdims=keepdim)
    return Tensor._make(xp_of(out).asarray(out, dtype=backend.uint8 if input.dtype ==
                                           backend.uint8 else backend.bool_))


def any(input, dim=None, keepdim=False):
    """Whether some element (over `dim`, an int or a tuple) is nonzero: bool (uint8 kept)."""
    dims = _check_dim_list(dim, input.ndim, "any")
    out = input._data.any(axis=dims, keepdims=keepdim)
    return Tensor._make(xp_of(out).asarray(out, dtype=backend.uint8 if input.dtype ==
                                           backend.uint8 else backend.bool_))


# ----------------------------------------------------------------- NaN-ignoring
def _nan_mask(a):
    return Tensor._make(xp_of(a._data).isnan(a._data))


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum treating NaN as zero."""
    from .elementwise import where
    _check_dim_list(dim, input.ndim, "nansum")
    a = input if input.dtype.kind != "f" else where(_nan_mask(input), 0.0, input)
    return a.sum(dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """mean over the non-NaN elements (NaN where there are none)."""
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected a floating point input, got {input.dtype}")
    _check_dim_list(dim, input.ndim, "nanmean")
    count = (~_nan_mask(input)).sum(dim, keepdim).to(input.dtype)
    return nansum(input, dim, keepdim) / count


def _moved(a, d):
    """a with dim d last (a view), to work along the last axis."""
    return a.movedim(d, -1) if a.ndim else a.reshape(1)


def _pick_sorted(a, d, positions, keepdim):
    """(values, indices) of the elements at `positions` (an int array shaped like a with dim d
    of size 1) of a sorted along d, NaN last."""
    xp = xp_of(a._data)
    order = xp.argsort(a._data, axis=d, kind="stable")
    idx = Tensor._make(xp.take_along_axis(order, positions, axis=d).astype(backend.int64))
    values = a.gather(d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values_indices(values, idx)


def nanmedian(input, dim=None, keepdim=False):
    """The lower middle of the non-NaN values (NaN if all are): over everything, or
    `(values, indices)` along dim."""
    from .reduce import median
    if input.dtype == backend.bool_:
        raise RuntimeError("nanmedian: not implemented for bool tensors")
    if input.dtype.kind != "f":
        return median(input, dim, keepdim)
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:  # PyTorch's answer for no values at all
            return Tensor._make(xp_of(flat._data).full((), math.nan, flat.dtype))
        n = int((~xp_of(flat._data).isnan(flat._data)).sum())
        pos = xp_of(flat._data).full((1,), max((n - 1) // 2, 0))
        return _pick_sorted(flat, 0, pos, False).values
    if input.ndim == 0:
        _single_dim(dim, 0, "nanmedian")
        return values_indices(input.clone(),
                              Tensor._make(xp_of(input._data).zeros((), "int64")))
    d = _single_dim(dim, input.ndim, "nanmedian")
    if input.shape[d] == 0:
        raise RuntimeError(f"nanmedian: dim {d} of shape {tuple(input.shape)} is empty")
    valid = (~xp_of(input._data).isnan(input._data)).sum(axis=d, keepdims=True)
    pos = xp_of(valid).where(valid == 0, (input.shape[d] - 1) // 2, (valid - 1) // 2)
    return _pick_sorted(input, d, pos, keepdim)


# ----------------------------------------------------------------- quantiles
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(a, q, dim, keepdim, interpolation, ignore_nan, op):
    from .elementwise import where
    if a.dtype.kind != "f":
        raise RuntimeError(f"{op}(): input tensor must be either float or double dtype, got "
                           f"{a.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{op}(): interpolation must be one of {_INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    xp = xp_of(a._data)
    scalar_q = isinstance(q, numbers.Real)
    if isinstance(q, Tensor) and q.dtype != a.dtype:
        raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor: q is "
                           f"{q.dtype}, input {a.dtype}")
    qs = xp.asarray([q] if scalar_q else (q._data if isinstance(q, Tensor) else q),
                    dtype=a._data.dtype)
    if qs.ndim > 1:
        raise RuntimeError(f"{op}(): q must be a scalar or 1D tensor, got shape {qs.shape}")
    if qs.size and (float(qs.min()) < 0 or float(qs.max()) > 1):
        raise RuntimeError(f"{op}(): q values must be in the range [0, 1]")
    if a.numel() == 0:
        raise RuntimeError(f"{op}(): input tensor must be non-empty")
    if dim is None:
        src, d = a.reshape(-1), 0
    else:
        d = _single_dim(dim, a.ndim, op)
        src = _moved(a, d)
    data = src._data
    order = xp.argsort(data, axis=-1, kind="stable")  # NaN last
    ordered = src.gather(-1, Tensor._make(order.astype(backend.int64)))
    n = data.shape[-1]
    nans = xp.isnan(data).sum(axis=-1, keepdims=True)
    count = (n - nans) if ignore_nan else xp.full_like(nans, n)
    rank = qs * (xp.maximum(count, 1) - 1).astype(data.dtype)  # (..., len(q))
    if interpolation == "nearest":  # round half to even, as PyTorch's
        lo = hi = xp.round(rank)
    else:
        lo, hi = xp.floor(rank), xp.ceil(rank)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    lo_t = ordered.gather(-1, Tensor._make(lo.astype(backend.int64)))
    hi_t = ordered.gather(-1, Tensor._make(hi.astype(backend.int64)))
    if interpolation in ("lower", "higher", "nearest"):  # one value: inf - inf gives no NaN
        out = lo_t
    elif interpolation == "midpoint":
        out = lo_t + (hi_t - lo_t) * 0.5
    else:
        w = (rank - lo).astype(data.dtype)
        # PyTorch's lerp: from the nearer end, so an infinite end gives what PyTorch gives
        step = (hi_t - lo_t) * Tensor._make(xp.where(w < 0.5, w, 1 - w))
        out = where(Tensor._make(w < 0.5), lo_t + step, hi_t - step)
    undefined = (count == 0) if ignore_nan else (nans > 0)  # all NaN, or any NaN for quantile
    out = where(Tensor._make(xp.broadcast_to(undefined, out.shape)), float("nan"), out)
    out = out.movedim(-1, 0)  # q first, as PyTorch lays it out
    if keepdim and dim is None:
        out = out.reshape((out.shape[0],) + (1,) * a.ndim)
    elif keepdim and a.ndim:
        out = out.unsqueeze(d + 1)
    return out.squeeze(0) if scalar_q else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q a number or a 1-D tensor in [0, 1]) over dim, or everything.

    Shape: with a 1-D q of length k the result gains a first dim of size k."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile over the non-NaN values (NaN where there are none)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# ----------------------------------------------------------------- order statistics
def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest element (k from 1) along dim, as (values, indices)."""
    if input.ndim == 0:
        _single_dim(dim, 0, "kthvalue")
        if k != 1:
            raise IndexError(f"kthvalue(): k ({k}) out of range for a 0-d tensor")
        return values_indices(input.clone(),
                              Tensor._make(xp_of(input._data).zeros((), "int64")))
    if input.dtype == backend.bool_:
        raise RuntimeError("kthvalue(): not implemented for bool tensors")
    d = _single_dim(dim, input.ndim, "kthvalue")
    if not 1 <= k <= input.shape[d]:
        raise IndexError(f"kthvalue(): selected number k ({k}) out of range for dimension {d} "
                         f"of size {input.shape[d]}")
    shape = tuple(1 if i == d else s for i, s in enumerate(input.shape))
    return _pick_sorted(input, d, xp_of(input._data).full(shape, k - 1), keepdim)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along dim (the smallest among equally frequent ones) and the
    index of its last occurrence, as (values, indices)."""
    xp = xp_of(input._data)
    if input.ndim == 0:
        _single_dim(dim, 0, "mode")
        return values_indices(input.clone(), Tensor._make(xp.zeros((), "int64")))
    d = _single_dim(dim, input.ndim, "mode")
    if input.shape[d] == 0:
        raise IndexError(f"mode(): expected reduction dim {d} to have non-zero size")
    data = xp.moveaxis(input._data, d, -1)
    s = xp.sort(data, axis=-1)
    n = s.shape[-1]
    # run lengths in the sorted values: the first longest run is the smallest mode
    start = xp.concatenate([xp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], -1)
    pos = xp.broadcast_to(xp.arange(n), s.shape)
    first = xp.maximum.accumulate(xp.where(start, pos, 0), axis=-1)
    length = pos - first + 1
    best = xp.take_along_axis(s, xp.argmax(length, axis=-1)[..., None], -1)
    hit = data == best
    last = (n - 1 - xp.argmax(hit[..., ::-1], axis=-1))[..., None]
    idx = Tensor._make(xp.moveaxis(last, -1, d).astype(backend.int64))
    values = input.gather(d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values_indices(values, idx)


def _cum_extreme(input, dim, largest, op):
    xp = xp_of(input._data)
    if input.ndim == 0:
        _single_dim(dim, 0, op)
        return values_indices(input.clone(), Tensor._make(xp.zeros((), "int64")))
    d = _single_dim(dim, input.ndim, op)
    data = input._data
    running = (xp.maximum if largest else xp.minimum).accumulate(data, axis=d)
    hit = data == running  # a later tie takes the index, as in PyTorch
    if data.dtype.kind == "f":
        hit |= xp.isnan(data)  # NaN propagates, its position is the index
    shape = [1] * data.ndim
    shape[d] = data.shape[d]
    pos = xp.where(hit, xp.arange(data.shape[d]).reshape(shape), 0)
    idx = Tensor._make(xp.maximum.accumulate(pos, axis=d).astype(backend.int64))
    return values_indices(input.gather(d, idx), idx)


def cummax(input, dim):
    """The running maximum along dim and where it was found, as (values, indices)."""
    return _cum_extreme(input, dim, True, "cummax")


def cummin(input, dim):
    return _cum_extreme(input, dim, False, "cummin")


class LogCumSumExp(Function):
    """log(cumsum(exp(a))) along dim, fused for stability (logaddexp.accumulate)."""

    def forward(self, a, dim=0):
        self.dim = dim
        return xp_of(a).logaddexp.accumulate(a, axis=dim)

    def backward(self, g):
        # d out_j / d a_k = exp(a_k - out_j) for j >= k: the gradient is exp(a_k) times the
        # reversed cumulative sum of g_j exp(-out_j), taken in log space for each sign of g.
        (a,) = self.saved
        d, out = self.dim, self.saved_output
        xp = xp_of(g._data)
        total = None
        for sign in (1.0, -1.0):
            part = (g * sign).clamp(min=0)
            if not part._data.any():
                continue
            p = part._data
            with_log = Tensor._make(xp.where(p > 0, xp.log(xp.where(p > 0, p, 1)), -xp.inf)) - out
            rev = logcumsumexp(with_log.flip(d), d).flip(d)
            term = (rev + a).exp() * sign
            total = term if total is None else total + term
        return g * 0 if total is None else total


def logcumsumexp(input, dim):
    if input.dtype.kind != "f":
        raise RuntimeError(f"logcumsumexp(): expected a floating point input, got "
                           f"{input.dtype}")
    d = _single_dim(dim, input.ndim, "logcumsumexp")
    if input.ndim == 0:
        return input * 1
    return LogCumSumExp.apply(input, dim=d)


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over dim or everything, as a named tuple with .min and .max."""
    empty = input.numel() == 0 if dim is None else \
        input.ndim and input.shape[_single_dim(dim, input.ndim, "aminmax")] == 0
    if empty:  # only the reduced dim matters: other empty dims give an empty result
        raise RuntimeError(f"aminmax(): cannot compute aminmax over an empty dimension (shape "
                           f"{tuple(input.shape)}, dim={dim})")
    if dim is None and keepdim:
        dim = tuple(range(input.ndim))
    if input.numel() == 0:  # the reduced dim is not empty, another one is
        d = _single_dim(dim, input.ndim, "aminmax")
        shape = [1 if i == d else n for i, n in enumerate(input.shape) if keepdim or i != d]
        empty = xp_of(input._data).empty(tuple(shape), input.dtype)
        return aminmax_result(Tensor._make(empty), Tensor._make(empty.copy()))
    return aminmax_result(input.amin(dim, keepdim), input.amax(dim, keepdim))


def msort(input):
    """input sorted along its first dim."""
    return input.clone() if input.ndim == 0 else input.sort(0).values


def dist(input, other, p=2):
    """The p-norm of input - other (broadcast)."""
    if isinstance(p, Tensor):
        p = p.item()
    if backend.bool_ in (input.dtype, other.dtype) or \
            backend.result_type(input, other).kind != "f":
        raise RuntimeError(f"dist: expected floating point tensors, got {input.dtype} and "
                           f"{other.dtype}")
    diff = input - other
    if p == 0:
        return (diff != 0).sum().to(diff.dtype)
    return diff.norm(p)


def renorm(input, p, dim, maxnorm):
    """Each slice along dim whose p-norm (over the other dims) exceeds maxnorm, scaled down to
    that norm."""
    from .elementwise import where
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim}")
    if not isinstance(p, numbers.Real) or p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _single_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norm = input.norm(p if not math.isinf(p) else float("inf"), others, keepdim=True)
    over = Tensor._make(norm._data > maxnorm)
    return input * where(over, maxnorm / (norm + 1e-7), 1.0)
