"""brique.linalg: torch.linalg's names, signatures and return types, batched over leading dims,
in float32 and float64, with gradients where PyTorch has them.

    import brique
    A = brique.randn(3, 3, dtype=brique.float64)
    x = brique.linalg.solve(A, brique.ones(3, dtype=brique.float64))

eig and eigvals are left out: their results are complex and brique has no complex dtype.
"""
from __future__ import annotations

from collections import namedtuple

from . import backend
from .ops import decomp as _D
from .ops import decomp_lu as _LU
from .ops import decomp_spectral as _S
from .ops import linalg_composite as _C
from .ops.decomp import LinAlgError
from .ops.linalg import diagonal as _diagonal
from .ops.linalg import matmul  # noqa: F401
from .ops.linalg_legacy import det  # noqa: F401  (torch.det is linalg.det)
from .ops.linalg_composite import (cond, cross, matrix_norm, matrix_power, matrix_rank,  # noqa
                                   multi_dot, norm, pinv, vander, vecdot, vector_norm)
from .tensor import Tensor

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh",
           "eigvalsh", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
           "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot",
           "norm", "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd",
           "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"]

# PyTorch's torch.return_types, by the same names.
_linalg_slogdet = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
_linalg_inv_ex = namedtuple("linalg_inv_ex", ["inverse", "info"])
_linalg_solve_ex = namedtuple("linalg_solve_ex", ["result", "info"])
_linalg_cholesky_ex = namedtuple("linalg_cholesky_ex", ["L", "info"])
_linalg_qr = namedtuple("linalg_qr", ["Q", "R"])
_linalg_eigh = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_linalg_svd = namedtuple("linalg_svd", ["U", "S", "Vh"])
_linalg_lstsq = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])
_linalg_lu_factor = namedtuple("linalg_lu_factor", ["LU", "pivots"])
_linalg_lu_factor_ex = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_linalg_lu = namedtuple("linalg_lu", ["P", "L", "U"])


def _xp(t):
    return backend.get_array_module(t._data)


def _nan_where(bad, t):
    """t with the matrices flagged `bad` (info > 0) set to NaN: their result is undefined."""
    if not bool(bad._data.any()):
        return t
    from .ops.elementwise import where
    return where(bad._data[..., None, None] if t.ndim > bad.ndim + 1 else bad._data[..., None],
                 float("nan"), t)


# ----------------------------------------------------------------- inverses and determinants
def inv(A):
    """The inverse of each square matrix. Shape: (*, n, n) -> (*, n, n)."""
    _D.check_square(A, "linalg.inv")
    return _D.Inv.apply(A)


def inv_ex(A, *, check_errors=False):
    """(inverse, info): info[k] > 0 where matrix k is singular (its inverse is then NaN)."""
    _D.check_square(A, "linalg.inv_ex")
    info = Tensor._make(_LU.lu_info(A._data))
    if bool(info._data.any()):
        if check_errors:
            _D.raise_for(info._data, "linalg.inv_ex", "The diagonal element {} is zero, the "
                            "inversion could not be completed because the input matrix is "
                            "singular.")
        from .ops.elementwise import where
        safe = where(info._data[..., None, None] > 0, _D.eye_like(A, A.shape[-1]), A)
        return _linalg_inv_ex(_nan_where(info > 0, _D.Inv.apply(safe)), info)
    return _linalg_inv_ex(_D.Inv.apply(A), info)


def slogdet(A):
    """(sign, logabsdet) of det(A): the log stays finite where det would overflow."""
    _D.check_square(A, "linalg.slogdet")
    both = _D.Slogdet.apply(A)
    return _linalg_slogdet(both[..., 0], both[..., 1])


def _as_matrix_rhs(A, B, op):
    """B as a matrix, and whether it was a vector (PyTorch's rule: B.ndim == 1, or one dim
    fewer than A with A's batch shape)."""
    if not isinstance(B, Tensor):
        raise TypeError(f"{op}: expected B to be a Tensor, got {type(B).__name__}")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    B = B.unsqueeze(-1) if vector else B
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{op}: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and "
                           f"{'x'.join(map(str, B.shape[-2:]))})")
    if B.dtype != A.dtype:
        raise RuntimeError(f"{op}: Expected A and B to have the same dtype, but found A of "
                           f"type {A.dtype} and B of type {B.dtype} instead")
    return B, vector


