"""Registry cases for the reductions, structure, product and scatter ops PyTorch programs use
(reduce_more, reduce_stats, structure, structure_products, scatter_more): the primitives
LogCumSumExp, ScatterReduce and Unfold, and the composites checked against PyTorch.
Collected by cases.all_cases()."""
from __future__ import annotations

import numpy as np
import torch

import brique as B
from cases import Arg, Case as C, Const, Distinct, P, U

NAN34 = np.array([[0.5, np.nan, -1.2, 0.8], [np.nan, np.nan, np.nan, np.nan],
                  [1.1, -0.3, np.nan, 0.2]])
NAN_DISTINCT = np.array([[0.5, np.nan, -1.2, 0.8, 1.7], [-0.4, 1.3, 0.1, np.nan, np.nan],
                         [1.1, -0.3, -1.9, 0.2, 0.9]])
TIED = np.array([[1.0, 2.0, 2.0, 3.0, 3.0], [4.0, 4.0, 1.0, 1.0, 5.0], [0.5, 0.5, 0.5, 2.0, 2.0]])
RENORM = np.array([[0.2, -0.3, 0.1, 0.4], [1.5, -2.0, 1.0, 0.5], [0.1, 0.1, -0.2, 0.3]])
WIDE = np.array([[-30.0, 0.5, 12.0, -1.0, 25.0], [3.0, -2.0, 0.0, 40.0, -40.0]])
IDX = np.array([[0, 2, 2, 1], [4, 4, 0, 1], [3, 3, 3, 3]], dtype=np.int64)
IDX_UNIQUE = np.array([[0, 2, 1], [4, 3, 0], [2, 1, 3]], dtype=np.int64)
MASK = np.array([[True, False, True, True, False], [False, False, True, False, True],
                 [True, True, False, False, False]])
SORTED = Arg(lambda rng: np.sort(rng.uniform(-2, 2, 6)))
AWEIGHTS = Arg(lambda rng: rng.uniform(0.5, 2.0, 6), grad=False)


def _i(values):
    return Const(np.asarray(values, dtype=np.int64))


def _q(mod, a, values):
    return mod.tensor(values, dtype=a.dtype)


