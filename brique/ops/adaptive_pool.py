"""Adaptive pooling: to a fixed output size, output i covering inputs [floor(i L / n),
ceil((i + 1) L / n)). Composites: average pooling is two products with constant averaging
matrices (or a plain avg_pool2d when the sizes divide), max pooling gathers the windows and
takes their first maximum (or a plain max_pool2d)."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .pool import avg_pool2d, max_pool2d

xp_of = backend.get_array_module


def _windows(L, n):
    """The (start, stop) of output i's window over L inputs: [floor(i L / n), ceil((i + 1) L
    / n))."""
    return [((i * L) // n, -(-((i + 1) * L) // n)) for i in range(n)]


def _adaptive_matrix(L, n, dtype, xp):
    """(n, L) matrix whose row i averages output i's window."""
    A = xp.zeros((n, L), dtype=dtype)
    for i, (lo, hi) in enumerate(_windows(L, n)):
        A[i, lo:hi] = 1.0 / (hi - lo)
    return A


def _adaptive_size(name, x, output_size, nd):
    if not isinstance(x, Tensor) or x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{name}: expected a {nd + 1}-D or {nd + 2}-D input, got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    size = (output_size,) * nd if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(size) != nd:
        raise ValueError(f"{name}: output_size must have {nd} elements, got {output_size}")
    size = tuple(n if o is None else o for o, n in zip(size, x.shape[-nd:]))
    if min(size) < 0:
        raise ValueError(f"{name}: output_size {size} must be non-negative")
    if 0 in x.shape[-nd:]:
        raise ValueError(f"{name}: expected an input with non-empty pooled dims, got shape "
                         f"{tuple(x.shape)}")
    return size


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (None keeps that input size).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, *output_size).
    """
    oh, ow = _adaptive_size("adaptive_avg_pool2d", input, output_size, 2)
    H, W = input.shape[-2:]
    if (oh, ow) == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    if oh and ow and H % oh == 0 and W % ow == 0:
        return avg_pool2d(input, (H // oh, W // ow))
    xp = xp_of(input._data)
    Ah = Tensor._make(_adaptive_matrix(H, oh, input.dtype, xp))
    AwT = Tensor._make(_adaptive_matrix(W, ow, input.dtype, xp).T)
    return (Ah @ input) @ AwT


def adaptive_avg_pool1d(input, output_size):
    """Shape: input (N, C, L) or (C, L); output (N, C, output_size)."""
    (n,) = _adaptive_size("adaptive_avg_pool1d", input, output_size, 1)
    A = _adaptive_matrix(input.shape[-1], n, input.dtype, xp_of(input._data))
    return input @ Tensor._make(A.T)


def _adaptive_windows(L, n, xp):
    """(n, k) indices of each output's window over L inputs, padded to the longest window k by
    repeating the window's last index: a repeat changes neither the maximum nor which index
    comes first."""
    windows = _windows(L, n)
    k = max(hi - lo for lo, hi in windows)
    return xp.asarray([[min(lo + j, hi - 1) for j in range(k)] for lo, hi in windows])


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (None keeps that input size): output (i, j) is the
    maximum of rows [floor(i H / oh), ceil((i + 1) H / oh)) and the columns alike. Sizes that
    divide the input are a plain max-pool; others gather each window (windows of two sizes
    that may overlap) and take its first maximum, as PyTorch does.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, *output_size).
    """
    oh, ow = _adaptive_size("adaptive_max_pool2d", input, output_size, 2)
    H, W = input.shape[-2:]
    if oh == 0 or ow == 0:  # nothing to pool
        empty = xp_of(input._data).zeros(input.shape[:-2] + (oh, ow))
        out = Tensor._make(empty.astype(input.dtype))
        return (out, Tensor._make(empty.astype(backend.int64))) if return_indices else out
    if H % oh == 0 and W % ow == 0:
        return max_pool2d(input, (H // oh, W // ow), return_indices=return_indices)
    xp = xp_of(input._data)
    rows, cols = _adaptive_windows(H, oh, xp), _adaptive_windows(W, ow, xp)
    kh, kw = rows.shape[1], cols.shape[1]
    lead = tuple(input.shape[:-2])
    x = input.index_select(-2, Tensor._make(rows.reshape(-1)))
    x = x.index_select(-1, Tensor._make(cols.reshape(-1)))          # (..., oh*kh, ow*kw)
    x = x.reshape(lead + (oh, kh, ow, kw)).transpose(-3, -2)        # (..., oh, ow, kh, kw)
    values, arg = x.reshape(lead + (oh, ow, kh * kw)).max(-1)
    if not return_indices:
        return values
    a = arg._data
    flat = rows[xp.arange(oh)[:, None], a // kw] * W + cols[xp.arange(ow), a % kw]
    return values, Tensor._make(flat.astype(backend.int64))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """adaptive_max_pool2d over the last dim. Shape: input (N, C, L) or (C, L); output
    (N, C, output_size)."""
    (n,) = _adaptive_size("adaptive_max_pool1d", input, output_size, 1)
    out = adaptive_max_pool2d(input.unsqueeze(-2), (1, n), return_indices)
    if not return_indices:
        return out.squeeze(-2)
    return out[0].squeeze(-2), out[1].squeeze(-2)  # index into 1 x L: the index into L
