"""Statistics and sorted-sequence helpers PyTorch programs use: cov, corrcoef, the trapezoid
rule, histc, unique_consecutive, searchsorted and bucketize. cov, corrcoef and the trapezoid
rule are composites (differentiable); the others return counts or indices."""
from __future__ import annotations

from collections import namedtuple

import numbers

from .. import backend
from ..tensor import Tensor
from .reduce import _single_dim

xp_of = backend.get_array_module


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance of the variables in the rows of input (observations in columns), with
    optional integer frequency weights and float observation weights.

    Shape: (N,) or (V, N) -> () or (V, V)."""
    if input.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got "
                         f"shape {tuple(input.shape)}")
    if input.dtype == backend.bool_:
        raise TypeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    if x.dtype.kind not in "fc":
        x = x.to(backend.get_default_dtype())
    n = x.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights.ndim > 1 or weights.numel() != n:
            raise ValueError(f"cov(): expected {name} to be a 1-D tensor of {n} observations, "
                             f"got shape {tuple(weights.shape)}")
        if name == "fweights" and weights.dtype.kind not in "iu":
            raise TypeError(f"cov(): expected fweights to have integral dtype, got "
                            f"{weights.dtype}")
        if bool((weights._data < 0).any()):
            raise ValueError(f"cov(): {name} cannot be negative")
        w = weights if w is None else w * weights
    if w is None:
        total = float(n)
        mean = x.mean(1, keepdim=True)
        norm = total - correction
    else:
        w = w.to(x.dtype)
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        if correction == 0:
            norm = total
        elif aweights is None:
            norm = total - correction
        else:
            norm = total - correction * (w * aweights.to(x.dtype)).sum() / total
    centred = x - mean
    weighted = centred if w is None else centred * w
    norm = norm.clamp(min=0) if isinstance(norm, Tensor) else max(norm, 0)
    out = weighted @ centred.t().conj() if x.dtype.kind == "c" else weighted @ centred.t()
    out = out / norm
    return out.squeeze()  # one variable gives a 0-d result, as in PyTorch


def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of input, in [-1, 1].

    Shape: (N,) or (V, N) -> () or (V, V)."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)


# ----------------------------------------------------------------- trapezoid rule
def _spacing(y, x, dx, d, op):
    """The intervals along dim d: from x (1-D, or y's shape), or a constant dx."""
    if x is None:
        return 1.0 if dx is None else dx
    if isinstance(x, numbers.Number):
        return x
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{op}: there must be one x value for each sample point: x has "
                               f"{x.shape[0]}, y has {y.shape[d]} along dim {d}")
        shape = [1] * y.ndim
        shape[d] = -1
        return x.diff().reshape(shape)
    return x.diff(dim=d)


def _sides(y, d):
    n = y.shape[d]
    head = y.narrow(d, 0, n - 1)
    tail = y.narrow(d, 1, n - 1)
    return head, tail


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of y along dim by the trapezoid rule, at points x or with spacing dx."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid: pass x or dx, not both")
    d = _single_dim(dim, y.ndim, "trapezoid")
    if y.ndim == 0:
        raise IndexError("trapezoid: y must have at least one dimension")
    if y.shape[d] == 0:
        return y.sum(d)
    head, tail = _sides(y, d)
    spacing = _spacing(y, x, dx, d, "trapezoid")
    return ((head + tail) * spacing).sum(d) / 2


def trapz(y, x=None, *, dx=None, dim=-1):
    """trapezoid's older name: trapz(y, x, dim=-1) or trapz(y, dx=1, dim=-1)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid integral along dim (one element fewer than y along dim)."""
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid: pass x or dx, not both")
    if y.ndim == 0:
        raise IndexError("cumulative_trapezoid: y must have at least one dimension")
    d = _single_dim(dim, y.ndim, "cumulative_trapezoid")
    if y.shape[d] == 0:
        return y * 1
    head, tail = _sides(y, d)
    spacing = _spacing(y, x, dx, d, "cumulative_trapezoid")
    return ((head + tail) * spacing / 2).cumsum(d)


