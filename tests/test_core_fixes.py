"""Regression checks against PyTorch for core-op differences a fuzzing pass found: logsumexp
on integers and empty input, floor division at inf/nan, repeated reduction dims, in-place
addcmul_/addcdiv_ with mixed dtypes, `-` with bools, triangular_solve's broadcast copy of A,
and nn.init's generator= argument."""
import re

import numpy as np
import pytest
import torch

import brique
from brique.nn import init as binit


def _same(b, t, exact_dtype=True):
    b_np, t_np = b.numpy(), t.detach().numpy()
    assert b_np.shape == t_np.shape
    if exact_dtype:
        assert str(b_np.dtype) == str(t_np.dtype).replace("torch.", "")
    np.testing.assert_allclose(b_np, t_np, rtol=1e-6, atol=1e-6, equal_nan=True)


def _both(fn):
    return fn(brique), fn(torch)


# ----------------------------------------------------------------- logsumexp


@pytest.mark.parametrize("make", [
    lambda L: L.tensor([1, 2, 3]),
    lambda L: L.tensor([1, 2, 200], dtype=L.uint8),
    lambda L: L.tensor([True, False]),
    lambda L: L.zeros(0),
    lambda L: L.zeros(2, 0),
    lambda L: L.zeros(0, 3, dtype=L.int64),
    lambda L: L.tensor([[-float("inf"), -float("inf")], [0.0, 1.0]]),
])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_integers_and_empty(make, keepdim):
    for fn in (lambda L: L.logsumexp(make(L), -1, keepdim),
               lambda L: L.special.logsumexp(make(L), -1, keepdim),
               lambda L: make(L).logsumexp(-1, keepdim=keepdim)):
        _same(*_both(fn))


def test_logsumexp_empty_has_gradient_graph():
    x = brique.zeros(2, 0, requires_grad=True)
    out = brique.logsumexp(x, 1)
    out.sum().backward()
    assert x.grad.shape == (2, 0)


# ----------------------------------------------------------------- floor division

_A = [1.0, -1.0, float("inf"), -float("inf"), float("nan"), 1.0, 0.0, -0.0, 5.0, 7.5, -7.5]
_B = [0.1, 0.1, 2.0, 2.0, 1.0, float("inf"), 0.0, 3.0, -float("inf"), 0.0, -2.5]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floor_division_at_inf_nan_and_rounding(dtype):
    def ops(L):
        a = L.tensor(_A, dtype=getattr(L, dtype))
        b = L.tensor(_B, dtype=getattr(L, dtype))
        return [L.div(a, b, rounding_mode="floor"), a // b, L.floor_divide(a, b),
                L.div(a, b, rounding_mode="trunc"), a // 0.1, 1.0 // b,
                L.div(a, 0.1, rounding_mode="floor")]
    for b, t in zip(*_both(ops)):
        _same(b, t)


def test_floor_division_integer_dtypes():
    def ops(L):
        u = L.tensor(np.array([7, 200], dtype=np.uint8))
        i = L.tensor([-7, 7, -8])
        return [L.floor_divide(u, L.tensor(3)), L.div(u, L.tensor(3), rounding_mode="trunc"),
                i // 2, L.div(i, -3, rounding_mode="trunc"), L.div(i, 2.0, rounding_mode="floor"),
                L.floor_divide(L.tensor(np.zeros(0, np.uint8)), L.tensor(2))]
    for b, t in zip(*_both(ops)):
        _same(b, t)


def test_floor_division_bad_input():
    with pytest.raises(RuntimeError, match="division by zero"):
        brique.tensor([1, 2]) // brique.tensor([1, 0])
    with pytest.raises(ValueError, match="rounding_mode"):
        brique.div(brique.ones(2), 2, rounding_mode="round")


# ----------------------------------------------------------------- repeated dims


