"""The in-place forms of existing methods, the view scatters, index_put and the real forms of
the complex-aware methods, each against torch on the same inputs (values, dtypes, and the
gradients of the differentiable ones)."""
import numpy as np
import pytest
import torch

import brique
from brique._methods import _INPLACE_OF_METHOD

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((3, 4)).astype(np.float32)
# Arguments per in-place method: (self array, other arguments); arrays become tensors.
M33 = RNG.standard_normal((3, 3)).astype(np.float32)
ARGS = {
    "addbmm_": (M33, RNG.standard_normal((2, 3, 5)).astype(np.float32),
                RNG.standard_normal((2, 5, 3)).astype(np.float32)),
    "addmm_": (M33, M33, M33), "addmv_": (A[0, :3], M33, A[1, :3]),
    "addr_": (M33, A[0, :3], A[1, :3]),
    "baddbmm_": (RNG.standard_normal((2, 3, 3)).astype(np.float32),
                 RNG.standard_normal((2, 3, 4)).astype(np.float32),
                 RNG.standard_normal((2, 4, 3)).astype(np.float32)),
    "cumprod_": (A, 1), "cumsum_": (A, 0), "renorm_": (A, 2, 0, 1.0),
    "scatter_add_": (A, 1, np.array([[0, 1, 0, 3]] * 3), B),
    "hypot_": (A, B), "fmod_": (A, 1.5), "nan_to_num_": (np.array([np.nan, np.inf, 1.0],
                                                                  np.float32),),
}
INTS = {name for name in _INPLACE_OF_METHOD if name.startswith("bitwise")}
ONE_ARG = {name for name in _INPLACE_OF_METHOD if name[:-1] in (
    "absolute", "cosh", "deg2rad", "erf", "exp2", "frac", "log10", "log2", "negative",
    "sinh", "tan", "logical_not", "bitwise_not")}


def _args(name):
    if name in ARGS:
        return ARGS[name]
    if name in INTS:
        a = RNG.integers(0, 8, (3, 4))
        return (a,) if name in ONE_ARG else (a, RNG.integers(0, 3, (3, 4)))
    if name in ONE_ARG:
        return (np.abs(A) + 0.5 if name in ("log10_", "log2_") else A,)
    return (A, B)


def _as(lib, v):
    return lib.tensor(v.copy()) if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("name", _INPLACE_OF_METHOD)
def test_inplace_form_writes_what_torch_writes(name):
    args = _args(name)
    ours, theirs = _as(brique, args[0]), _as(torch, args[0])
    r_ours = getattr(ours, name)(*[_as(brique, a) for a in args[1:]])
    getattr(theirs, name)(*[_as(torch, a) for a in args[1:]])
    assert r_ours is ours and str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_inplace_form_refuses_a_leaf_that_requires_grad():
    with pytest.raises(RuntimeError):
        brique.tensor(A, requires_grad=True).cosh_()


def _grads(lib, fn, *arrays):
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *ts)
    out.backward(lib.tensor(np.arange(out.numel(), dtype=np.float32).reshape(tuple(out.shape))))
    return [out.detach().numpy()] + [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("fn,src_shape", [
    (lambda m, x, s: m.select_scatter(x, s, 1, 2), (3,)),
    (lambda m, x, s: m.slice_scatter(x, s, 1, 1, 4, 2), (3, 2)),
    (lambda m, x, s: m.slice_scatter(x, s, 0, None, 2), (2, 4)),
    (lambda m, x, s: m.diagonal_scatter(x, s, 1), (3,)),
    (lambda m, x, s: x.diagonal_scatter(s, -1), (2,)),
    (lambda m, x, s: x.index_put((m.tensor([0, 2]), m.tensor([1, 1])), s), (2,)),
    (lambda m, x, s: x.index_put((m.tensor([0, 0]), m.tensor([1, 1])), s, accumulate=True),
     (2,)),
])
def test_view_scatters_and_index_put_match_torch_with_gradients(fn, src_shape):
    src = RNG.standard_normal(src_shape).astype(np.float32)
    for ours, theirs in zip(_grads(brique, fn, A, src), _grads(torch, fn, A, src)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_index_put_in_place_with_boolean_mask_and_broadcast_value():
    mask = A > 0
    ours, theirs = brique.tensor(A.copy()), torch.tensor(A.copy())
    ours.index_put_((brique.tensor(mask),), brique.tensor(7.0), accumulate=True)
    theirs.index_put_((torch.tensor(mask),), torch.tensor(7.0), accumulate=True)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_scatter_with_a_source_of_the_wrong_shape_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"select_scatter.*\(4,\).*\(3,\)"):
        brique.select_scatter(brique.tensor(A), brique.zeros(4), 1, 0)


def test_split_with_sizes_and_narrow_copy():
    x = brique.tensor(A)
    parts = x.split_with_sizes([1, 3], 1)
    assert [tuple(p.shape) for p in parts] == [(3, 1), (3, 3)]
    with pytest.raises(RuntimeError, match="sum exactly to 4"):
        x.split_with_sizes([1, 2], 1)
    np.testing.assert_array_equal(x.narrow_copy(0, 1, 2).numpy(), A[1:3])


def test_real_forms_of_complex_methods():
    v = np.array([-2.0, 0.0, 3.0, np.nan], np.float32)
    np.testing.assert_allclose(brique.tensor(v).angle().numpy(),
                               torch.tensor(v).angle().numpy(), equal_nan=True)
    assert brique.tensor([-1, 2]).angle().dtype == brique.float32
    x = brique.tensor(A)
    assert x.conj() is x and not x.is_conj() and not x.is_neg()
    np.testing.assert_array_equal(x.mH.numpy(), A.T)
    np.testing.assert_array_equal(brique.adjoint(x).numpy(), A.T)
    np.testing.assert_array_equal(brique.fix(brique.tensor([-1.5, 1.5])).numpy(), [-1, 1])
    np.testing.assert_allclose(brique.tensor([1.0, 2.0]).igamma(brique.tensor([0.5, 3.0])).numpy(),
                               torch.tensor([1.0, 2.0]).igamma(torch.tensor([0.5, 3.0])).numpy(),
                               rtol=1e-6)
