"""The LU factorization with partial pivoting (written with the array module, vectorized over
the batch: NumPy has none, and CuPy runs the same code) as a primitive, LU solves built on it,
and the matrix exponential (scaling and squaring with a degree-13 Pade approximant)."""
from __future__ import annotations

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from .decomp import eye_like, solve_triangular

xp_of = backend.get_array_module


def lu_arrays(a):
    """(LU packed as LAPACK's getrf leaves it, 1-based int32 pivots, int32 info) for arrays of
    shape (..., m, n): Doolittle elimination, one column at a time over the whole batch."""
    xp = xp_of(a)
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    count = 1
    for d in batch:
        count *= d
    lu = a.reshape((count, m, n)).copy()
    rows = xp.arange(count)
    piv = xp.zeros((count, k), dtype=xp.int32)
    info = xp.zeros(count, dtype=xp.int32)
    for j in range(k):
        p = xp.argmax(xp.abs(lu[:, j:, j]), axis=1) + j
        piv[:, j] = p + 1
        top = lu[rows, p].copy()
        lu[rows, p] = lu[:, j]
        lu[:, j] = top
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(xp.int32)
        if j + 1 < m:
            lu[:, j + 1:, j] /= xp.where(zero, 1, pivot)[:, None]
            lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return (lu.reshape(a.shape), piv.reshape(batch + (k,)), info.reshape(batch))


def lu_info(a):
    return lu_arrays(a)[2]


def permutation(pivots, m, dtype):
    """The permutation matrix P (A = P L U) from 1-based LAPACK pivots of shape (..., k)."""
    xp = xp_of(pivots)
    batch = pivots.shape[:-1]
    count = 1
    for d in batch:
        count *= d
    piv = pivots.reshape((count, pivots.shape[-1])) - 1
    perm = xp.broadcast_to(xp.arange(m), (piv.shape[0], m)).copy()
    rows = xp.arange(piv.shape[0])
    for j in range(piv.shape[1]):
        here, there = perm[:, j].copy(), perm[rows, piv[:, j]].copy()
        perm[:, j], perm[rows, piv[:, j]] = there, here
    p = xp.zeros((piv.shape[0], m, m), dtype=dtype)
    p[rows[:, None], perm, xp.arange(m)] = 1  # row perm[i] of A is row i of P^T A
    return p.reshape(batch + (m, m))


class LuFactor(Function):
    """The packed LU of A (computed by `lu_arrays`, handed in with its pivots, which carry no
    gradient). Backward: with A' = P^T A = L U, gA' = L^-T (tril(L^T gL, -1) + triu(gU U^T))
    U^-T for the square part, the rectangular rest reduced to it."""

    def forward(self, a, lu=None, pivots=None):
        self.pivots = pivots
        return lu

    def backward(self, g):
        lu = self.saved_output
        m, n = lu.shape[-2:]
        k = min(m, n)
        low = lu[..., :, :k].tril(-1) + eye_like(lu, m)[:, :k]
        up = lu[..., :k, :].triu()
        gl, gu = g[..., :, :k].tril(-1), g[..., :k, :].triu()
        if m > n:  # A'2 = L2 U
            ga2 = solve_triangular(up.mT, gl[..., n:, :], upper=False, left=False)
            ga1 = _square_lu_backward(low[..., :n, :], up, gl[..., :n, :],
                                      gu - low[..., n:, :].mT @ ga2)
            parts = [ga1, ga2]
        elif m < n:  # A'2 = L U2
            ga2 = solve_triangular(low.mT, gu[..., m:], upper=True, unitriangular=True)
            ga1 = _square_lu_backward(low, up[..., :m], gl - ga2 @ up[..., m:].mT,
                                      gu[..., :m])
            parts = [ga1, ga2]
        else:
            parts = [_square_lu_backward(low, up, gl, gu)]
        from .movement import cat
        gap = parts[0] if len(parts) == 1 else cat(parts, -2 if m > n else -1)
        p = Tensor._make(permutation(self.pivots, m, lu.dtype))
        return p @ gap


def _square_lu_backward(low, up, gl, gu):
    z = (low.mT @ gl).tril(-1) + (gu @ up.mT).triu()
    y = solve_triangular(low.mT, z, upper=True, unitriangular=True)
    return solve_triangular(up.mT, y, upper=False, left=False)


def lu_factor(a):
    """(LU, pivots, info) of a Tensor; LU carries the gradient."""
    lu, piv, info = lu_arrays(a._data)
    return LuFactor.apply(a, lu=lu, pivots=piv), Tensor._make(piv), Tensor._make(info)


def lu_solve(lu, pivots, b, left=True, adjoint=False):
    """X with A X = B (A^T X = B with adjoint; X A = B with left=False) from lu_factor's
    output, as triangular solves (a gradient reaches LU and B)."""
    if not left:
        return lu_solve(lu, pivots, b.mT, True, not adjoint).mT
    p = Tensor._make(permutation(pivots._data, lu.shape[-1], lu.dtype))
    if adjoint:  # A^T = U^T L^T P^T
        y = solve_triangular(lu.mT, b, upper=False)
        return p @ solve_triangular(lu.mT, y, upper=True, unitriangular=True)
    y = solve_triangular(lu, p.mT @ b, upper=False, unitriangular=True)
    return solve_triangular(lu, y, upper=True)


# ----------------------------------------------------------------- the matrix exponential
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152  # Higham (2005): the 1-norm up to which degree 13 is exact


def expm_array(a):
    """exp(A) for arrays (..., n, n): Higham's scaling and squaring, each matrix scaled by its
    own power of two and squared back that many times."""
    xp = xp_of(a)
    b = _PADE13
    norm = xp.abs(a).sum(-2).max(-1) if a.shape[-1] else xp.zeros(a.shape[:-2])
    s = xp.maximum(0, xp.ceil(xp.log2(xp.maximum(norm.astype(xp.float64), 1e-300) / _THETA13))).astype(xp.int64)
    a = a / (2.0 ** s)[..., None, None].astype(a.dtype)
    eye = xp.eye(a.shape[-1], dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + \
        b[0] * eye
    r = xp.linalg.solve(v - u, u + v)
    for step in range(int(s.max()) if s.size else 0):
        r = xp.where((step < s)[..., None, None], r @ r, r)
    return r.astype(a.dtype, copy=False)


class MatrixExp(Function):
    def forward(self, a):
        return expm_array(a)

    def backward(self, g):
        # The adjoint of the Frechet derivative at A is the one at A^T: the top-right block of
        # exp([[A^T, G], [0, A^T]]) (Mathias 1996), itself differentiable.
        from .movement import cat
        (a,) = self.saved
        at = a.mT
        top = cat([at, g], -1)
        bottom = cat([at * 0, at], -1)
        n = a.shape[-1]
        return MatrixExp.apply(cat([top, bottom], -2))[..., :n, n:]


def matrix_exp(a):
    return MatrixExp.apply(a)
