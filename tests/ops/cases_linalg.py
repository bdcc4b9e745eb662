"""Registry cases for brique.linalg: the primitives of decomp*.py (Inv, Det, Slogdet, Solve,
SolveTriangular, Cholesky, Eigh, Svd, Qr, Pinv, LuFactor, MatrixExp) and the composites on them,
against torch.linalg. Inputs are well conditioned; symmetric inputs are made inside the case
(x x^T + 3 I), so finite differences see the same symmetric function as PyTorch. Where signs
are a convention (eigenvectors, singular vectors), the cases compare invariants: U diag(c) U^T
and the reconstruction; Q, R and LU are compared as they come (both call LAPACK's
Householder QR and partial pivoting)."""
from __future__ import annotations

import numpy as np
import torch

import brique as B
import brique.linalg as LA
from cases import Arg, Case as C, U

W = np.array([1.0, 2.0, 3.5, 5.0])  # weights of the gauge-invariant U diag(w) U^T


def Well(*shape):
    """Matrices (..., n, n) with a dominant diagonal (inverses well conditioned)."""
    n = shape[-1]
    return Arg(lambda rng: rng.uniform(-1, 1, shape) + 3 * np.eye(n))


def Spread(*shape):
    """Matrices with well separated singular values (4, 2.5, 1.5, 0.8 ...)."""
    m, n = shape[-2:]
    k = min(m, n)

    def make(rng):
        u = np.linalg.qr(rng.standard_normal(shape[:-2] + (m, m)))[0][..., :k]
        v = np.linalg.qr(rng.standard_normal(shape[:-2] + (n, n)))[0][..., :k]
        s = np.array([4.0, 2.5, 1.5, 0.8, 0.4][:k])
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)
    return Arg(make)


def _spd(lib, x):
    return x @ x.mT + 3 * lib.eye(x.shape[-1], dtype=x.dtype)


def _gauge(u, k):
    """U diag(w) U^T over the first k columns: the same whatever the columns' signs."""
    w = u.new_tensor(W[:k])
    return (u[..., :k] * w) @ u[..., :k].mT


def _svd_inv(lib, full=False):
    def fn(a):
        u, s, vh = lib.linalg.svd(a, full_matrices=full)
        k = s.shape[-1]
        return s, _gauge(u, k), _gauge(vh.mT, k), (u[..., :k] * s.unsqueeze(-2)) @ vh[..., :k, :]
    return fn


def _eigh_inv(lib):
    def fn(x):
        w, v = lib.linalg.eigh(_spd(lib, x))
        return w, _gauge(v, x.shape[-1])
    return fn


def _lu(lib):
    return lambda a: tuple(lib.linalg.lu(a))


