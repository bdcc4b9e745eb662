"""torch.linalg's composites: the vector and matrix norms, condition numbers and ranks, powers,
chained products, cross and dot products of vectors, Vandermonde matrices and least squares,
all built from differentiable ops (the primitives of decomp*.py among them)."""
from __future__ import annotations

import math
import numbers

from .. import backend
from ..tensor import Tensor
from . import decomp as D
from . import decomp_spectral as S
from .reduce import normalize_dims
from .vector_norm import norm as _vector_p_norm

xp_of = backend.get_array_module


def _float_input(x, op, dtype=None):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point tensor as input. Got {x.dtype}")
    return x


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ord-norm of x over dim (all dims by default), on the Norm primitive."""
    x = _float_input(x, "linalg.vector_norm", dtype)
    if isinstance(ord, str) or not isinstance(ord, numbers.Real):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if x.ndim == 0:
        x, dim = x.reshape(1), (None if dim is None else 0)
        out = _vector_p_norm(x, ord, dim, False)
        return out
    return _vector_p_norm(x, ord, dim, keepdim)


def matrix_norm(a, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix ord-norm over the two dims `dim`: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    a = _float_input(a, "linalg.matrix_norm", dtype)
    if a.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions, got shape {tuple(a.shape)}")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple, got {dim!r}")
    d0, d1 = normalize_dims(dim[0], a.ndim, "linalg.matrix_norm")[0], \
        normalize_dims(dim[1], a.ndim, "linalg.matrix_norm")[0]
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different, got {dim!r}")
    if ord == "fro":
        return _vector_p_norm(a, 2, (d0, d1), keepdim)
    if a.shape[d0] * a.shape[d1] == 0 and ord != -2:  # PyTorch: 0 for an empty matrix
        if ord not in ("nuc", 2, math.inf, -math.inf, 1, -1):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        return (a * 0).sum((d0, d1), keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        from .movement import movedim
        s = S.svdvals_tensor(movedim(a, (d0, d1), (-2, -1)))
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
    elif ord in (math.inf, -math.inf, 1, -1):
        rows, other = (d1, d0) if ord in (math.inf, -math.inf) else (d0, d1)
        sums = a.abs().sum(rows, keepdim=True)
        out = (sums.amax if ord > 0 else sums.amin)(other, keepdim=True)
        out = out.squeeze((d0, d1)) if not keepdim else out
        return out
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out


def norm(a, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (dim an int) or a matrix norm (dim a 2-tuple); without dim, of a 1-D or
    2-D input (ord given), or of the flattened input (ord None)."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.norm: Order {ord} not supported for a vector norm")
        return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is not None:
        return matrix_norm(a, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(a, 2, None, keepdim, dtype=dtype)
    if a.ndim == 1 and not isinstance(ord, str):
        return vector_norm(a, ord, None, keepdim, dtype=dtype)
    if a.ndim == 2:
        return matrix_norm(a, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {a.ndim}D.")


def _tolerance(s_max, atol, rtol, shape, dtype):
    """max(atol, rtol * s_max) with torch's defaults: rtol = eps * max(m, n) when neither is
    given, 0 when only atol > 0 is."""
    import numpy
    if rtol is None:
        rtol = 0.0 if (atol is not None and _positive(atol)) else \
            float(numpy.finfo(dtype).eps) * max(shape[-2:])
    atol = 0.0 if atol is None else atol
    atol = atol._data if isinstance(atol, Tensor) else atol
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    return xp_of(s_max).maximum(atol, rtol * s_max)


def _positive(t):
    return bool(((t._data if isinstance(t, Tensor) else xp_of(t).asarray(t)) > 0).any())


def pinv(a, *, atol=None, rtol=None, hermitian=False):
    D.check_matrix(a, "linalg.pinv")
    if hermitian:
        D.check_square(a, "linalg.pinv")
    xp = xp_of(a._data)
    D.finite_or_raise(xp, a._data, "linalg.pinv")
    vals = xp.abs(xp.linalg.eigvalsh(a._data)) if hermitian else \
        xp.linalg.svd(a._data, compute_uv=False)
    top = D.largest(vals)
    tol = _tolerance(top, atol, rtol, a.shape, a.dtype)
    rel = xp.where(top > 0, tol / xp.where(top > 0, top, 1), 0)
    # One cut per matrix, handed to the primitive as a relative tolerance.
    return S.Pinv.apply(a, atol=0.0, rtol=rel[..., None], hermitian=hermitian)


def matrix_rank(a, *, atol=None, rtol=None, hermitian=False):
    D.check_matrix(a, "linalg.matrix_rank")
    xp = xp_of(a._data)
    D.finite_or_raise(xp, a._data, "linalg.matrix_rank")
    vals = xp.abs(xp.linalg.eigvalsh(a._data)) if hermitian else \
        xp.linalg.svd(a._data, compute_uv=False)
    tol = _tolerance(D.largest(vals), atol, rtol, a.shape, a.dtype)
    return Tensor._make((vals > tol[..., None]).sum(-1).astype(backend.int64))


def matrix_power(a, n):
    """A^n by repeated squaring (n < 0: of A^-1; n = 0: the identity). Integer matrices
    too, for n >= 0."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, got "
                           f"shape {tuple(a.shape)}")
    if not isinstance(n, numbers.Integral):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:
        from .elementwise import where
        xp = xp_of(a._data)
        return where(xp.ones(a.shape, dtype=bool), D.eye_like(a, a.shape[-1]), a)
    if n < 0 and a.dtype.kind != "f":
        raise RuntimeError(f"linalg.matrix_power: a negative power inverts A, which needs a "
                           f"floating point tensor, got {a.dtype}")
    base, n = (D.inv(a), -n) if n < 0 else (a, n)
    out = None
    while n:
        if n & 1:
            out = base if out is None else out @ base
        n >>= 1
        if n:
            base = base @ base
    return out