@pytest.mark.parametrize("call", [
    lambda x: x.sum((0, 0)), lambda x: x.sum((0, -2)), lambda x: x.mean((1, 1)),
    lambda x: x.amax((1, -1)), lambda x: x.amin((0, 0)), lambda x: x.logsumexp((1, 1)),
    lambda x: x.std((1, 1)), lambda x: x.var((0, 0)), lambda x: x.nansum((1, 1)),
    lambda x: x.any((1, 1)), lambda x: x.count_nonzero((1, -1)), lambda x: x.norm(dim=(1, 1)),
    lambda x: x.flip((0, 0)),
])
def test_repeated_dims_refused(call):
    with pytest.raises(RuntimeError, match="appears multiple times in the list of dims"):
        call(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"dim \d appears multiple times in the list of dims"):
        call(brique.ones(2, 3))


def test_distinct_dims_still_reduce():
    for fn in (lambda L: L.ones(2, 3, 4).sum((0, -1)), lambda L: L.ones(2, 3).mean([1]),
               lambda L: L.ones(2, 3).count_nonzero((0, 1))):
        _same(*_both(fn))
    with pytest.raises(IndexError, match="out of range"):
        brique.ones(2, 3).sum((0, 2))


# ----------------------------------------------------------------- addcmul_ / addcdiv_


@pytest.mark.parametrize("op", ["addcmul_", "addcdiv_"])
@pytest.mark.parametrize("self_dt,t1_dt,t2_dt", [
    ("float32", "float64", "float32"), ("float16", "float64", "float32"),
    ("float64", "float32", "int64"), ("float32", "int64", "int64"),
    ("int64", "float32", "float32"), ("int64", "int64", "int64"), ("bool", "int64", "int64"),
    ("int32", "int64", "int64"),
])
def test_inplace_fused_mixed_dtypes(op, self_dt, t1_dt, t2_dt):
    def run(L):
        x = L.tensor([0.0, 1.0, 2.0]).to(getattr(L, self_dt))
        t1 = L.tensor([1.0, 2.0, 3.0]).to(getattr(L, t1_dt))
        t2 = L.tensor([1.0, 2.0, 4.0]).to(getattr(L, t2_dt))
        out = getattr(x, op)(t1, t2, value=2)
        assert out is x
        return x
    try:
        t = run(torch)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            run(brique)
        return
    _same(run(brique), t)


def test_inplace_fused_in_a_graph_keeps_dtype():
    x = brique.zeros(3, dtype=brique.float32, requires_grad=True)
    y = x * 1
    t1 = brique.tensor([1.0, 2.0, 3.0], dtype=brique.float64, requires_grad=True)
    y.addcmul_(t1, brique.tensor([1.0, 1.0, 1.0]), value=3)
    assert y.dtype == brique.float32
    y.sum().backward()
    np.testing.assert_allclose(t1.grad.numpy(), [3.0, 3.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_inplace_fused_shape_mismatch():
    with pytest.raises(RuntimeError, match="broadcast shape"):
        brique.zeros(1, dtype=brique.float64).addcmul_(brique.ones(3), brique.ones(3))


# ----------------------------------------------------------------- `-` with bools


def _torch_message(fn):
    with pytest.raises(RuntimeError) as info:
        fn(torch)
    return str(info.value)


@pytest.mark.parametrize("fn", [
    lambda L: L.tensor([True, False]) - L.tensor([True, True]),
    lambda L: L.sub(L.tensor([True, False]), L.tensor([True, True])),
    lambda L: L.sub(L.tensor([True, False]), L.tensor([True, True]), alpha=0),
    lambda L: L.tensor([True, False]) - True,
    lambda L: True - L.tensor([True, False]),
    lambda L: L.tensor([True, False]) - 1,
    lambda L: 1.5 - L.tensor([True, False]),
    lambda L: L.tensor([1, 2]) - L.tensor([True, False]),
    lambda L: L.tensor([1.0, 2.0]) - False,
    lambda L: L.tensor([True, False]).sub(L.tensor([1.0, 2.0])),
    lambda L: L.rsub(L.tensor([True, False]), L.tensor([True, True])),
    lambda L: L.rsub(L.tensor([1, 2]), L.tensor([True, True])),
    lambda L: -L.tensor([True, False]),
    lambda L: L.neg(L.tensor([True, False])),
    lambda L: L.tensor(True).neg(),
    lambda L: L.tensor([True, False]).sub_(L.tensor([True, True])),
    lambda L: L.tensor([1, 2]).sub_(L.tensor([True, True])),
    lambda L: L.tensor([1.0, 2.0]).sub_(True),
])
def test_bool_subtraction_and_negation_refused(fn):
    with pytest.raises(RuntimeError, match=re.escape(_torch_message(fn))):
        fn(brique)


def test_ops_built_on_sub_still_take_bools():
    for fn in (lambda L: L.logaddexp(L.tensor([True, False]), L.tensor([1.0, 2.0])),
               lambda L: L.logaddexp2(L.tensor([1.0, 2.0]), L.tensor([True, False])),
               lambda L: L.tensor([1, 2]) - L.tensor([3, 4]),
               lambda L: ~L.tensor([True, False])):
        _same(*_both(fn))


# ----------------------------------------------------------------- triangular_solve


@pytest.mark.parametrize("a_shape,b_shape", [((2, 2), (0, 2, 1)), ((2, 2), (3, 2, 1)),
                                             ((3, 1, 2, 2), (4, 2, 1)), ((2, 2), (2, 3))])
@pytest.mark.parametrize("upper", [True, False])
def test_triangular_solve_copy_of_a_is_broadcast(a_shape, b_shape, upper):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(a_shape) + 3 * np.eye(a_shape[-1])
    b = rng.standard_normal(b_shape)
    res_b = brique.triangular_solve(brique.tensor(b), brique.tensor(a), upper)
    res_t = torch.triangular_solve(torch.tensor(b), torch.tensor(a), upper)
    for x, y in zip(res_b, res_t):
        _same(x, y)
    _same(brique.linalg.solve_triangular(brique.tensor(a), brique.tensor(b), upper=upper),
          torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b), upper=upper))


