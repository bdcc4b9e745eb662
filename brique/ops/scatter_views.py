"""PyTorch's out-of-place writes into a view (select_scatter, slice_scatter, diagonal_scatter),
index_put, and small real-number forms of complex-aware methods (angle, conj, adjoint).

The scatters are composites: a clone of the input with the view assigned, recorded by autograd
as an in-place write into the clone, so the input's gradient is g with the view zeroed and the
source's is g's view, as in PyTorch."""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor
from .linalg import diagonal
from .movement import narrow, select, split

xp_of = backend.get_array_module


def _same_shape(op, view, src):
    if tuple(view.shape) != tuple(src.shape):
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self: "
                           f"src size {tuple(src.shape)}, slice size {tuple(view.shape)}")


def _scatter_into(op, input, src, view_of):
    out = input.clone()
    view = view_of(out)
    _same_shape(op, view, src)
    view.copy_(src)
    return out


def select_scatter(input, src, dim, index):
    """input with input.select(dim, index) replaced by src."""
    return _scatter_into("select_scatter", input, src, lambda t: select(t, dim, index))


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """input with the slice start:end:step of dim replaced by src."""
    if step < 1:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    dim = dim % max(input.ndim, 1)
    index = (slice(None),) * dim + (slice(start, end, step),)
    return _scatter_into("slice_scatter", input, src, lambda t: t[index])


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """input with its diagonal (offset, dim1, dim2) replaced by src. The diagonal is written
    through advanced indexing (dims dim1, dim2 moved last: the diagonal's own layout), which
    autograd records as a write, where a diagonal() view is not."""
    _same_shape("diagonal_scatter", diagonal(input, offset, dim1, dim2), src)
    moved = input.movedim((dim1, dim2), (-2, -1)).clone()
    n = src.shape[-1]
    xp = xp_of(input._data)
    rows, cols = xp.arange(n) + max(-offset, 0), xp.arange(n) + max(offset, 0)
    moved[..., Tensor._make(rows), Tensor._make(cols)] = src
    return moved.movedim((-2, -1), (dim1, dim2))


def index_put(input, indices, values, accumulate=False):
    """input with input[indices] = values (or += values with accumulate, repeated indices
    adding up), `indices` a tuple of index tensors as in advanced indexing."""
    return index_put_(input.clone(), indices, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put_: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    index = tuple(indices)
    if not isinstance(values, Tensor):
        values = Tensor._make(xp_of(input._data).asarray(values, dtype=input.dtype))
    if not accumulate:
        input[index] = values
        return input
    # Accumulating: the indexed leading dims as one flat index into input seen as rows, so
    # that index_add_ sums repeated positions (plain `input[index] += values` would not).
    xp = xp_of(input._data)
    arrays = []
    for i in index:
        a = i._data if isinstance(i, Tensor) else xp.asarray(i)
        arrays += list(xp.nonzero(a)) if a.dtype == bool else [a]
    k = len(arrays)
    if k > input.ndim:
        raise IndexError(f"index_put_: too many indices ({k}) for a tensor of dimension "
                         f"{input.ndim}")
    lead = input.shape[:k]
    arrays = [xp.where(a < 0, a + n, a) for a, n in zip(xp.broadcast_arrays(*arrays), lead)]
    for a, n in zip(arrays, lead):
        if a.size and (a.min() < 0 or a.max() >= n):
            raise IndexError(f"index_put_: index out of range for a dimension of size {n}")
    flat = xp.ravel_multi_index(arrays, lead).reshape(-1) if k else xp.zeros(1, dtype=int)
    rest = tuple(input.shape[k:])
    target = tuple(arrays[0].shape) + rest
    rows = values.to(input.dtype).expand(target).reshape((-1,) + rest)
    summed = input.reshape((-1,) + rest).index_add(0, Tensor._make(flat), rows)
    return input.copy_(summed.reshape(input.shape))


def narrow_copy(input, dim, start, length):
    return narrow(input, dim, start, length).clone()


def split_with_sizes(input, split_sizes, dim=0):
    sizes = list(split_sizes)
    n = input.shape[dim]
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes: expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {dim}), but got split_sizes={sizes}")
    return split(input, sizes, dim)


def angle(input):
    """The argument of a real number: 0 for x >= 0, pi for x < 0, NaN kept (a float result;
    an integer input gives the default float dtype). Its gradient is zero, as PyTorch's."""
    a = input._data
    xp = xp_of(a)
    dtype = a.dtype if a.dtype.kind == "f" else backend.get_default_dtype()
    out = xp.where(a < 0, math.pi, 0.0).astype(dtype)
    if a.dtype.kind == "f":
        out = xp.where(xp.isnan(a), a, out)
    return Tensor._make(out)


def conj(input):
    """The conjugate of a real tensor: the tensor itself, as PyTorch returns it."""
    return input


def adjoint(input):
    """The conjugate transpose of the last two dims (for real tensors, their transpose)."""
    if input.ndim < 2:
        raise RuntimeError(f"adjoint: tensor.adjoint() is only supported on matrices or "
                           f"batches of matrices. Got {input.ndim}-D tensor.")
    return input.transpose(-2, -1)