def multi_dot(tensors):
    """The product of a chain of matrices (the first may be a row vector, the last a column)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or (t.ndim == 1 and i in (0, len(tensors) - 1))
        if not ok:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D (1D allowed for the first "
                               f"and last), got {t.ndim}D with shape {tuple(t.shape)}")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if first:
        tensors[0] = tensors[0].unsqueeze(0)
    if last:
        tensors[-1] = tensors[-1].unsqueeze(1)
    out = tensors[0]
    for t in tensors[1:]:
        if out.shape[-1] != t.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors cannot be multiplied ({tuple(out.shape)} "
                               f"and {tuple(t.shape)})")
        out = out @ t
    if first:
        out = out.squeeze(0)
    if last:
        out = out.squeeze(-1)
    return out


def cross(a, b, *, dim=-1):
    """The cross product of 3-vectors along dim (inputs broadcast)."""
    from .movement import broadcast_shapes, movedim, stack
    from .structure_products import _cross_dtypes
    _cross_dtypes("linalg.cross", a, b)
    shape = broadcast_shapes(a.shape, b.shape)
    d = normalize_dims(dim, len(shape), "linalg.cross")[0]
    if a.ndim != b.ndim or shape[d] != 3 or a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs of the same number of dims with 3 elements "
                           f"in dim {dim} are needed, got shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)}")
    x, y = movedim(a.expand(shape), d, -1), movedim(b.expand(shape), d, -1)
    c = [x[..., 1] * y[..., 2] - x[..., 2] * y[..., 1], x[..., 2] * y[..., 0] -
         x[..., 0] * y[..., 2], x[..., 0] * y[..., 1] - x[..., 1] * y[..., 0]]
    return movedim(stack(c, -1), -1, d)


def vecdot(x, y, *, dim=-1):
    for t in (x, y):
        if t.dtype.kind not in "fc":
            raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as "
                               f"input. Got {t.dtype}")
    return (x * y).sum(dim)


def vander(x, *, N=None):
    """Columns x^0, x^1, ..., x^(N-1) (N defaults to x.shape[-1]): shape (*, n) -> (*, n, N)."""
    from .movement import stack
    if x.dtype == backend.bool_:
        raise RuntimeError("linalg.vander supports floating point and integer tensors, but "
                           "got bool")
    if x.dtype.kind in "iu":  # PyTorch computes the powers of integers in int64
        x = x.to(backend.int64)
    if x.ndim < 1:  # a 0-d x stands for one point, as in PyTorch
        x = x.reshape(1)
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {n}")
    cols = [x.new_ones(tuple(x.shape))]  # not x * 0 + 1: that is NaN at inf and NaN
    for _ in range(n - 1):
        cols.append(cols[-1] * x)
    return stack(cols, -1)


def cond(a, p=None):
    """The condition number in the p-norm (2 by default: the ratio of extreme singular
    values); inf for a singular matrix in the other norms."""
    D.check_matrix(a, "linalg.cond")
    if p not in (None, 2, -2, 1, -1, math.inf, -math.inf, "fro", "nuc"):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    if a.numel() == 0:  # PyTorch: 0 for an empty matrix (and an empty batch of them)
        return (a * 0).sum((-2, -1))
    if p in (None, 2, -2):
        s = S.svdvals_tensor(a)
        big, small = s.amax(-1), s.amin(-1)
        return big / small if p != -2 else small / big
    D.check_square(a, "linalg.cond")
    from .decomp_lu import lu_info
    from .elementwise import where
    xp = xp_of(a._data)
    singular = lu_info(a._data) > 0
    if bool(singular.any()):  # the identity stands in where the inverse does not exist
        eye = D.eye_like(a, a.shape[-1])
        safe = where(singular[..., None, None], eye, a)
        value = matrix_norm(a, p) * matrix_norm(D.inv(safe), p)
        return where(singular, xp.inf, value)
    return matrix_norm(a, p) * matrix_norm(D.inv(a), p)


def lstsq(a, b, rcond=None, driver=None):
    """(solution, residuals, rank, singular_values) as PyTorch's CPU drivers give them: the
    solution through QR (full rank) or the pseudo-inverse (rank-deficient: the minimum-norm
    solution), so it is differentiable; residuals only from gelsd/gelss/gels with m > n and
    full rank; rank from all but gels; singular values from gelsd/gelss."""
    D.check_matrix(a, "linalg.lstsq")
    driver = "gelsy" if driver is None else driver
    if driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, "
                           f"gelsy, gelsd, gelss), got {driver!r}")
    if not 0 <= a.ndim - b.ndim <= 1:
        raise RuntimeError(f"torch.linalg.lstsq: input.dim() must be greater or equal to "
                           f"other.dim() and (input.dim() - other.dim()) <= 1, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    vector = b.ndim == a.ndim - 1
    if vector:
        b = b.unsqueeze(-1)
    m, n = a.shape[-2:]
    if b.shape[-2] != m:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), "
                           f"got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    import numpy
    xp = xp_of(a._data)
    D.finite_or_raise(xp, a._data, "linalg.lstsq")
    s = xp.linalg.svd(a._data, compute_uv=False)
    eps = float(numpy.finfo(a.dtype).eps)
    rcond = eps * max(m, n) if rcond is None or rcond < 0 else rcond
    rank = (s > rcond * D.largest(s, True)).sum(-1)
    full = bool((rank == min(m, n)).all())
    if full and m >= n:
        q, r = S.qr(a)
        x = D.solve_triangular(r, q.mT @ b, upper=True)
    elif full:
        q, r = S.qr(a.mT)
        x = q @ D.solve_triangular(r.mT, b, upper=False)
    else:
        x = pinv(a, rtol=rcond) @ b
    empty = Tensor._make(xp.zeros(0, dtype=a.dtype))
    residuals = x.reshape(-1)[:0]  # empty, yet in the graph as PyTorch's is
    if driver != "gelsy" and m > n and full:
        residuals = ((a @ x - b) ** 2).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    rank_t = Tensor._make(xp.zeros(0, dtype=backend.int64)) if driver == "gels" else \
        Tensor._make(rank.astype(backend.int64))
    values = Tensor._make(s) if driver in ("gelsd", "gelss") else empty
    return (x.squeeze(-1) if vector else x), residuals, rank_t, values