# ----------------------------------------------------------------- nn.init generator=


_INITS = [
    ("uniform_", {"a": -1.0, "b": 2.0}), ("normal_", {"mean": 1.0, "std": 2.0}),
    ("trunc_normal_", {"std": 2.0}), ("xavier_uniform_", {}), ("xavier_normal_", {"gain": 2.0}),
    ("kaiming_uniform_", {"a": 0.1}), ("kaiming_normal_", {"mode": "fan_out"}),
    ("orthogonal_", {}), ("sparse_", {"sparsity": 0.5}),
]


@pytest.mark.parametrize("name,kwargs", _INITS)
def test_init_draws_from_the_generator(name, kwargs):
    def draw(seed):
        w = brique.empty(6, 5)
        out = getattr(binit, name)(w, generator=brique.Generator().manual_seed(seed), **kwargs)
        assert out is w
        return w.numpy().copy()
    brique.manual_seed(0)
    first = draw(7)
    brique.manual_seed(1)  # the global generator has no say
    np.testing.assert_array_equal(draw(7), first)
    assert not np.array_equal(draw(8), first)
    # the signature is torch's: generator= is accepted by name there too
    getattr(torch.nn.init, name)(torch.empty(6, 5), generator=torch.Generator(), **kwargs)


def test_init_generator_bad_type():
    with pytest.raises(TypeError, match="generator"):
        binit.uniform_(brique.empty(2, 2), generator=np.random.default_rng(0))


def test_threshold_keeps_nan_as_pytorch():
    x = [float("nan"), 0.5, 2.0]
    got = brique.nn.functional.threshold(brique.tensor(x), 1.0, -1.0)
    want = torch.nn.functional.threshold(torch.tensor(x), 1.0, -1.0)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "nansum", "nanmean", "std",
                                "var"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_an_empty_dim_list_reduces_every_dim_as_in_torch(op, keepdim):
    a = np.arange(6.0).reshape(2, 3)
    ours = getattr(brique.tensor(a), op)((), keepdim=keepdim)
    ref = getattr(torch.tensor(a), op)((), keepdim=keepdim)
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(ours.numpy(), ref.numpy())


def test_flip_of_no_dims_still_changes_nothing():
    a = brique.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(a.flip(()).numpy(), a.numpy())


@pytest.mark.parametrize("cls", ["LazyConv2d", "LazyConvTranspose2d", "LazyConv1d"])
def test_lazy_grouped_conv_prints_as_torch_before_its_first_forward(cls):
    assert repr(getattr(brique.nn, cls)(6, 3, groups=2)) == repr(getattr(torch.nn, cls)(6, 3,
                                                                                          groups=2))
