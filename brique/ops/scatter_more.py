"""Writing into tensors by index, out of place (their in-place forms are in the method table):
scatter and scatter_reduce (one primitive, ScatterReduce), index_copy, index_fill,
masked_scatter, put and take; Tensor.unfold (a primitive returning a strided view of windows);
and the in-place shape changes squeeze_, unsqueeze_, t_, transpose_ and swapaxes_."""
from __future__ import annotations

import math
import weakref

from .. import _inplace, autograd, backend
from ..autograd import Function
from ..tensor import Tensor
from .indexing import IndexAdd, _along, _in_range, _index_array
from .movement import pad
from .reduce import normalize_dims

xp_of = backend.get_array_module
_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _grad_to_src(g, src_shape, index_shape):
    """A gradient of shape index_shape for src (the part of src that scatter reads), padded
    with zeros to src's shape."""
    if tuple(src_shape) == tuple(index_shape):
        return g
    widths = []
    for s, n in zip(reversed(src_shape), reversed(index_shape)):
        widths += [0, s - n]
    return pad(g, widths)


class ScatterReduce(Function):
    """out = a with src[i] combined into out[index[i]] along dim: 'assign' (scatter), or a
    reduction with or without a's own value. The backward is g times weights fixed at forward
    (exact for assign, sum and mean; for amax/amin the gradient is split evenly among ties; for
    prod it is the product of the others, first order only)."""

    def forward(self, a, src, dim=0, index=None, reduce="assign", include_self=True):
        xp = xp_of(a)
        self.dim, self.index, self.src_shape = dim, index, src.shape
        full = _along(index, dim)
        srcr = src[tuple(slice(0, n) for n in index.shape)].astype(a.dtype, copy=False)
        hit = xp.zeros(a.shape, dtype=bool)
        hit[full] = True
        keep = ~hit if reduce == "assign" or not include_self else xp.ones(a.shape, bool)
        w_out, w_src = None, None
        if reduce == "assign":
            out = a.copy()
            out[full] = srcr
            w_self = keep.astype(a.dtype)
        elif reduce in ("sum", "mean"):
            out = xp.where(keep, a, 0).astype(a.dtype)
            xp.add.at(out, full, srcr)
            w_self = keep.astype(a.dtype)
            if reduce == "mean":
                count = keep.astype(a.dtype)
                xp.add.at(count, full, 1)
                count = xp.maximum(count, 1)
                out = out // count if a.dtype.kind in "iu" else out / count
                w_self, w_out = w_self / count, 1 / count
        elif reduce in ("amax", "amin"):
            big = xp.inf if a.dtype.kind == "f" else xp.iinfo(a.dtype).max
            out = xp.where(keep, a, -big if reduce == "amax" else big).astype(a.dtype)
            (xp.maximum if reduce == "amax" else xp.minimum).at(out, full, srcr)
            eq_self = keep & (a == out)
            eq_src = srcr == out[full]
            n = eq_self.astype(a.dtype)
            xp.add.at(n, full, eq_src.astype(a.dtype))
            w_self, w_out, w_src = eq_self / xp.maximum(n, 1), 1 / xp.maximum(n, 1), eq_src
        else:  # prod
            base = xp.where(keep, a, 1).astype(a.dtype)
            out = base.copy()
            xp.multiply.at(out, full, srcr)
            # the product of the others: count the zeros at each output position
            zeros = (keep & (a == 0)).astype(backend.int64)
            xp.add.at(zeros, full, (srcr == 0).astype(backend.int64))
            nonzero = xp.where(base == 0, 1, base)
            xp.multiply.at(nonzero, full, xp.where(srcr == 0, 1, srcr))
            w_self = keep * self._others(xp, a, zeros, nonzero)
            w_src = self._others(xp, srcr, zeros[full], nonzero[full])
        self.weights = [None if w is None else xp.asarray(w, dtype=a.dtype)
                        for w in (w_self, w_out, w_src)] if a.dtype.kind == "f" else None
        return out

    @staticmethod
    def _others(xp, values, zeros, nonzero):
        safe = xp.where(values == 0, 1, values)
        return xp.where(values == 0, xp.where(zeros == 1, nonzero, 0),
                        xp.where(zeros == 0, nonzero / safe, 0))

    def backward(self, g):
        w_self, w_out, w_src = (None if w is None else Tensor._make(w) for w in self.weights)
        ga = g * w_self
        gs = (g if w_out is None else g * w_out).gather(self.dim, Tensor._make(self.index))
        if w_src is not None:
            gs = gs * w_src
        return ga, _grad_to_src(gs, self.src_shape, self.index.shape)


