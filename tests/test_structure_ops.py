"""The reductions, structure, product and scatter ops added for PyTorch programs, beyond the
op registry (tests/ops/cases_structure.py): outputs that carry no gradient (indices, counts,
bools), in-place forms, dtypes, constants and bad input, each compared with PyTorch."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import brique as B


def same(b, t):
    """b (brique) equals t (torch): values, dtype and shape, through tuples."""
    if isinstance(t, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(b) == len(t)
        for x, y in zip(b, t):
            same(x, y)
        return
    bn, tn = b.detach().numpy(), t.detach().numpy()
    assert bn.shape == tn.shape and bn.dtype == tn.dtype, (bn.shape, tn.shape, bn.dtype, tn.dtype)
    np.testing.assert_allclose(bn, tn, rtol=1e-6, atol=1e-12, equal_nan=True)


def both(values, dtype=None):
    a = np.asarray(values, dtype=dtype)
    return B.tensor(a), torch.tensor(a)


X = np.random.default_rng(0).normal(size=(3, 5))


@pytest.mark.parametrize("call", [
    lambda m, a: m.all(a > 0, dim=(0, 1)), lambda m, a: m.any(a > 0, 1, keepdim=True),
    lambda m, a: m.all(a), lambda m, a: (a > 0).any(dim=(1,)),
    lambda m, a: m.all((a > 0).to(m.uint8), 0), lambda m, a: m.any((a > 0).to(m.uint8)),
    lambda m, a: m.histc(a, bins=6, min=-1, max=1), lambda m, a: a.float().histc(4),
    lambda m, a: m.bucketize(a, m.tensor([-1.0, 0.0, 0.5], dtype=a.dtype), right=True),
    lambda m, a: m.searchsorted(a.sort(1).values, a, side="right"),
    lambda m, a: m.searchsorted(m.tensor([-1.0, 0.0, 0.5], dtype=a.dtype), 0.0, out_int32=True),
    lambda m, a: m.unique_consecutive((a > 0).long(), return_counts=True, dim=1),
    lambda m, a: m.unique_consecutive((a > 0).long().flatten(), return_inverse=True),
    lambda m, a: m.nanmedian(a), lambda m, a: m.kthvalue(a, 3).indices,
    lambda m, a: m.tril_indices(4, 3, 1), lambda m, a: m.triu_indices(3, 5, -1),
    lambda m, a: m.unravel_index(m.tensor([[3, -2], [0, 14]]), (3, 5)),
    lambda m, a: m.mode(m.tensor([[3, 1, 1, 3, 2], [7, 7, 2, 2, 9]]), 1),
    lambda m, a: m.cummax(m.tensor([1.0, float("nan"), 2.0, float("nan"), 0.0]), 0),
    lambda m, a: m.scalar_tensor(3), lambda m, a: m.rsub(m.tensor([1, 2]), 3),
    lambda m, a: m.vander(m.tensor([1, 2, 3])), lambda m, a: m.quantile(a, 0.5),
    lambda m, a: m.block_diag(m.tensor([[1, 2]]), m.tensor(3)),
    lambda m, a: m.combinations(a[0], 6), lambda m, a: m.aminmax(a),
    lambda m, a: m.kron(m.tensor([[1, 2]]), m.tensor([[1], [3]])),
], ids=lambda f: None)
def test_matches_torch(call):
    b, t = both(X)
    same(call(B, b), call(torch, t))


def test_constants():
    assert (B.pi, B.e, B.inf) == (math.pi, math.e, math.inf) and math.isnan(B.nan)
    assert B.newaxis is None and B.ones(2, 3)[:, B.newaxis].shape == (2, 1, 3)


def test_inplace_forms_match_torch():
    for name, args in [("index_copy_", lambda m: (1, m.tensor([4, 0]), m.ones(3, 2))),
                       ("masked_scatter_", lambda m: (m.tensor(X) > 0, m.zeros(15).double())),
                       ("scatter_reduce_", lambda m: (1, m.tensor([[0, 0], [1, 4], [2, 2]]),
                                                      m.ones(3, 2).double(), "amax")),
                       ("put_", lambda m: (m.tensor([0, -1]), m.tensor([5.0, 6.0]).double(),
                                           True))]:
        b, t = both(X)
        if name == "index_copy_":
            args = (lambda m, f=args: tuple(x.double() if isinstance(x, (B.Tensor, torch.Tensor))
                                            and x.is_floating_point() else x for x in f(m)))
        assert getattr(b, name)(*args(B)) is b
        getattr(t, name)(*args(torch))
        same(b, t)


def test_inplace_in_a_graph_keeps_the_gradient():
    for make in (lambda m, a: a.index_copy_(0, m.tensor([1]), m.ones(1, 5).double()),
                 lambda m, a: a.put_(m.tensor([2, 3]), m.tensor([1.0, 2.0]).double())):
        grads = []
        for m in (B, torch):
            x = m.tensor(X, requires_grad=True)
            y = x * 2
            (make(m, y) * m.tensor(X)).sum().backward()
            grads.append(x.grad)
        same(*grads)


def test_shape_changing_inplace_ops():
    for op, args in [("unsqueeze_", (1,)), ("squeeze_", ()), ("t_", ()), ("transpose_", (0, 1)),
                     ("swapaxes_", (1, 0)), ("swapdims_", (0, 1))]:
        b, t = both(X[:, :1] if op == "squeeze_" else X)
        assert getattr(b, op)(*args) is b
        same(b, getattr(t, op)(*args))
    grads = []
    for m in (B, torch):  # in a graph, earlier uses see the old shape
        x = m.tensor(X, requires_grad=True)
        y = x * 1
        z = y * 3
        y.unsqueeze_(0)
        (z.sum() + (y * m.tensor(X)).sum()).backward()
        grads.append(x.grad)
    same(*grads)
    with pytest.raises(RuntimeError, match="leaf"):
        B.ones(2, requires_grad=True).unsqueeze_(0)


def test_unfold_is_a_view_and_cross_warns_without_dim():
    x = B.arange(6.0)
    w = x.unfold(0, 2, 2)
    x[0] = 9.0
    assert w[0, 0].item() == 9.0
    a = B.tensor(np.ones((2, 3)))
    with pytest.warns(UserWarning, match="dim"):
        B.cross(a, a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        B.cross(a, a, dim=1)


@pytest.mark.parametrize("call, error, words", [
    (lambda a: B.quantile(a, 1.5), RuntimeError, "range"),
    (lambda a: B.quantile(a, 0.5, interpolation="cubic"), ValueError, "interpolation"),
    (lambda a: B.quantile(a.long(), 0.5), RuntimeError, "float"),
    (lambda a: B.quantile(a, B.tensor([0.5])), RuntimeError, "dtype"),
    (lambda a: B.kthvalue(a, 6, 1), IndexError, "out of range"),
    (lambda a: B.nanmean(a.long()), RuntimeError, "floating"),
    (lambda a: B.logcumsumexp(a, 2), IndexError, "range"),
    (lambda a: B.renorm(a[0], 2, 0, 1.0), RuntimeError, "2 dimensions"),
    (lambda a: B.histc(a, bins=0), RuntimeError, "bins"),
    (lambda a: B.histc(a, min=2, max=1), RuntimeError, "max"),
    (lambda a: B.cov(a.reshape(1, 3, 5)), ValueError, "dimensions"),
    (lambda a: B.cov(a, fweights=B.tensor([1.0] * 5)), TypeError, "integral"),
    (lambda a: B.trapezoid(a, B.arange(4.0)), RuntimeError, "x value"),
    (lambda a: B.searchsorted(a, a[:2]), RuntimeError, "leading dims"),
    (lambda a: B.searchsorted(a[0], a, side="middle"), RuntimeError, "side"),
    (lambda a: B.bucketize(a, a), RuntimeError, "1-D"),
    (lambda a: B.unravel_index(B.tensor([15]), (3, 5)), RuntimeError, "out of bounds"),
    (lambda a: B.unravel_index(a, (3, 5)), TypeError, "integer"),
    (lambda a: B.cartesian_prod(a, a[0]), ValueError, "1-D"),
    (lambda a: B.combinations(a), ValueError, "1-D"),
    (lambda a: B.hsplit(a, 2), RuntimeError, "divisible"),
    (lambda a: B.vsplit(a[0], 1), RuntimeError, "at least 2"),
    (lambda a: B.fliplr(a[0]), RuntimeError, ">= 2-d"),
    (lambda a: B.diag_embed(a, 0, 1, 1), RuntimeError, "identical"),
    (lambda a: B.block_diag(a.reshape(1, 3, 5)), RuntimeError, "2 or fewer"),
    (lambda a: B.vander(a), RuntimeError, "one-dimensional"),
    (lambda a: B.addcdiv(a, B.tensor([1]), B.tensor([2])), RuntimeError, "integer"),
    (lambda a: B.mv(a, a[:, 0]), RuntimeError, "size mismatch"),
    (lambda a: B.vdot(a[0], a[0, :3]), RuntimeError, "same number"),
    (lambda a: B.tensordot(a, a, 3), RuntimeError, "dims"),
    (lambda a: B.tensordot(a, a, ([0], [1])), RuntimeError, "match"),
    (lambda a: B.cross(a, a, dim=1), RuntimeError, "length 3"),
    (lambda a: B.cross(a[:2, :2], a[:2, :2]), RuntimeError, "size 3"),
    (lambda a: B.chain_matmul(a[0], a), RuntimeError, "2-D"),
    (lambda a: a.scatter(1, B.tensor([[5]]), 1.0), IndexError, "out of bounds"),
    (lambda a: a.scatter(1, B.tensor([[0]]), 1.0, reduce="max"), RuntimeError, "reduce"),
    (lambda a: a.scatter_reduce(1, B.tensor([[0]]), a, "median"), RuntimeError, "reduce"),
    (lambda a: a.scatter_reduce(1, B.tensor([[0]]), a.float(), "sum"), RuntimeError, "dtype"),
    (lambda a: a.scatter(1, B.tensor([0]), 1.0), RuntimeError, "dimensions"),
    (lambda a: a.index_copy(1, B.tensor([0, 1]), a), RuntimeError, "shape"),
    (lambda a: a.index_fill(1, B.tensor([7]), 0.0), IndexError, "out of bounds"),
    (lambda a: a.index_fill(1, B.tensor([0]), B.ones(2)), RuntimeError, "0-dimensional"),
    (lambda a: a.masked_scatter(a > -9, a[0]), RuntimeError, "at least 15"),
    (lambda a: a.masked_scatter(a, a), RuntimeError, "bool"),
    (lambda a: a.take(B.tensor([15])), IndexError, "out of range"),
    (lambda a: a.put(B.tensor([0, 1]), a[0]), RuntimeError, "same number"),
    (lambda a: a.unfold(1, 6, 1), RuntimeError, "maximum size"),
    (lambda a: a.unfold(1, 2, 0), RuntimeError, "step"),
])
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call(B.tensor(X))