CASES = [
    # inverses, determinants, solves
    C("linalg_inv", LA.inv, torch.linalg.inv, [Well(2, 3, 3)], gradgrad=True),
    C("linalg_det", LA.det, torch.linalg.det, [Well(2, 3, 3)], gradgrad=True),
    C("linalg_det_singular", LA.det, torch.linalg.det,
      [Arg(lambda rng: np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]))]),
    C("linalg_slogdet", lambda a: tuple(LA.slogdet(a)), lambda a: tuple(torch.linalg.slogdet(a)),
      [Arg(lambda rng: rng.uniform(-1, 1, (2, 3, 3)) + np.diag([3.0, -3.0, 3.0]))]),
    C("logdet", B.logdet, torch.logdet, [Well(3, 3)]),
    C("linalg_solve", LA.solve, torch.linalg.solve, [Well(2, 3, 3), U(2, 3, 2)],
      gradgrad=True),
    C("linalg_solve_vector_broadcast", LA.solve, torch.linalg.solve, [Well(2, 3, 3), U(3)]),
    C("linalg_solve_left_false", lambda a, b: LA.solve(a, b, left=False),
      lambda a, b: torch.linalg.solve(a, b, left=False), [Well(3, 3), U(2, 3)]),
    C("linalg_solve_triangular_upper", lambda a, b: LA.solve_triangular(a, b, upper=True),
      lambda a, b: torch.linalg.solve_triangular(a, b, upper=True), [Well(2, 3, 3), U(2, 3, 2)],
      gradgrad=True),
    C("linalg_solve_triangular_lower_right_unit",
      lambda a, b: LA.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
      lambda a, b: torch.linalg.solve_triangular(a, b, upper=False, left=False,
                                                 unitriangular=True), [Well(3, 3), U(2, 3)]),
    C("triangular_solve_transpose", lambda b, a: tuple(B.triangular_solve(b, a, True, True)),
      lambda b, a: tuple(torch.triangular_solve(b, a, True, True)), [U(3, 2), Well(3, 3)]),
    C("linalg_matrix_exp", LA.matrix_exp, torch.linalg.matrix_exp, [U(2, 3, 3)], gradgrad=True),
    C("linalg_matrix_exp_large", LA.matrix_exp, torch.linalg.matrix_exp, [U(4, 4, lo=-3, hi=3)]),
    C("matrix_power", lambda a: (LA.matrix_power(a, 3), LA.matrix_power(a, -2),
                                 LA.matrix_power(a, 0)),
      lambda a: (torch.linalg.matrix_power(a, 3), torch.linalg.matrix_power(a, -2),
                 torch.linalg.matrix_power(a, 0)), [Well(2, 3, 3)]),
    # factorizations
    C("linalg_cholesky", lambda x: LA.cholesky(_spd(B, x)),
      lambda x: torch.linalg.cholesky(_spd(torch, x)), [U(2, 3, 3)], gradgrad=True),
    C("cholesky_upper_solve_inverse",
      lambda x, b: (B.cholesky(_spd(B, x), upper=True),
                    B.cholesky_solve(b, B.cholesky(_spd(B, x), upper=True), upper=True),
                    B.cholesky_inverse(B.linalg.cholesky(_spd(B, x)))),
      lambda x, b: (torch.cholesky(_spd(torch, x), upper=True),
                    torch.cholesky_solve(b, torch.cholesky(_spd(torch, x), upper=True),
                                         upper=True),
                    torch.cholesky_inverse(torch.linalg.cholesky(_spd(torch, x)))),
      [U(3, 3), U(3, 2)]),
    C("linalg_eigh", _eigh_inv(B), _eigh_inv(torch), [U(2, 4, 4)], gradgrad=True),
    C("linalg_eigvalsh_upper", lambda x: LA.eigvalsh(_spd(B, x), UPLO="U"),
      lambda x: torch.linalg.eigvalsh(_spd(torch, x), UPLO="U"), [U(3, 3)]),
    C("linalg_svd_tall", _svd_inv(B), _svd_inv(torch), [Spread(2, 4, 3)], gradgrad=True),
    C("linalg_svd_wide", _svd_inv(B), _svd_inv(torch), [Spread(3, 4)]),
    C("linalg_svd_full", _svd_inv(B, True), _svd_inv(torch, True), [Spread(4, 3)]),
    C("svd_legacy", lambda a: _gauge(B.svd(a).V, 3), lambda a: _gauge(torch.svd(a).V, 3),
      [Spread(4, 3)]),
    C("linalg_svdvals_norms", lambda a: (LA.svdvals(a), LA.matrix_norm(a, "nuc"),
                                         LA.matrix_norm(a, 2), LA.matrix_norm(a, -2),
                                         LA.cond(a)),
      lambda a: (torch.linalg.svdvals(a), torch.linalg.matrix_norm(a, "nuc"),
                 torch.linalg.matrix_norm(a, 2), torch.linalg.matrix_norm(a, -2),
                 torch.linalg.cond(a)), [Spread(2, 3, 3)]),
    C("linalg_qr_tall", lambda a: tuple(LA.qr(a)), lambda a: tuple(torch.linalg.qr(a)),
      [U(2, 4, 3)], gradgrad=True),
    C("linalg_qr_wide", lambda a: tuple(LA.qr(a)), lambda a: tuple(torch.linalg.qr(a)),
      [U(3, 5)]),
    C("linalg_qr_complete_square", lambda a: tuple(B.qr(a, some=False)),
      lambda a: tuple(torch.qr(a, some=False)), [U(3, 3)]),
    C("linalg_pinv_tall", LA.pinv, torch.linalg.pinv, [Spread(2, 4, 3)], gradgrad=True),
    C("linalg_pinv_wide", lambda a: B.pinverse(a), lambda a: torch.pinverse(a), [Spread(3, 4)]),
    C("linalg_pinv_hermitian", lambda x: LA.pinv(_spd(B, x), hermitian=True),
      lambda x: torch.linalg.pinv(_spd(torch, x), hermitian=True), [U(3, 3)]),
    C("linalg_lu_factor", lambda a: tuple(LA.lu_factor(a)),
      lambda a: tuple(torch.linalg.lu_factor(a)), [U(2, 4, 4)], gradgrad=True),
    C("linalg_lu_tall", _lu(B), _lu(torch), [U(5, 3)]),
    C("linalg_lu_wide", _lu(B), _lu(torch), [U(2, 3, 5)]),
    C("linalg_lu_solve", lambda a, b: LA.lu_solve(*LA.lu_factor(a), b),
      lambda a, b: torch.linalg.lu_solve(*torch.linalg.lu_factor(a), b), [Well(3, 3), U(3, 2)]),
    C("linalg_lu_solve_adjoint_right",
      lambda a, b: LA.lu_solve(*LA.lu_factor(a), b, left=False, adjoint=True),
      lambda a, b: torch.linalg.lu_solve(*torch.linalg.lu_factor(a), b, left=False,
                                         adjoint=True), [Well(2, 3, 3), U(2, 2, 3)]),
    C("lu_unpack_legacy", lambda a: tuple(B.lu_unpack(*B.lu(a))),
      lambda a: tuple(torch.lu_unpack(*torch.linalg.lu_factor(a))), [U(2, 3, 4)]),
    C("lu_solve_legacy", lambda a, b: B.lu_solve(b, *LA.lu_factor(a)),
      lambda a, b: torch.lu_solve(b, *torch.linalg.lu_factor(a)), [Well(3, 3), U(3, 2)]),
    # (the singular values carry no gradient: test_linalg.py compares them)
    C("linalg_lstsq_tall", lambda a, b: tuple(LA.lstsq(a, b, driver="gelsd"))[:3],
      lambda a, b: tuple(torch.linalg.lstsq(a, b, driver="gelsd"))[:3],
      [Spread(2, 5, 3), U(2, 5, 2)]),
    C("linalg_lstsq_wide_vector", lambda a, b: tuple(LA.lstsq(a, b)),
      lambda a, b: tuple(torch.linalg.lstsq(a, b)), [Spread(3, 5), U(3)]),
    # composites
    C("linalg_norms", lambda a: (LA.vector_norm(a, 3, (0, 2)), LA.matrix_norm(a, 1),
                                 LA.matrix_norm(a, -np.inf, keepdim=True),
                                 LA.norm(a, dim=(2, 0)), LA.norm(a[0]), LA.norm(a[0, 0], 1)),
      lambda a: (torch.linalg.vector_norm(a, 3, (0, 2)), torch.linalg.matrix_norm(a, 1),
                 torch.linalg.matrix_norm(a, -np.inf, keepdim=True),
                 torch.linalg.norm(a, dim=(2, 0)), torch.linalg.norm(a[0]),
                 torch.linalg.norm(a[0, 0], 1)), [U(2, 3, 4)]),
    # PyTorch's own backward of cond in these norms fails (an in-place change in inv_ex), so
    # its values are compared, and the gradient checked by finite differences only.
    C("linalg_cond_fro_inf", lambda a: (LA.cond(a, "fro"), LA.cond(a, np.inf)),
      lambda a: (torch.linalg.cond(a, "fro"), torch.linalg.cond(a, np.inf)), [Well(2, 3, 3)],
      grad=False),
    C("linalg_cond_fro_inf_grad", lambda a: (LA.cond(a, "fro"), LA.cond(a, np.inf)), None,
      [Well(2, 3, 3)]),
    C("linalg_multi_dot", lambda a, b, c: LA.multi_dot([a, b, c]),
      lambda a, b, c: torch.linalg.multi_dot([a, b, c]), [U(3), U(3, 4), U(4)]),
    C("linalg_cross_vecdot", lambda a, b: (LA.cross(a, b, dim=1), LA.vecdot(a, b, dim=1)),
      lambda a, b: (torch.linalg.cross(a, b, dim=1), torch.linalg.vecdot(a, b, dim=1)),
      [U(2, 3, 4), U(1, 3, 4)]),
    C("linalg_vander", lambda x: LA.vander(x, N=4), lambda x: torch.linalg.vander(x, N=4),
      [U(2, 3)]),
]
