"""brique.linalg beyond the op registry (tests/ops/cases_linalg.py): how it is imported, the
errors PyTorch raises (LinAlgError for singular and non-positive-definite matrices), the *_ex
forms' info, lstsq's outputs per driver, ranks and tolerances, the return types, the
top-level and Tensor-method forms."""
import numpy as np
import pytest
import torch

import brique
import brique.linalg as LA

SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
NOT_PD = np.array([[1.0, 2.0], [2.0, 1.0]])


def bt(a, dtype=np.float64):
    return brique.tensor(np.asarray(a, dtype=dtype))


def tt(a, dtype=np.float64):
    return torch.tensor(np.asarray(a, dtype=dtype))


def same(b, t, tol=1e-10):
    b, t = np.asarray(b.detach()), t.detach().numpy()
    assert b.shape == t.shape and b.dtype == t.dtype
    np.testing.assert_allclose(b, t, rtol=tol, atol=tol)


def test_module_and_error_class():
    import brique.linalg as again
    assert brique.linalg is again is LA
    assert issubclass(LA.LinAlgError, RuntimeError)


@pytest.mark.parametrize("fn, op", [(LA.inv, "linalg.inv"), (LA.det, "linalg.det"),
                                    (LA.cholesky, "linalg.cholesky")])
def test_non_square_names_the_shapes(fn, op):
    with pytest.raises(RuntimeError, match=f"{op}: A must be batches of square matrices, but "
                                           "they are 2 by 3 matrices"):
        fn(brique.zeros(2, 3))


def test_bad_inputs():
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        LA.inv(brique.zeros(3))
    with pytest.raises(RuntimeError, match="floating point"):
        LA.det(brique.zeros(2, 2, dtype=brique.int64))
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        LA.solve(brique.eye(3), brique.ones(2))
    with pytest.raises(RuntimeError, match="unrecognized mode"):
        LA.qr(brique.eye(3), mode="economic")
    with pytest.raises(RuntimeError, match="input must be 1D or 2D. Got 3D"):
        LA.norm(brique.ones(2, 3, 4), ord=2)
    with pytest.raises(RuntimeError, match="Order 3 not supported"):
        LA.matrix_norm(brique.ones(3, 3), ord=3)
    with pytest.raises(RuntimeError, match="at least 2 tensors"):
        LA.multi_dot([brique.ones(3, 3)])
    with pytest.raises(RuntimeError, match="3 elements"):
        LA.cross(brique.ones(2, 4), brique.ones(2, 4))
    with pytest.raises(RuntimeError, match="driver"):
        LA.lstsq(brique.eye(3), brique.ones(3, 1), driver="gesv")


def test_singular_and_not_positive_definite_raise_linalg_error():
    with pytest.raises(LA.LinAlgError, match="linalg.inv: The diagonal element 2 is zero"):
        LA.inv(bt(SINGULAR))
    with pytest.raises(LA.LinAlgError, match=r"\(Batch element 1\): The diagonal element 2"):
        LA.inv(bt(np.stack([np.eye(2), SINGULAR])))
    with pytest.raises(LA.LinAlgError, match="The solver failed because the input matrix is "
                                             "singular"):
        LA.solve(bt(SINGULAR), bt([1.0, 1.0]))
    with pytest.raises(LA.LinAlgError, match=r"\(Batch element 1\): .* not positive-definite "
                                             r"\(the leading minor of order 2"):
        LA.cholesky(bt(np.stack([np.eye(2), NOT_PD])))
    with pytest.raises(RuntimeError, match=r"U\[2,2\] is zero"):
        LA.lu_factor(bt(SINGULAR))


def test_ex_forms_report_info_as_torch():
    batch = np.stack([np.eye(2) * 2, SINGULAR, NOT_PD])
    for b_fn, t_fn in [(LA.inv_ex, torch.linalg.inv_ex), (LA.cholesky_ex, torch.linalg.cholesky_ex),
                       (LA.lu_factor_ex, torch.linalg.lu_factor_ex)]:
        got, want = b_fn(bt(batch)), t_fn(tt(batch))
        assert type(got).__name__ == type(want).__name__
        same(got[-1], want[-1])
        same(got[0][0], want[0][0])  # the matrix that succeeded
    got, want = LA.solve_ex(bt(batch), bt(np.ones((3, 2)))), \
        torch.linalg.solve_ex(tt(batch), tt(np.ones((3, 2))))
    same(got.info, want.info)
    same(got.result[0], want.result[0])
    assert np.isnan(np.asarray(got.result[1])).all()  # undefined where singular
    with pytest.raises(LA.LinAlgError, match=r"Batch element 1"):
        LA.inv_ex(bt(batch), check_errors=True)


@pytest.mark.parametrize("driver", [None, "gels", "gelsd", "gelss"])
def test_lstsq_outputs_per_driver(driver):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
    got, want = LA.lstsq(bt(a), bt(b), driver=driver), torch.linalg.lstsq(tt(a), tt(b),
                                                                          driver=driver)
    assert type(got).__name__ == "linalg_lstsq"
    for g, w in zip(got, want):
        same(g, w, 1e-8)