def _fill_value(value, dtype, op):
    """A number to write into an integer tensor, as PyTorch converts it: refused when it does
    not fit (a float outside the dtype's range, NaN, inf), wrapped for a negative int into
    uint8."""
    if isinstance(value, Tensor) or dtype.kind not in "iu":
        return value
    bits = 8 * dtype.itemsize
    top = 2 ** bits - 1 if dtype.kind == "u" else 2 ** (bits - 1) - 1
    low = 0 if dtype.kind == "u" and not isinstance(value, int) else -2 ** 63
    if not (math.isfinite(value) and low <= value <= top):
        raise RuntimeError(f"{op}: value {value} cannot be converted to type {dtype} without "
                           "overflow")
    return int(value) % 2 ** bits if dtype.kind == "u" else int(value)


def _check_dim(dim, ndim, op):
    """dim made non-negative; a 0-d tensor takes dim 0 or -1, as one element along dim 0."""
    return normalize_dims(dim, ndim, op)[0] if ndim else (normalize_dims(dim, 0, op), 0)[1]


def _scatter_args(a, dim, index, src, op):
    d = _check_dim(dim, a.ndim, op)
    idx = _index_array(index, op)
    if idx.size and idx.ndim != a.ndim and not (a.ndim == 0 and idx.ndim == 1):
        raise RuntimeError(f"{op}: Index tensor must have the same number of dimensions as "
                           f"self tensor, got index {idx.shape} and self {tuple(a.shape)}")
    for k, n in enumerate(idx.shape if idx.size else ()):  # an empty index is not checked
        if (isinstance(src, Tensor) and n > src.shape[k]) or (k != d and n > a.shape[k]):
            raise RuntimeError(f"{op}: Expected index {idx.shape} to be smaller than self "
                               f"{tuple(a.shape)} apart from dimension {d} and to be smaller "
                               f"than src {tuple(src.shape) if isinstance(src, Tensor) else ''}")
    _in_range(idx, a.shape[d] if a.ndim else 1, d, op)
    if not isinstance(src, Tensor):
        value = _fill_value(src, a.dtype, op) if idx.size else 0
        src = Tensor._make(xp_of(a._data).full(idx.shape, value, dtype=a.dtype))
    return d, idx, src


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """input with src (a tensor, or the number value) written at index along dim:
    out[i][index[i][j]] = src[i][j] for dim 1; reduce='add' or 'multiply' combines instead."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: expects src (a tensor) or value (a number)")
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"scatter: reduce argument must be either add or multiply, got "
                           f"{reduce!r}")
    d, idx, src = _scatter_args(input, dim, index, src, "scatter")
    if src.dtype != input.dtype and isinstance(src, Tensor) and src.requires_grad:
        raise RuntimeError(f"scatter: expected self and src to have the same dtype, got "
                           f"{input.dtype} and {src.dtype}")
    mode = {None: "assign", "add": "sum", "multiply": "prod"}[reduce]
    if input.ndim == 0 and idx.ndim == 0:  # one element: worked as a 1-D tensor of one
        return ScatterReduce.apply(input.reshape(1), src.reshape(1), dim=0,
                                   index=idx.reshape(1), reduce=mode).reshape(())
    return ScatterReduce.apply(input, src, dim=d, index=idx, reduce=mode)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """input with the elements of src reduced ('sum', 'prod', 'mean', 'amax', 'amin') into the
    positions index gives along dim, with input's own value unless include_self=False."""
    if reduce not in _REDUCES:
        raise RuntimeError(f"scatter_reduce: reduce argument must be one of {_REDUCES}, got "
                           f"{reduce!r}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce: src must be a tensor, got {type(src).__name__}")
    if src.dtype != input.dtype:
        raise RuntimeError(f"scatter_reduce: expected self and src to have the same dtype, got "
                           f"{input.dtype} and {src.dtype}")
    if input.dtype == backend.bool_:  # or/and in integers (NumPy's add.at refuses bool)
        if reduce == "mean":
            raise RuntimeError("scatter_reduce: reduce='mean' is not implemented for bool")
        return scatter_reduce(input.to(backend.int64), dim, index, src.to(backend.int64),
                              reduce, include_self=include_self) != 0
    d, idx, src = _scatter_args(input, dim, index, src, "scatter_reduce")
    if input.ndim == 0 and idx.ndim == 0:  # one element: worked as a 1-D tensor of one
        return ScatterReduce.apply(input.reshape(1), src.reshape(1), dim=0,
                                   index=idx.reshape(1), reduce=reduce,
                                   include_self=include_self).reshape(())
    return ScatterReduce.apply(input, src, dim=d, index=idx, reduce=reduce,
                               include_self=include_self)


