"""PyTorch's top-level (and Tensor method) forms of linear algebra, older than torch.linalg and
still used: torch.inverse, logdet, pinverse, cholesky(upper=), cholesky_solve,
cholesky_inverse, qr(some=), svd(some=, compute_uv=) returning V, triangular_solve, lu,
lu_unpack, lu_solve."""
from __future__ import annotations

from collections import namedtuple

from .. import backend
from ..tensor import Tensor
from . import decomp as D
from . import decomp_lu as LU
from . import decomp_spectral as S
from . import linalg_composite as C

slogdet_t = namedtuple("slogdet", ["sign", "logabsdet"])
qr_t = namedtuple("qr", ["Q", "R"])
svd_t = namedtuple("svd", ["U", "S", "V"])
triangular_solve_t = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])
lu_unpack_t = namedtuple("lu_unpack", ["P", "L", "U"])


def inverse(a):
    D.check_square(a, "linalg.inv")
    return D.Inv.apply(a)


def det(a):
    """The determinant of each square matrix (also brique.linalg.det). Shape: (*, n, n) ->
    (*)."""
    D.check_square(a, "linalg.det")
    return D.Det.apply(a)


def slogdet(a):
    D.check_square(a, "linalg.slogdet")
    both = D.Slogdet.apply(a)
    return slogdet_t(both[..., 0], both[..., 1])


def logdet(a):
    """log det A: NaN where det A < 0, -inf where it is 0."""
    from .elementwise import where
    sign, logabsdet = slogdet(a)
    return where(sign._data < 0, float("nan"), logabsdet)


def pinverse(a, rcond=1e-15):
    return C.pinv(a, rtol=rcond)


def cholesky(a, upper=False):
    D.check_square(a, "cholesky")
    low = D.Cholesky.apply(a)
    return low.mT if upper else low


def cholesky_solve(b, factor, upper=False):
    """X with A X = B where A = L L^T (L = `factor`; A = U^T U with upper=True)."""
    D.check_square(factor, "cholesky_solve")
    if b.ndim < 2 or b.shape[-2] != factor.shape[-1]:
        raise RuntimeError(f"cholesky_solve: B of shape {tuple(b.shape)} does not match the "
                           f"factor of shape {tuple(factor.shape)} (B.shape[-2] must be "
                           f"{factor.shape[-1]})")
    low = factor.mT if upper else factor
    y = D.solve_triangular(low, b, upper=False)
    return D.solve_triangular(low.mT, y, upper=True)


def cholesky_inverse(factor, upper=False):
    D.check_square(factor, "cholesky_inverse")
    eye = D.eye_like(factor, factor.shape[-1])
    return cholesky_solve(eye.expand(factor.shape), factor, upper)


def qr(a, some=True):
    D.check_matrix(a, "qr")
    return qr_t(*S.qr(a, "reduced" if some else "complete"))


def svd(a, some=True, compute_uv=True):
    """(U, S, V) with A = U diag(S) V^T (V, not V^T as linalg.svd gives); without compute_uv,
    U and V are zeros of shape (m, m) and (n, n)."""
    D.check_matrix(a, "svd")
    u, s, vh = S.svd(a, full_matrices=not some)
    if not compute_uv:
        xp = backend.get_array_module(a._data)
        m, n = a.shape[-2:]
        zeros = lambda k: Tensor._make(xp.zeros(a.shape[:-2] + (k, k), dtype=a.dtype))  # noqa
        return svd_t(zeros(m), s, zeros(n))
    return svd_t(u, s, vh.mT)


def matrix_power(a, n):
    return C.matrix_power(a, n)


def matrix_exp(a):
    D.check_square(a, "linalg.matrix_exp")
    return LU.matrix_exp(a)


def triangular_solve(b, a, upper=True, transpose=False, unitriangular=False):
    """(X, a copy of A) with T X = B (T^T X = B with transpose), T A's upper or lower
    triangle."""
    D.check_square(a, "triangular_solve")
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"triangular_solve: B of shape {tuple(b.shape)} does not match A of "
                           f"shape {tuple(a.shape)}")
    t = a.mT if transpose else a
    x = D.solve_triangular(t, b, upper != transpose, True, unitriangular)
    # the copy of A has the broadcast batch shape, as PyTorch's (a (0, 2, 2) one for B (0, 2, 1))
    return triangular_solve_t(x, a.expand(tuple(x.shape[:-2]) + tuple(a.shape[-2:])).clone())


def lu_solve(b, lu_data, lu_pivots):
    D.check_square(lu_data, "lu_solve")
    return LU.lu_solve(lu_data, lu_pivots, b)


def lu(a, pivot=True, get_infos=False):
    """(LU, pivots), with info as a third element if get_infos (else a singular matrix
    raises), as torch.lu."""
    D.check_matrix(a, "lu")
    if not pivot:
        raise RuntimeError("lu: LU without pivoting is not implemented on the CPU")
    packed, pivots, info = LU.lu_factor(a)
    if get_infos:
        return packed, pivots, info
    D.raise_for(info._data, "torch.linalg.lu_factor", "U[{0},{0}] is zero and using it on "
                "lu_solve would result in a division by zero.")
    return packed, pivots


def lu_unpack(lu_data, lu_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from torch.lu's or linalg.lu_factor's output (differentiable in L and U)."""
    m, n = lu_data.shape[-2:]
    k = min(m, n)
    p = Tensor._make(LU.permutation(lu_pivots._data, m, lu_data.dtype))
    low = lu_data[..., :, :k].tril(-1) + D.eye_like(lu_data, m)[:, :k]
    return lu_unpack_t(p, low, lu_data[..., :k, :].triu())