# ----------------------------------------------------------------- counts and positions
def histc(input, bins=100, min=0, max=0):
    """A histogram of bins equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored. Same float dtype as input."""
    if input.dtype.kind != "f":
        raise RuntimeError(f"histc: expected a floating point input, got {input.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    if max < min:
        raise RuntimeError(f"histc: max must be larger than min, got min={min}, max={max}")
    xp = xp_of(input._data)
    data = input._data.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    inside = data[(data >= lo) & (data <= hi)]
    # PyTorch's order of operations: a value on a bin edge falls on the same side
    pos = ((inside - lo) / (hi - lo) * bins).astype(backend.int64)
    pos = xp.minimum(pos, bins - 1)  # the top edge belongs to the last bin
    counts = xp.bincount(pos, minlength=bins)[:bins]
    return Tensor._make(counts.astype(input.dtype))


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or summed weights) of input's values in `bins` equal bins
    over `range` (the data's min and max by default), or in the bins whose edges a 1-D tensor
    `bins` gives; the last bin includes its right edge. With density, hist integrates to 1."""
    if input.dtype.kind != "f":
        raise RuntimeError(f"histogram: expected a floating point input, got {input.dtype}")
    xp = xp_of(input._data)
    data = input._data.reshape(-1)
    w = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise RuntimeError(f"histogram: weight should have the same shape as input, got "
                               f"{tuple(weight.shape)} and {tuple(input.shape)}")
        w = weight._data.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins._data.astype(input.dtype)
        if edges.ndim != 1 or edges.size < 2 or bool((xp.diff(edges) < 0).any()):
            raise RuntimeError("histogram: bins must be a 1-D tensor of at least 2 increasing "
                               f"edges, got shape {tuple(bins.shape)}")
    else:
        if int(bins) <= 0:
            raise RuntimeError(f"histogram: bins must be > 0, got {bins}")
        lo, hi = ((float(data.min()), float(data.max())) if range is None and data.size
                  else tuple(map(float, range or (0.0, 0.0))))
        if lo > hi:
            raise RuntimeError(f"histogram: min should not exceed max, got min {lo} max {hi}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = xp.linspace(lo, hi, int(bins) + 1).astype(input.dtype)
    hist, _ = xp.histogram(data, bins=edges, weights=w, density=density)
    return histogram_result(Tensor._make(hist.astype(input.dtype)), Tensor._make(edges))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive elements (or slices along dim) into one; optionally
    where each element went and each run's length."""
    xp = xp_of(input._data)
    if dim is None:
        data = input._data.reshape(-1)
        moved = data.reshape(-1, 1)
    else:
        d = _single_dim(dim, input.ndim, "unique_consecutive")
        data = xp.moveaxis(input._data, d, 0)
        if input.ndim and 0 in data.shape[1:]:
            raise RuntimeError(f"unique_consecutive: there are 0-sized dimensions in shape "
                               f"{tuple(input.shape)} other than dim {dim}")
        moved = data.reshape(data.shape[0], int(data[:1].size))
    n = moved.shape[0]
    start = xp.ones(n, dtype=bool)
    if n > 1:
        start[1:] = (moved[1:] != moved[:-1]).any(axis=1)
    firsts = xp.nonzero(start)[0]
    values = data[firsts]
    out = Tensor._make(values if dim is None else xp.moveaxis(values, 0, d))
    if not (return_inverse or return_counts):
        return out
    inverse = (xp.cumsum(start) - 1).astype(backend.int64)
    counts = xp.diff(xp.concatenate([firsts, xp.asarray([n])])).astype(backend.int64)
    inverse = Tensor._make(inverse.reshape(input.shape) if dim is None else inverse)
    return ((out,) + ((inverse,) if return_inverse else ())
            + ((Tensor._make(counts),) if return_counts else ()))


def _side(right, side, op):
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"{op}: side can only be 'left' or 'right', got {side!r}")
    if right and side == "left":
        raise RuntimeError(f"{op}: side and right can't be set to opposites, got side of left "
                           "while right was True")
    return side


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each value of input would go in the innermost dim of sorted_sequence to keep it
    sorted (after equal values with right=True or side='right').

    Shape: sorted_sequence (*, M), input (*, N) with the same leading dims (or 1-D
    sorted_sequence and any input) -> input's shape."""
    side = _side(right, side, "searchsorted")
    seq = sorted_sequence._data
    xp = xp_of(seq)
    scalar = not isinstance(input, Tensor)
    values = xp.asarray(input, dtype=seq.dtype) if scalar else input._data
    if sorter is not None:
        order = sorter._data
        if order.shape != seq.shape or order.dtype.kind not in "iu":
            raise RuntimeError(f"searchsorted: sorter must be an int64 tensor of the shape of "
                               f"sorted_sequence {seq.shape}, got {order.dtype} {order.shape}")
        seq = xp.take_along_axis(seq, order, axis=-1)
    if seq.ndim == 0:
        raise RuntimeError("searchsorted: sorted_sequence must have at least one dimension")
    dtype = backend.int32 if out_int32 else backend.int64
    if seq.ndim == 1:
        out = xp.searchsorted(seq, values, side=side)
    else:
        if scalar or values.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(f"searchsorted: boundaries {seq.shape} and input "
                               f"{tuple(getattr(values, 'shape', ()))} must have the same "
                               "leading dims (all but the last)")
        rows_s = seq.reshape(-1, seq.shape[-1])
        rows_v = values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(s, v, side=side) for s, v in zip(rows_s, rows_v)])
        out = out.reshape(values.shape)
    return Tensor._make(xp.asarray(out, dtype=dtype))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of input among the 1-D sorted boundaries: i such that
    boundaries[i-1] < x <= boundaries[i] (< and >= with right=True)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be a 1-D tensor, got shape "
                           f"{tuple(boundaries.shape)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