def _dim_mask(a, d, idx):
    """A bool tensor, true on the slices of a along d that idx names (broadcastable to a)."""
    xp = xp_of(a._data)
    shape = [1] * a.ndim
    shape[d] = a.shape[d]
    mask = xp.zeros(a.shape[d], dtype=bool)
    mask[idx] = True
    return Tensor._make(mask.reshape(shape))


def _slice_size(a, d):
    n = 1
    for k, size in enumerate(a.shape):
        n *= size if k != d else 1
    return n


def index_copy(input, dim, index, source):
    """input with the slices of source copied at index along dim (for a repeated index, the
    last one wins)."""
    from .elementwise import where
    d = _check_dim(dim, input.ndim, "index_copy")
    idx = _index_array(index, "index_copy").reshape(-1)
    a = input.reshape(1) if input.ndim == 0 else input
    s = source.reshape(1) if source.ndim == 0 else source
    expected = tuple(a.shape[:d]) + (idx.size,) + tuple(a.shape[d + 1:])
    if tuple(s.shape) != expected:
        raise RuntimeError(f"index_copy: source must have shape {expected} (self "
                           f"{tuple(input.shape)} with {idx.size} indices along dim {d}), got "
                           f"{tuple(source.shape)}")
    if _slice_size(a, d):  # PyTorch checks no index where a slice holds nothing
        _in_range(idx, a.shape[d], d, "index_copy")
    if idx.size == 0 or input.numel() == 0:
        return input.clone()
    xp = xp_of(idx)
    where_from = xp.zeros(a.shape[d], dtype=backend.int64)
    where_from[idx] = xp.arange(idx.size)  # the last of repeated indices wins
    moved = s.index_select(d, Tensor._make(where_from))
    out = where(_dim_mask(a, d, idx), moved, a).to(input.dtype)
    return out.reshape(input.shape)


def index_fill(input, dim, index, value):
    """input with the slices at index along dim set to value (a number or a 0-d tensor)."""
    from .elementwise import where
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill: only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s)")
    d = _check_dim(dim, input.ndim, "index_fill")
    idx = _index_array(index, "index_fill").reshape(-1)
    a = input.reshape(1) if input.ndim == 0 else input
    value = _fill_value(value, input.dtype, "index_fill")
    if _slice_size(a, d):  # PyTorch checks no index where a slice holds nothing
        _in_range(idx, a.shape[d], d, "index_fill")
    if input.numel() == 0:
        return input.clone()
    out = where(_dim_mask(a, d, idx), value, a)
    return out.to(input.dtype).reshape(input.shape)


def masked_scatter(input, mask, source):
    """input with its elements where mask (broadcast) is true replaced, in order, by the first
    elements of source."""
    from .elementwise import where
    from .movement import broadcast_shapes
    m = mask._data if isinstance(mask, Tensor) else mask
    if m.dtype != bool:
        raise RuntimeError(f"masked_scatter: expected a bool mask, got {m.dtype}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got {input.dtype} and {source.dtype}")
    xp = xp_of(m)
    shape = broadcast_shapes(tuple(input.shape), m.shape)
    if tuple(shape) != tuple(input.shape):
        raise RuntimeError(f"masked_scatter: mask {m.shape} must broadcast to self's shape "
                           f"{tuple(input.shape)}")
    m = xp.broadcast_to(m, shape)
    count = int(m.sum())
    if count > source.numel():
        raise RuntimeError(f"masked_scatter: expected source to have at least {count} elements "
                           f"(the true values of mask), got {source.numel()}")
    order = xp.maximum(xp.cumsum(m.reshape(-1)) - 1, 0).astype(backend.int64)
    taken = source.reshape(-1)[order].reshape(shape) if source.numel() else input
    return where(Tensor._make(m), taken, input)