def solve(A, B, *, left=True):
    """X with A X = B (X A = B with left=False); B a matrix (*, n, k) or a vector (*, n)."""
    _D.check_square(A, "linalg.solve")
    if not left:
        return solve(A.mT, B.mT).mT
    B, vector = _as_matrix_rhs(A, B, "linalg.solve")
    X = _D.Solve.apply(A, B)
    return X.squeeze(-1) if vector else X


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info): info[k] > 0 where matrix k is singular (its result is then NaN)."""
    _D.check_square(A, "linalg.solve_ex")
    info = Tensor._make(_LU.lu_info(A._data))
    if not bool(info._data.any()):
        return _linalg_solve_ex(solve(A, B, left=left), info)
    if check_errors:
        _D.raise_for(info._data, "torch.linalg.solve_ex", "The solver failed because the input "
                        "matrix is singular.")
    from .ops.elementwise import where
    safe = where(info._data[..., None, None] > 0, _D.eye_like(A, A.shape[-1]), A)
    return _linalg_solve_ex(_nan_where(info > 0, solve(safe, B, left=left)), info)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with T X = B (X T = B with left=False), T the upper or lower triangle of A: only that
    triangle is read. Shape: A (*, n, n), B (*, n, k) (left) or (*, k, n)."""
    _D.check_square(A, "linalg.solve_triangular")
    if not isinstance(B, Tensor) or B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    n = B.shape[-2] if left else B.shape[-1]
    if n != A.shape[-1]:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX = B' if left else 'XA = B'} "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    return _D.solve_triangular(A, B, upper, left, unitriangular)


def matrix_exp(A):
    """exp(A) = sum of A^k / k! for each square matrix."""
    _D.check_square(A, "linalg.matrix_exp")
    return _LU.matrix_exp(A)


# ----------------------------------------------------------------- factorizations
def cholesky(A, *, upper=False):
    """L lower triangular with A = L L^T (U = L^T with upper=True); only A's lower triangle
    (upper with upper=True, as in PyTorch) is read. Raises LinAlgError where A is not
    positive-definite."""
    _D.check_square(A, "linalg.cholesky")
    return _D.Cholesky.apply(A.mT).mT if upper else _D.Cholesky.apply(A)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): info[k] = order of the leading minor of matrix k that is not
    positive-definite (its L is then NaN), 0 where the factorization succeeded."""
    _D.check_square(A, "linalg.cholesky_ex")
    info = Tensor._make(_D.cholesky_info((A.mT if upper else A)._data))
    if not bool(info._data.any()):
        return _linalg_cholesky_ex(cholesky(A, upper=upper), info)
    if check_errors:
        _D.raise_for(info._data, "linalg.cholesky_ex", "The factorization could not be completed "
                        "because the input is not positive-definite (the leading minor of "
                        "order {} is not positive-definite).")
    from .ops.elementwise import where
    safe = where(info._data[..., None, None] > 0, _D.eye_like(A, A.shape[-1]), A)
    return _linalg_cholesky_ex(_nan_where(info > 0, cholesky(safe, upper=upper)), info)


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R, Q orthonormal columns, R upper triangular. mode: 'reduced'
    (Q (*, m, k), R (*, k, n), k = min(m, n)), 'complete' (Q (*, m, m)) or 'r' (Q empty)."""
    _D.check_matrix(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    Q, R = _S.qr(A, mode)
    if mode == "r":
        Q = Tensor._make(_xp(A).zeros(0, dtype=A.dtype))
    return _linalg_qr(Q, R)


def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of the symmetric matrices whose UPLO
    triangle is given. The eigenvectors' gradient is infinite at repeated eigenvalues."""
    _D.check_square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _linalg_eigh(*_S.eigh(A, UPLO))


def eigvalsh(A, UPLO="L"):
    return eigh(A, UPLO).eigenvalues


def svd(A, full_matrices=True, *, driver=None):
    """(U, S, Vh) with A = U diag(S) Vh, S descending. Shape: (*, m, n) -> U (*, m, m), S
    (*, k), Vh (*, n, n) (k = min(m, n); U (*, m, k), Vh (*, k, n) without full_matrices)."""
    _D.check_matrix(A, "linalg.svd")
    return _linalg_svd(*_S.svd(A, full_matrices))


def svdvals(A, *, driver=None):
    _D.check_matrix(A, "linalg.svdvals")
    return _S.svd(A)[1]


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B||, with what PyTorch's CPU
    driver returns (gelsy by default: residuals and singular_values empty)."""
    return _linalg_lstsq(*_C.lstsq(A, B, rcond, driver))


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _diagonal(A, offset, dim1, dim2)


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): L (unit diagonal, not stored) and U packed in one matrix, LAPACK's
    1-based int32 row pivots, and info[k] > 0 where U of matrix k has a zero diagonal."""
    _D.check_matrix(A, "linalg.lu_factor_ex")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the "
                           "CPU")
    LU, pivots, info = _LU.lu_factor(A)
    if check_errors and bool(info._data.any()):
        _D.raise_for(info._data, "torch.linalg.lu_factor_ex", "U[{0},{0}] is zero and using it "
                        "on lu_solve would result in a division by zero.")
    return _linalg_lu_factor_ex(LU, pivots, info)