def test_lstsq_rank_deficient_gives_the_minimum_norm_solution():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    b = np.arange(8.0).reshape(4, 2)
    got, want = LA.lstsq(bt(a), bt(b)), torch.linalg.lstsq(tt(a), tt(b))
    same(got.rank, want.rank)
    same(got.solution, want.solution, 1e-8)


def test_rank_and_pinv_tolerances():
    a = np.diag([3.0, 1e-3, 1e-9])
    for kw in [{}, {"atol": 1e-2}, {"rtol": 1e-4}, {"atol": 1e-12, "rtol": 0.0}]:
        same(LA.matrix_rank(bt(a), **kw), torch.linalg.matrix_rank(tt(a), **kw))
        same(LA.pinv(bt(a), **kw), torch.linalg.pinv(tt(a), **kw), 1e-6)
    sym = np.array([[2.0, 1.0], [1.0, -3.0]])
    same(LA.matrix_rank(bt(sym), hermitian=True), torch.linalg.matrix_rank(tt(sym),
                                                                          hermitian=True))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the division by 0 gaps
def test_gradient_errors_as_torch():
    a = brique.randn(4, 3, dtype=brique.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        LA.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        LA.qr(a, mode="complete").Q.sum().backward()
    eye = brique.eye(3, dtype=brique.float64, requires_grad=True)
    LA.eigh(eye).eigenvectors.sum().backward()  # repeated eigenvalues: no finite gradient
    assert not np.isfinite(np.asarray(eye.grad)).all()


def test_float32_and_return_types():
    a = brique.randn(2, 3, 3) + 3 * brique.eye(3)
    for out in [LA.inv(a), LA.det(a), LA.matrix_exp(a), *LA.svd(a), *LA.qr(a), *LA.eigh(a),
                LA.lu(a).L, LA.pinv(a)]:
        assert out.dtype == brique.float32
    assert type(LA.svd(a)).__name__ == "linalg_svd" and LA.svd(a).Vh.shape == (2, 3, 3)
    assert LA.lu_factor(a).pivots.dtype == brique.int32
    assert type(brique.svd(a)).__name__ == "svd" and brique.svd(a).V.shape == (2, 3, 3)


def test_top_level_and_method_forms():
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
    b = rng.uniform(-1, 1, (3, 2))
    A, T = bt(a), tt(a)
    for name in ["inverse", "det", "logdet", "pinverse", "matrix_exp"]:
        same(getattr(A, name)(), getattr(T, name)())
        same(getattr(brique, name)(A), getattr(torch, name)(T))
    same(A.matrix_power(3), T.matrix_power(3))
    same(A.slogdet().logabsdet, T.slogdet().logabsdet)
    spd = bt(a @ a.T)
    same(spd.cholesky(), tt(a @ a.T).cholesky())
    same(spd.cholesky().cholesky_inverse(), tt(a @ a.T).cholesky().cholesky_inverse())
    same(bt(b).cholesky_solve(spd.cholesky()), tt(b).cholesky_solve(tt(a @ a.T).cholesky()))
    same(bt(b).triangular_solve(A).solution, tt(b).triangular_solve(T).solution)
    lu, piv = LA.lu_factor(A)
    same(bt(b).lu_solve(lu, piv), tt(b).lu_solve(*torch.linalg.lu_factor(T)))
    same(A.qr().R, T.qr().R)
    same(A.lu()[0], torch.linalg.lu_factor(T).LU)
    assert bool(brique.lu(bt(SINGULAR), get_infos=True)[2] == 2)
    with pytest.raises(LA.LinAlgError, match=r"U\[2,2\] is zero"):
        brique.lu(bt(SINGULAR))
    u, s, v = brique.svd(A, compute_uv=False)
    assert not np.asarray(u).any() and not np.asarray(v).any() and u.shape == (3, 3)
    same(LA.tensorinv(bt(np.eye(6).reshape(2, 3, 6)), ind=2),
         torch.linalg.tensorinv(tt(np.eye(6).reshape(2, 3, 6)), ind=2))
    same(LA.tensorsolve(bt(a.reshape(3, 3)), bt(b[:, 0])),
         torch.linalg.tensorsolve(tt(a), tt(b[:, 0])))
    same(LA.matmul(A, A), T @ T)
    same(LA.diagonal(bt(b.T), offset=1), torch.linalg.diagonal(tt(b.T), offset=1))


def test_vector_norm_dtype_and_integers():
    x = brique.tensor([3.0, 4.0])
    assert LA.vector_norm(x, dtype=brique.float64).dtype == brique.float64
    assert float(LA.vector_norm(x, 0)) == 2.0 and float(LA.vector_norm(x, np.inf)) == 4.0
    with pytest.raises(RuntimeError, match="floating point"):
        LA.vector_norm(brique.tensor([1, 2]))