def _flat_index(input, index, op):
    idx = _index_array(index, op)
    n = input.numel()
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < -n else int(idx.max())
        raise IndexError(f"{op}: out of range: tried to access index {bad} on a tensor of "
                         f"{n} elements")
    return xp_of(idx).where(idx < 0, idx + n, idx)


def take(input, index):
    """The elements of the flattened input at index, in index's shape."""
    return input.reshape(-1)[_flat_index(input, index, "take")]


def put(input, index, source, accumulate=False):
    """input (flattened) with source's elements written at index, or added with accumulate."""
    from .indexing import index_add
    idx = _flat_index(input, index, "put").reshape(-1)
    if source.numel() != idx.size:
        raise RuntimeError(f"put: expected source and index to have the same number of "
                           f"elements, got {source.numel()} and {idx.size}")
    flat, src = input.reshape(-1), source.reshape(-1).to(input.dtype)
    idx = Tensor._make(idx)
    out = index_add(flat, 0, idx, src) if accumulate else index_copy(flat, 0, idx, src)
    return out.reshape(input.shape)


# ----------------------------------------------------------------- windows
class Unfold(Function):
    """The windows of `size` elements every `step` along dim, as a new last dim: a strided
    view of the input. The backward adds each window's gradient back where it came from."""

    def forward(self, a, dim=0, size=1, step=1):
        self.shape, self.dim, self.size, self.step = a.shape, dim, size, step
        n = (a.shape[dim] - size) // step + 1
        shape = a.shape[:dim] + (n,) + a.shape[dim + 1:] + (size,)
        strides = (a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:]
                   + (a.strides[dim],))
        return xp_of(a).lib.stride_tricks.as_strided(a, shape, strides)

    def backward(self, g):
        xp = xp_of(g._data)
        d = self.dim
        n = g.shape[d]
        windows = xp.arange(n)[:, None] * self.step + xp.arange(self.size)
        g = g.movedim(-1, d + 1)  # the window's elements next to the window number
        return IndexAdd.apply(g, shape=self.shape, index=(slice(None),) * d + (windows,),
                              advanced=True)


def unfold(input, dimension, size, step):
    """Tensor.unfold: every window of `size` elements, `step` apart, along `dimension`.

    Shape: dim d of size n becomes (n - size) // step + 1, and a last dim of `size` is added."""
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if input.ndim == 0:
        normalize_dims(dimension, 0, "unfold")
        if size > 1:
            raise RuntimeError(f"unfold: maximum size for tensor at dimension 0 is 1 but size "
                               f"is {size}")
        return input.reshape(size)
    d = normalize_dims(dimension, input.ndim, "unfold")[0]
    if not 0 <= size <= input.shape[d]:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is "
                           f"{input.shape[d]} but size is {size}")
    return Unfold.apply(input, dim=d, size=size, step=step)


# ----------------------------------------------------------------- in-place shape changes
def _reshape_inplace(name, fn):
    """An in-place view op (the tensor takes the new shape, its data unchanged). In a graph the
    tensor becomes the view of what it was, recorded as _inplace records other in-place ops, so
    nodes that used it before read the old one."""
    def method(self, *args):
        if not (autograd.is_grad_enabled() and self.requires_grad):
            self._data = fn(self.detach(), *args)._data
            return self
        if self._ctx is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        version = self._vc[0]
        old = Tensor._make(self._data)
        old._ctx, old.requires_grad, old._vc = self._ctx, True, [version]
        new = fn(old, *args)
        _inplace.recorded = True
        self._vc[0] += 1
        if getattr(self, "_history", None) is None:
            self._history = {}
        self._history[version] = old
        self._data, self._ctx = new._data, new._ctx
        new._ctx._out, new._ctx.out_version = weakref.ref(self), self._vc[0]
        return self
    method.__name__ = name
    return method


squeeze_ = _reshape_inplace("squeeze_", lambda a, *dim: a.squeeze(*dim))
unsqueeze_ = _reshape_inplace("unsqueeze_", lambda a, dim: a.unsqueeze(dim))
t_ = _reshape_inplace("t_", lambda a: a.t())
transpose_ = _reshape_inplace("transpose_", lambda a, d0, d1: a.transpose(d0, d1))
swapaxes_ = _reshape_inplace("swapaxes_", lambda a, d0, d1: a.transpose(d0, d1))