CASES = [
    # reductions
    C("nansum", lambda a: B.nansum(a, 1), lambda a: torch.nansum(a, 1), [Const(NAN34, True)]),
    C("nanmean", lambda a: a.nanmean(0, keepdim=True), lambda a: a.nanmean(0, keepdim=True),
      [Const(NAN_DISTINCT, True)]),
    C("nanmedian_dim", lambda a: B.nanmedian(a, 1), lambda a: torch.nanmedian(a, 1),
      [Const(NAN_DISTINCT, True)]),
    C("quantile_linear", lambda a: B.quantile(a, _q(B, a, [0.2, 0.5, 0.9]), 1, keepdim=True),
      lambda a: torch.quantile(a, _q(torch, a, [0.2, 0.5, 0.9]), 1, keepdim=True),
      [Distinct(3, 6)]),
    C("quantile_all_midpoint", lambda a: a.quantile(0.3, interpolation="midpoint"),
      lambda a: a.quantile(0.3, interpolation="midpoint"), [Distinct(3, 4)]),
    C("nanquantile_lower", lambda a: B.nanquantile(a, 0.7, 0, interpolation="lower"),
      lambda a: torch.nanquantile(a, 0.7, 0, interpolation="lower"),
      [Const(NAN_DISTINCT, True)]),
    C("nanquantile_nearest", lambda a: a.nanquantile(0.4, 1, interpolation="nearest"),
      lambda a: a.nanquantile(0.4, 1, interpolation="nearest"), [Const(NAN_DISTINCT, True)]),
    C("kthvalue", lambda a: a.kthvalue(2, 0), lambda a: a.kthvalue(2, 0), [Distinct(3, 4)]),
    C("mode", lambda a: B.mode(a, 1), lambda a: torch.mode(a, 1), [Const(TIED, True)],
      fd=False),
    C("cummax", lambda a: B.cummax(a, 1), lambda a: torch.cummax(a, 1), [Distinct(3, 5)]),
    C("cummin", lambda a: a.cummin(0), lambda a: a.cummin(0), [Distinct(4, 3)]),
    C("logcumsumexp", lambda a: B.logcumsumexp(a, 1), lambda a: torch.logcumsumexp(a, 1),
      [U(3, 5)]),
    C("logcumsumexp_wide", lambda a: a.logcumsumexp(-1), lambda a: a.logcumsumexp(-1),
      [Const(WIDE, True)]),
    C("aminmax", lambda a: B.aminmax(a, dim=1), lambda a: torch.aminmax(a, dim=1),
      [Distinct(3, 4)]),
    C("msort", B.msort, torch.msort, [Distinct(4, 3)]),
    C("dist", lambda a, b: B.dist(a, b), lambda a, b: torch.dist(a, b), [U(3, 4), U(4)]),
    C("dist_p3", lambda a, b: a.dist(b, 3), lambda a, b: a.dist(b, 3), [U(3, 4), U(3, 4)]),
    C("renorm", lambda a: B.renorm(a, 2, 0, 1.0), lambda a: torch.renorm(a, 2, 0, 1.0),
      [Const(RENORM, True)]),
    C("cov", lambda a: B.cov(a), lambda a: torch.cov(a), [U(3, 6)]),
    C("cov_weights", lambda a, w: B.cov(a, correction=0, aweights=w),
      lambda a, w: torch.cov(a, correction=0, aweights=w), [U(2, 6), AWEIGHTS]),
    C("corrcoef", B.corrcoef, torch.corrcoef, [U(3, 6)]),
    C("trapezoid_x", lambda y, x: B.trapezoid(y, x), lambda y, x: torch.trapezoid(y, x),
      [U(3, 6), SORTED]),
    C("trapz_dx", lambda y: B.trapz(y, dx=0.5, dim=0), lambda y: torch.trapz(y, dx=0.5, dim=0),
      [U(4, 3)]),
    C("cumulative_trapezoid", lambda y, x: B.cumulative_trapezoid(y, x),
      lambda y, x: torch.cumulative_trapezoid(y, x), [U(2, 6), SORTED]),
    # structure
    C("cartesian_prod", B.cartesian_prod, torch.cartesian_prod, [U(3), U(2), U(2)]),
    C("combinations", lambda a: B.combinations(a, 3, with_replacement=True),
      lambda a: torch.combinations(a, 3, with_replacement=True), [U(4)]),
    C("broadcast_tensors", B.broadcast_tensors, torch.broadcast_tensors, [U(2, 1, 3), U(4, 1)]),
    C("atleast_3d", lambda a, b: B.atleast_3d(a, b), lambda a, b: torch.atleast_3d(a, b),
      [U(4), U(2, 3)]),
    C("column_stack", lambda a, b: B.column_stack([a, b]),
      lambda a, b: torch.column_stack([a, b]), [U(3), U(3, 2)]),
    C("dstack", lambda a, b: B.dstack([a, b]), lambda a, b: torch.dstack([a, b]),
      [U(2, 3), U(2, 3)]),
    C("hsplit", lambda a: B.hsplit(a, [1, 3]), lambda a: torch.hsplit(a, [1, 3]), [U(2, 5)]),
    C("fliplr", B.fliplr, torch.fliplr, [U(2, 3, 2)]),
    C("diag_embed", lambda a: B.diag_embed(a, 1, 0, 2), lambda a: torch.diag_embed(a, 1, 0, 2),
      [U(2, 3)]),
    C("diagflat", lambda a: a.diagflat(-1), lambda a: a.diagflat(-1), [U(2, 2)]),
    C("block_diag", B.block_diag, torch.block_diag, [U(2, 3), U(3), U(1, 2)]),
    # torch.vander's own backward fails (an in-place cumprod), so powers stand in for it
    C("vander", lambda a: B.vander(a, 4),
      lambda a: a.unsqueeze(1) ** torch.arange(3, -1, -1, dtype=a.dtype), [U(3)]),
    C("rsub", lambda a, b: B.rsub(a, b, alpha=2), lambda a, b: torch.rsub(a, b, alpha=2),
      [U(3, 4), U(4)]),
    # products
    C("kron", B.kron, torch.kron, [U(2, 3), U(3, 1, 2)]),
    C("tensordot", lambda a, b: B.tensordot(a, b, ([0, 2], [1, 0])),
      lambda a, b: torch.tensordot(a, b, ([0, 2], [1, 0])), [U(2, 3, 4), U(4, 2, 5)]),
    C("cross", lambda a, b: B.cross(a, b, dim=1), lambda a, b: torch.cross(a, b, dim=1),
      [U(4, 3, 2), U(1, 3, 2)]),
    C("addcmul", lambda a, b, c: B.addcmul(a, b, c, value=-0.5),
      lambda a, b, c: torch.addcmul(a, b, c, value=-0.5), [U(3, 4), U(4), U(3, 1)]),
    C("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=2),
      lambda a, b, c: a.addcdiv(b, c, value=2), [U(3, 4), U(3, 4), P(3, 4)]),
    C("addmv", lambda a, m, v: B.addmv(a, m, v, beta=0.5, alpha=2),
      lambda a, m, v: torch.addmv(a, m, v, beta=0.5, alpha=2), [U(3), U(3, 4), U(4)]),
    C("addr", lambda a, u, v: a.addr(u, v, alpha=3), lambda a, u, v: a.addr(u, v, alpha=3),
      [U(3, 4), U(3), U(4)]),
    C("addbmm", lambda a, x, y: B.addbmm(a, x, y, beta=2),
      lambda a, x, y: torch.addbmm(a, x, y, beta=2), [U(3, 2), U(4, 3, 5), U(4, 5, 2)]),
    C("mv", B.mv, torch.mv, [U(3, 4), U(4)]),
    C("vdot", B.vdot, torch.vdot, [U(5), U(5)]),
    C("chain_matmul", B.chain_matmul, torch.chain_matmul, [U(2, 3), U(3, 4), U(4, 2)]),
    # scatter, copy and windows
    C("scatter_reduce_sum", lambda a, s, i: a.scatter_reduce(1, i, s, "sum"),
      lambda a, s, i: a.scatter_reduce(1, i, s, "sum"), [U(3, 5), U(3, 4), Const(IDX)],
      gradgrad=True),
    C("scatter_reduce_mean", lambda a, s, i: B.scatter_reduce(a, 1, i, s, "mean",
                                                              include_self=False),
      lambda a, s, i: torch.scatter_reduce(a, 1, i, s, "mean", include_self=False),
      [U(3, 5), U(3, 4), Const(IDX)]),
    C("scatter_reduce_amax", lambda a, s, i: a.scatter_reduce(1, i, s, "amax"),
      lambda a, s, i: a.scatter_reduce(1, i, s, "amax"),
      [Distinct(3, 5), Distinct(3, 4), Const(IDX)]),
    C("scatter_reduce_amin", lambda a, s, i: a.scatter_reduce(1, i, s, "amin",
                                                              include_self=False),
      lambda a, s, i: a.scatter_reduce(1, i, s, "amin", include_self=False),
      [Distinct(3, 5), Distinct(3, 4), Const(IDX)]),
    C("scatter_reduce_prod", lambda a, s, i: a.scatter_reduce(1, i, s, "prod"),
      lambda a, s, i: a.scatter_reduce(1, i, s, "prod"), [U(3, 5), U(3, 4), Const(IDX)]),
    C("scatter_src", lambda a, s, i: a.scatter(1, i, s), lambda a, s, i: a.scatter(1, i, s),
      [U(3, 5), U(3, 3), Const(IDX_UNIQUE)], gradgrad=True),
    C("scatter_value", lambda a, i: B.scatter(a, 1, i, value=1.5),
      lambda a, i: torch.scatter(a, 1, i, value=1.5), [U(3, 5), Const(IDX_UNIQUE)]),
    C("index_copy", lambda a, s: a.index_copy(1, B.tensor([4, 0, 2]), s),
      lambda a, s: a.index_copy(1, torch.tensor([4, 0, 2]), s), [U(3, 5), U(3, 3)]),
    C("index_fill", lambda a: a.index_fill(0, B.tensor([2, 0]), -1.0),
      lambda a: a.index_fill(0, torch.tensor([2, 0]), -1.0), [U(3, 5)]),
    C("masked_scatter", lambda a, s, m: a.masked_scatter(m, s),
      lambda a, s, m: a.masked_scatter(m, s), [U(3, 5), U(4, 3), Const(MASK)]),
    C("put", lambda a, s: a.put(B.tensor([0, -1, 7]), s),
      lambda a, s: a.put(torch.tensor([0, -1, 7]), s), [U(3, 5), U(3)]),
    C("put_accumulate", lambda a, s: a.put(B.tensor([0, 6, 0]), s, accumulate=True),
      lambda a, s: a.put(torch.tensor([0, 6, 0]), s, accumulate=True), [U(3, 5), U(3)]),
    C("take", lambda a: B.take(a, B.tensor([[0, -1], [7, 7]])),
      lambda a: torch.take(a, torch.tensor([[0, -1], [7, 7]])), [U(3, 5)]),
    C("tensor_unfold", lambda a: a.unfold(1, 3, 2), lambda a: a.unfold(1, 3, 2), [U(2, 7, 3)],
      gradgrad=True),
    C("tensor_unfold_overlap", lambda a: a.unfold(-1, 2, 1), lambda a: a.unfold(-1, 2, 1),
      [U(3, 5)]),
]
