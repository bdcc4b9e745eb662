"""Building and splitting tensors: index grids (tril/triu_indices, unravel_index), products of
sets (cartesian_prod, combinations), broadcasting and at-least-n-d views, stacking and
splitting by axis, flips, diagonal embedding, block_diag, vander, rsub and scalar_tensor.
All composites of differentiable ops."""
from __future__ import annotations

import itertools
import numbers

from .. import backend
from ..tensor import Tensor
from .movement import broadcast_shapes, cat, flip, pad, tensor_split

xp_of = backend.get_array_module


def _index_grid(row, col, offset, lower, dtype, device):
    if row < 0 or col < 0:
        raise RuntimeError(f"{'tril' if lower else 'triu'}_indices: row and col must be "
                           f"non-negative, got row={row}, col={col}")
    xp = backend.xp_of(backend.as_device(device))
    r, c = (xp.tril_indices if lower else xp.triu_indices)(row, offset, col)
    return Tensor._make(xp.stack([r, c]).astype(backend.as_dtype(dtype) or backend.int64))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) row and column indices of the lower triangle of a row x col matrix (on and
    below diagonal `offset`), row by row."""
    return _index_grid(row, col, offset, True, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _index_grid(row, col, offset, False, dtype, device)


def unravel_index(indices, shape):
    """Flat indices into a tensor of `shape` -> a tuple of coordinate tensors, one per dim."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    idx = indices._data if isinstance(indices, Tensor) else None
    if idx is None:
        idx = backend.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: expected 'indices' to be an integer tensor, got "
                        f"{idx.dtype}")
    if any(s < 0 for s in shape):
        raise ValueError(f"unravel_index: 'shape' cannot have negative values, got {shape}")
    total = 1
    for s in shape:
        total *= s
    if not shape:  # a 0-d target has no coordinates to give, as in PyTorch
        return ()
    if idx.size and (int(idx.min()) < -total or int(idx.max()) >= total):
        raise RuntimeError(f"unravel_index: index out of bounds for shape {shape}: expected "
                           f"indices in [{-total}, {total - 1}]")
    xp = xp_of(idx)
    coords = xp.unravel_index(xp.where(idx < 0, idx + total, idx), shape)
    return tuple(Tensor._make(xp.asarray(c, dtype=backend.int64)) for c in coords)


def cartesian_prod(*tensors):
    """All tuples of one element from each 1-D tensor, in order, as rows.

    Shape: (n1,), ..., (nk,) -> (n1 * ... * nk, k); one tensor is returned as is."""
    for t in tensors:
        if t.ndim != 1:
            raise ValueError(f"cartesian_prod: expects 1-D tensors, got shape {tuple(t.shape)}")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError(f"cartesian_prod: expects all tensors to have the same dtype, got "
                           f"{[str(t.dtype) for t in tensors]}")
    if len(tensors) == 1:
        return tensors[0]
    from .movement import meshgrid, stack
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    """All r-length combinations of the elements of a 1-D tensor, as rows (itertools order)."""
    if input.ndim != 1:
        raise ValueError(f"combinations: expects a 1-D tensor, got shape {tuple(input.shape)}")
    if r < 0:
        raise ValueError(f"combinations: expects a non-negative r, got {r}")
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if r == 0:
        return input[:0]
    idx = xp_of(input._data).asarray(rows, dtype=backend.int64).reshape(-1, r)
    return input[idx]


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views)."""
    shape = broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t.expand(*shape) for t in tensors)


def _atleast(tensors, n):
    one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        if t.ndim >= n:
            out.append(t)
        elif n == 3 and t.ndim == 2:
            out.append(t.unsqueeze(-1))
        elif n == 3 and t.ndim == 1:
            out.append(t.reshape(1, -1, 1))
        else:
            out.append(t.reshape((1,) * (n - 1) + (-1,) if t.ndim else (1,) * n))
    return out[0] if one else tuple(out)


def atleast_1d(*tensors):
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    """(N,) -> (1, N, 1), (M, N) -> (M, N, 1), as NumPy's."""
    return _atleast(tensors, 3)


def _sequence(tensors, op):
    if isinstance(tensors, Tensor) or not len(tensors):
        raise TypeError(f"{op}: expects a non-empty sequence of tensors")
    return list(tensors)


def column_stack(tensors):
    """0-d and 1-D tensors as columns, then all concatenated along dim 1."""
    tensors = _sequence(tensors, "column_stack")
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


def dstack(tensors):
    """Concatenated along dim 2, after atleast_3d."""
    return cat(list(atleast_3d(*_sequence(tensors, "dstack"))), 2)


