"""adaptive_max_pool3d and index_reduce, both composites (autograd comes free):
adaptive_max_pool3d gathers each output's window along D, H and W (as the 2-D form does) and
takes its first maximum; index_reduce is scatter_reduce with the 1-D index spread over the
source's shape."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .adaptive_pool import _adaptive_size, _adaptive_windows
from .indexing import _in_range, _index_array
from .scatter_more import _check_dim, scatter_reduce

xp_of = backend.get_array_module
_INDEX_REDUCES = ("prod", "mean", "amax", "amin")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (None keeps that input size): output (i, j, l) is
    the first maximum of depths [floor(i D / od), ceil((i + 1) D / od)) and the rows and
    columns alike; the indices are flat over D * H * W, as PyTorch's.

    Shape: input (N, C, D, H, W) or (C, D, H, W); output (N, C, *output_size)."""
    name = "adaptive_max_pool3d"
    if isinstance(input, Tensor) and input.ndim not in (4, 5):
        raise RuntimeError(f"{name}: expected a 4-D (unbatched) or 5-D (batched) input, got "
                           f"shape {tuple(input.shape)}")
    size = _adaptive_size(name, input, output_size, 3)
    if input.dtype.kind != "f":  # PyTorch has floating kernels only
        raise RuntimeError(f"{name}: not implemented for {input.dtype} input")
    xp = xp_of(input._data)
    lead, dims = tuple(input.shape[:-3]), tuple(input.shape[-3:])
    if 0 in size:  # nothing to pool
        empty = xp.zeros(lead + size)
        out = Tensor._make(empty.astype(input.dtype))
        return (out, Tensor._make(empty.astype(backend.int64))) if return_indices else out
    windows = [_adaptive_windows(n, o, xp) for n, o in zip(dims, size)]
    x = input
    for axis, w in zip((-3, -2, -1), windows):
        x = x.index_select(axis, Tensor._make(w.reshape(-1)))
    (od, kd), (oh, kh), (ow, kw) = (w.shape for w in windows)
    k = len(lead)
    x = x.reshape(lead + (od, kd, oh, kh, ow, kw))
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3, k + 5)   # (..., od, oh, ow, kd, kh, kw)
    values, arg = x.reshape(lead + size + (kd * kh * kw,)).max(-1)
    if not return_indices:
        return values
    a = arg._data
    d_i, h_i, w_i = a // (kh * kw), (a // kw) % kh, a % kw
    depth = windows[0][xp.arange(od)[:, None, None], d_i]
    row = windows[1][xp.arange(oh)[:, None], h_i]
    col = windows[2][xp.arange(ow), w_i]
    flat = (depth * dims[1] + row) * dims[2] + col
    return values, Tensor._make(flat.astype(backend.int64))


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """input with the slices of source reduced ('prod', 'mean', 'amax', 'amin') into the
    slices index names along dim (with input's own slice unless include_self=False):
    out[..., index[i], ...] = reduce(input[..., index[i], ...], source[..., i, ...]).

    Shape: index (K,); source like input except size K along dim -> input's shape."""
    op = "index_reduce"
    if reduce not in _INDEX_REDUCES:
        raise RuntimeError(f"{op}: reduce must be one of {', '.join(_INDEX_REDUCES)}, got "
                           f"{reduce!r}")
    for arg, what in ((input, "input"), (source, "source")):
        if not isinstance(arg, Tensor):
            raise TypeError(f"{op}: {what} must be a tensor, got {type(arg).__name__}")
    idx = _index_array(index, op)
    if idx.ndim > 1:
        raise IndexError(f"{op}: index must be a vector (0-D or 1-D), got shape {idx.shape}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"{op}: input ({input.dtype}) and source ({source.dtype}) must have "
                           "the same dtype")
    if input.ndim == 0:  # one element: worked as a 1-D tensor of one
        _check_dim(dim, 0, op)
        if source.ndim != 0 or idx.size != 1:
            raise RuntimeError(f"{op}: a 0-D input takes a 0-D source and one index, got "
                               f"source {tuple(source.shape)} and index {idx.shape}")
        return index_reduce(input.reshape(1), 0, idx.reshape(1), source.reshape(1), reduce,
                            include_self=include_self).reshape(())
    d = _check_dim(dim, input.ndim, op)
    idx = idx.reshape(-1)
    expected = tuple(input.shape[:d]) + (idx.size,) + tuple(input.shape[d + 1:])
    if tuple(source.shape) != expected:
        raise RuntimeError(f"{op}: source of shape {tuple(source.shape)} must match input "
                           f"{tuple(input.shape)} apart from dim {d}, where it holds the "
                           f"{idx.size} indices: expected {expected}")
    _in_range(idx, input.shape[d], d, op)
    view = [1] * input.ndim
    view[d] = idx.size
    spread = xp_of(idx).broadcast_to(idx.reshape(view), expected)
    return scatter_reduce(input, d, Tensor._make(spread), source, reduce,
                          include_self=include_self)
