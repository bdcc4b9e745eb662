"""keras.ops' NumPy-like functions that move, join, cut and index tensors (reshape,
concatenate, split, pad, take, ...), with NumPy's semantics (split at indices, pad widths per
axis, take flattening when axis=None), on brique Tensors."""
from __future__ import annotations

import numpy as np

from ...ops.indexing import index_select, take_along_dim
from ...ops.linalg import einsum as _einsum
from ...ops.movement import cat, flip as _flip, movedim, repeat_interleave, stack as _stack
from ...ops.structure_products import tensordot as _tensordot
from ...nn import functional as F
from ...tensor import Tensor
from .core import convert_to_tensor as _t


def _axis(axis, ndim, op):
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % max(ndim, 1)


def reshape(x, newshape):
    newshape = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    return _t(x).reshape(tuple(-1 if d is None else d for d in newshape))


def ravel(x):
    return _t(x).reshape(-1)


def transpose(x, axes=None):
    x = _t(x)
    return x.permute(*(range(x.ndim - 1, -1, -1) if axes is None else axes))


def swapaxes(x, axis1, axis2):
    return _t(x).swapaxes(axis1, axis2)


def moveaxis(x, source, destination):
    return movedim(_t(x), source, destination)


def expand_dims(x, axis):
    x = _t(x)
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    ndim = x.ndim + len(axes)
    for a in sorted(_axis(a, ndim, "expand_dims") for a in axes):
        x = x.unsqueeze(a)
    return x


def squeeze(x, axis=None):
    x = _t(x)
    if axis is None:
        return x.reshape(tuple(d for d in x.shape if d != 1))
    axes = sorted((_axis(a, x.ndim, "squeeze") for a in
                   (axis if isinstance(axis, (list, tuple)) else (axis,))), reverse=True)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: cannot squeeze axis {a} of size {x.shape[a]} "
                             f"(shape {tuple(x.shape)})")
        x = x.squeeze(a)
    return x


def broadcast_to(x, shape):
    return _t(x).broadcast_to(tuple(shape))


def flip(x, axis=None):
    x = _t(x)
    axes = range(x.ndim) if axis is None else (axis if isinstance(axis, (list, tuple))
                                               else (axis,))
    return _flip(x, tuple(axes))


def tile(x, repeats):
    return _t(x).tile(tuple(repeats) if isinstance(repeats, (list, tuple)) else (repeats,))


def repeat(x, repeats, axis=None):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    if not isinstance(repeats, int):
        repeats = _t(repeats).long()
    return repeat_interleave(x, repeats, axis)


# -------------------------------------------------------------- joining and cutting
def _tensors(xs, op):
    if isinstance(xs, Tensor) or not isinstance(xs, (list, tuple)) or not xs:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    return [_t(x) for x in xs]


def concatenate(xs, axis=0):
    xs = _tensors(xs, "concatenate")
    if axis is None:
        return cat([x.reshape(-1) for x in xs], 0)
    return cat(xs, axis)


def stack(x, axis=0):
    return _stack(_tensors(x, "stack"), axis)


def hstack(xs):
    xs = _tensors(xs, "hstack")
    return cat(xs, 0 if xs[0].ndim == 1 else 1)


def vstack(xs):
    xs = [x.reshape(1, -1) if x.ndim < 2 else x for x in _tensors(xs, "vstack")]
    return cat(xs, 0)


def split(x, indices_or_sections, axis=0):
    """NumPy's split: an int cuts into that many equal parts, a list cuts at those indices."""
    x = _t(x)
    axis = _axis(axis, x.ndim, "split")
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(f"split: axis {axis} of size {n} does not divide into "
                             f"{indices_or_sections} equal parts")
        cuts = list(range(0, n, n // indices_or_sections))[1:]
    else:
        cuts = [min(max(int(i) if i >= 0 else n + int(i), 0), n) for i in indices_or_sections]
    bounds = [0] + cuts + [n]
    return [x.narrow(axis, a, max(b - a, 0)) for a, b in zip(bounds[:-1], bounds[1:])]


# -------------------------------------------------------------- indexing
def _indices(indices, n, op):
    """Integer indices as an int64 Tensor, negatives counted from the end, range-checked."""
    idx = _t(indices).long()
    a = idx.numpy()
    if a.size and (a.min() < -n or a.max() >= n):
        raise IndexError(f"{op}: indices must be in [-{n}, {n}) for an axis of size {n}, "
                         f"got values from {a.min()} to {a.max()}")
    return idx + n * (idx < 0).long()


def take(x, indices, axis=None):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = _axis(axis, x.ndim, "take")
    idx = _indices(indices, x.shape[axis], "take")
    out = index_select(x, axis, idx.reshape(-1))
    return out.reshape(tuple(x.shape[:axis]) + tuple(idx.shape) + tuple(x.shape[axis + 1:]))


def take_along_axis(x, indices, axis=None):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = _axis(axis, x.ndim, "take_along_axis")
    idx = _indices(indices, x.shape[axis], "take_along_axis")
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices of rank {idx.ndim} for x of rank "
                         f"{x.ndim}; they must have the same rank")
    shape = [max(a, b) if i != axis else b for i, (a, b) in
             enumerate(zip(x.shape, idx.shape))]
    x = x.broadcast_to(tuple(shape[:axis]) + (x.shape[axis],) + tuple(shape[axis + 1:]))
    return take_along_dim(x, idx.broadcast_to(tuple(shape)), axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """NumPy's pad: pad_width is an int, (before, after), or one pair per axis; modes
    'constant', 'edge', 'reflect', 'symmetric', 'wrap'."""
    x = _t(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2)
                             if np.ndim(pad_width) else np.asarray(pad_width, dtype=np.int64),
                             (x.ndim, 2)) if x.ndim else np.zeros((0, 2), np.int64)
    if (widths < 0).any():
        raise ValueError(f"pad: pad widths must be >= 0, got {np.asarray(pad_width).tolist()}")
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        return F.pad(x, [int(w) for pair in widths[::-1] for w in pair], value=value)
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is only for mode='constant', got mode={mode!r}")
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"pad: mode must be one of 'constant', 'edge', 'reflect', "
                         f"'symmetric', 'wrap', got {mode!r}")
    # NumPy pads an index ramp the same way: gathering with it pads the tensor, and
    # gradients flow back through the gather.
    for axis, (before, after) in enumerate(widths):
        if before or after:
            where = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)
            x = index_select(x, axis, Tensor._make(where))
    return x


# -------------------------------------------------------------- products
def dot(x1, x2):
    """NumPy's dot: scalars multiply, vectors give an inner product, the last axis of x1
    meets the second-to-last of x2."""
    a, b = _t(x1), _t(x2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim <= 2:
        return a @ b
    return _tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 2]))


def tensordot(x1, x2, axes=2):
    return _tensordot(_t(x1), _t(x2), dims=axes)


def outer(x1, x2):
    return _t(x1).reshape(-1, 1) * _t(x2).reshape(1, -1)


def einsum(subscripts, *operands):
    return _einsum(subscripts, *[_t(o) for o in operands])


def trace(x, offset=0, axis1=0, axis2=1):
    x = movedim(_t(x), (axis1, axis2), (-2, -1))
    return x.diagonal(offset, -2, -1).sum(-1)