def row_stack(tensors):
    """0-d and 1-D tensors as rows, then all concatenated along dim 0 (vstack)."""
    tensors = _sequence(tensors, "row_stack")
    return cat([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors], 0)


def _split_along(input, indices_or_sections, dim, op, least):
    if input.ndim < least:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {least} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(indices_or_sections, numbers.Integral):
        n = int(indices_or_sections)
        if n <= 0 or input.shape[dim] % n:
            raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {input.shape[dim]} is not divisible by "
                               f"the split_size {n}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for 1-D): equal sections, or at the given indices."""
    return _split_along(input, indices_or_sections, 0 if input.ndim == 1 else 1, "hsplit", 1)


def vsplit(input, indices_or_sections):
    return _split_along(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):
    return _split_along(input, indices_or_sections, 2, "dsplit", 3)


def fliplr(input):
    """Reverse the columns (dim 1)."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got {input.ndim}-d")
    return flip(input, 1)


def flipud(input):
    """Reverse the rows (dim 0)."""
    if input.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
    return flip(input, 0)


def _diag_last(x, offset):
    """(..., n) -> (..., m, m), m = n + |offset|, x on diagonal `offset` of the last two dims:
    each element followed by m zeros, read back m + 1 apart, lands on the diagonal."""
    n, k = x.shape[-1], abs(offset)
    m = n + k
    if k:
        x = pad(x, (0, k))
    lead = tuple(x.shape[:-1])
    spaced = pad(x.unsqueeze(-1), (0, m)).reshape(lead + (m * (m + 1),))
    d = spaced[..., :m * m].reshape(lead + (m, m))
    if offset > 0:  # shift the columns right
        d = pad(d[..., :m - k], (k, 0))
    elif offset < 0:  # shift the rows down
        d = pad(d[..., :m - k, :], (0, 0, k, 0))
    return d


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """The last dim of input placed on the diagonal `offset` of the plane (dim1, dim2) of a new
    tensor, zeros elsewhere.

    Shape: (*, n) -> one more dim, with size n + |offset| at dim1 and dim2."""
    from .reduce import normalize_dims
    nd = input.ndim + 1
    d1, d2 = (normalize_dims(d, nd, "diag_embed")[0] for d in (dim1, dim2))
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    x = input.reshape(1) if input.ndim == 0 else input
    out = _diag_last(x, offset)
    if (d1, d2) != (nd - 2, nd - 1):
        out = out.movedim((-2, -1), (d1, d2))
    # a new tensor as in PyTorch, not a view: code writes into it (scale_tril[..., 1, 0] = v)
    return out.contiguous() if getattr(out, "_view_of", None) else out


def diagflat(input, offset=0):
    """The flattened input on diagonal `offset` of a square matrix."""
    return _diag_last(input.reshape(-1), offset)


def block_diag(*tensors):
    """The tensors (0-d, 1-D as one row, or 2-D) as blocks along the diagonal of a matrix."""
    blocks = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
        blocks.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not blocks:
        return Tensor._make(backend.asarray([[]], dtype=backend.get_default_dtype()))
    dtype = backend.result_type(*tensors)  # a 0-d block promotes as a 0-d tensor does
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        right = width - left - b.shape[1]
        rows.append(pad(b.to(dtype), (left, right)))
        left += b.shape[1]
    return cat(rows, 0)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D x: columns x^(N-1), ..., x^0 (x^0 first with
    increasing=True). Shape: (n,) -> (n, N), N = n by default."""
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got shape "
                           f"{tuple(x.shape)}")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {n}")
    if x.dtype.kind in "biu":
        x = x.to(backend.int64)
    if n == 0:
        return x.new_zeros((x.shape[0], 0))
    ones = x.new_ones((x.shape[0], 1))
    # a running product, not x ** k: exact for integers and a well-defined gradient at 0
    powers = cat([ones, x.unsqueeze(1).expand(x.shape[0], n - 1)], 1).cumprod(1)
    return powers if increasing else powers.flip(1)


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    from .elementwise import check_bool_sub, sub
    check_bool_sub(input, other)
    if not isinstance(other, Tensor):  # a number: other - alpha * input keeps input's dtype
        return (input * alpha if alpha != 1 else input).neg() + other
    return sub(other, input, alpha=alpha)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False, **_):
    """A 0-d tensor holding the number s (float32 by default, whatever the type of s)."""
    if isinstance(s, Tensor):
        s = s.item()
    return Tensor(s, dtype=dtype or backend.get_default_dtype(), device=device,
                  requires_grad=requires_grad)