def lu_factor(A, *, pivot=True):
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    if bool(info._data.any()):
        _D.raise_for(info._data, "torch.linalg.lu_factor", "U[{0},{0}] is zero and using it on "
                        "lu_solve would result in a division by zero. If you still want to "
                        "perform the factorization, consider calling linalg.lu(A, pivot) or "
                        "linalg.lu_factor_ex(A, pivot)")
    return _linalg_lu_factor(LU, pivots)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U. Shape: (*, m, n) -> P (*, m, m), L (*, m, k), U (*, k, n)."""
    from .ops.linalg_legacy import lu_unpack
    LU, pivots, _ = lu_factor_ex(A, pivot=pivot)
    return _linalg_lu(*lu_unpack(LU, pivots))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B from A's lu_factor (A^T X = B with adjoint; X A = B with left=False)."""
    _D.check_square(LU, "linalg.lu_solve")
    if pivots.dtype.kind not in "iu":
        raise RuntimeError(f"linalg.lu_solve: pivots must be an integer tensor, got "
                           f"{pivots.dtype}")
    n = B.shape[-2] if left else B.shape[-1]
    if B.ndim < 2 or n != LU.shape[-1]:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({LU.shape[-2]}x{LU.shape[-1]} "
                           f"and {tuple(B.shape)})")
    return _LU.lu_solve(LU, pivots, B, left, adjoint)


def tensorinv(A, ind=2):
    """The inverse of A for tensordot over its first `ind` dims: A read as a square matrix
    (prod(shape[:ind]) rows), inverted, read back with shape shape[ind:] + shape[:ind]."""
    import math
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if ind <= 0 or rows != cols:
        raise RuntimeError(f"linalg.tensorinv: expected ind > 0 and prod(shape[:ind]) == "
                           f"prod(shape[ind:]), got shape {tuple(A.shape)} and ind={ind}")
    return inv(A.reshape(rows, cols)).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B: A read as a (B.numel(), rest) square matrix."""
    import math
    from .ops.movement import movedim
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = movedim(A, dims, list(range(A.ndim - len(dims), A.ndim)))
    rest = tuple(A.shape[B.ndim:])
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or math.prod(rest) != B.numel():
        raise RuntimeError(f"linalg.tensorsolve: A of shape {tuple(A.shape)} does not match "
                           f"B of shape {tuple(B.shape)} (A.shape must start with B.shape and "
                           "the rest hold as many elements)")
    return solve(A.reshape(B.numel(), B.numel()), B.reshape(-1)).reshape(rest)
