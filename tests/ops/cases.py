"""The registry of op test cases, shared by the gradient checks, the PyTorch comparisons and the
coverage meta-test.

A `Case` names an op, gives the brique function and the PyTorch function that should agree with
it, and says how to draw each input (`Arg`: a generator of NumPy arrays, kept in the op's valid
domain and away from its kinks). Both functions receive the same inputs (as brique and as torch
tensors) plus `case.kwargs`, and return a tensor or a sequence of tensors.

Extending the registry: any module `tests/ops/cases_<family>.py` that defines a list `CASES` of
`Case` is collected by `all_cases()` (conv and pool cases live in such files). Every subclass of
`brique.autograd.Function` under `brique.ops` must appear in the graph of some case's output, or
the coverage meta-test in test_gradcheck.py fails naming it.
"""
from __future__ import annotations

import importlib.util
import math
import pathlib
import zlib
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as TF

import brique as B
from brique.ops.conversion import ToDevice
from brique.ops.movement import pad as b_pad


# ----------------------------------------------------------------- inputs
class Arg:
    """One input: `make(rng)` draws a NumPy array; `grad` says whether it is differentiated
    (float arrays only)."""

    def __init__(self, make, grad=True):
        self.make, self.grad = make, grad

    def draw(self, rng, dtype):
        a = np.asarray(self.make(rng))
        if a.dtype.kind == "f":
            a = a.astype(dtype)
        return a

    def differentiable(self, array):
        return self.grad and array.dtype.kind == "f"


def U(*shape, lo=-2.0, hi=2.0):
    """Uniform values in [lo, hi)."""
    return Arg(lambda rng: rng.uniform(lo, hi, shape))


def P(*shape, lo=0.5, hi=2.0):
    """Positive values (log, sqrt, division)."""
    return U(*shape, lo=lo, hi=hi)


def _put_slices(a, v):
    out = a * 1  # x[index] = v on a tensor in a graph: IndexPut
    out[1:, ::2] = v
    return out


def _put_points(a, v):
    out = a * 1
    out[[0, 2], [1, 3]] = v
    return out


ZERO_ROW = Arg(lambda rng: np.concatenate([np.zeros((1, 4)), rng.uniform(0.5, 2.0, (2, 4)),
                                          [[0.0, 1.5, -0.7, 0.0]]]))


def Away(*shape, kinks=(0.0,), margin=0.1, lo=-2.0, hi=2.0):
    """Uniform values at least `margin` from every kink (abs, relu, clamp bounds)."""
    def make(rng):
        a = rng.uniform(lo, hi, shape)
        for k in kinks:
            near = np.abs(a - k) < margin
            side = np.where(a >= k, 1.0, -1.0)
            a = np.where(near, k + side * margin * rng.uniform(1.0, 2.0, shape), a)
        return a
    return Arg(make)


def Distinct(*shape, lo=-2.0, hi=2.0):
    """Values whose pairwise gaps are large compared with the finite-difference step (max, sort,
    topk: no ties, so the selected element is the same at x +- eps)."""
    def make(rng):
        n = math.prod(shape)
        step = (hi - lo) / max(n, 1)
        return (lo + (rng.permutation(n) + rng.uniform(0.25, 0.75, n)) * step).reshape(shape)
    return Arg(make)


def DistinctAbs(*shape):
    """Distinct magnitudes away from zero, random signs (norm with p=inf)."""
    d = Distinct(*shape, lo=0.3, hi=2.0)
    return Arg(lambda rng: d.make(rng) * rng.choice([-1.0, 1.0], shape))


def Const(values, grad=False):
    """Fixed values: index arrays, masks, or float inputs placed on purpose (ties, zeros)."""
    values = np.asarray(values)
    return Arg(lambda rng: values.copy(), grad=grad)


def Bool(*shape, p=0.5):
    return Arg(lambda rng: rng.uniform(0, 1, shape) < p, grad=False)


# ----------------------------------------------------------------- cases
@dataclass
class Case:
    name: str
    fn: Callable                    # brique: fn(*tensors, **kwargs) -> Tensor | sequence
    torch_fn: Callable | None       # the PyTorch equivalent, same arguments
    args: Sequence[Arg]
    kwargs: dict = field(default_factory=dict)
    grad: bool = True               # differentiable: gradient checks and gradient comparison
    fd: bool = True                 # finite differences (False: inputs sit on a kink on purpose)
    gradgrad: bool = False          # also check the second derivative
    eps: float = 1e-6               # finite-difference step
    tol: dict | None = None         # {dtype: (rtol, atol)} against PyTorch, if not the default

    def rng(self, salt=0):
        return np.random.default_rng(zlib.crc32(self.name.encode()) + salt)

    def draw(self, dtype=np.float64, salt=0):
        rng = self.rng(salt)
        return [a.draw(rng, dtype) for a in self.args]

    def grad_mask(self, arrays):
        return [a.differentiable(x) for a, x in zip(self.args, arrays)]


def as_list(out):
    """A case's output as a flat list of tensors (tuples, named tuples and lists flattened)."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in as_list(o)]
    return [out]


def _bt(a):
    return B.tensor(np.asarray(a))


def _tt(a):
    return torch.tensor(np.asarray(a))


def _index(values):
    """An int64 index array usable by both frameworks (built inside each case function)."""
    return np.asarray(values, dtype=np.int64)


C = Case

# Index arrays with repeated entries, so accumulation in the backward is exercised.
IDX = _index([0, 2, 0, 0])
IDX2 = _index([[1, 1], [0, 2]])
GATHER1 = _index([[0, 3, 3, 1, 0], [2, 2, 2, 2, 1], [1, 0, 3, 3, 3]])
GATHER0 = _index([[0, 2, 2, 1], [1, 1, 0, 2]])
SCATTER0 = _index([[0, 2, 2, 1], [2, 2, 0, 1]])
SCATTER1 = _index([[3, 3, 0], [1, 1, 1], [0, 2, 0]])
MASK = np.array([[True, False, True, True], [False, False, True, False],
                 [True, True, False, True]])
ROWMASK = np.array([True, False, True])
TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 1.0, 2.0], [0.5, -4.0, -4.0, 0.5]])
CMP_A = np.array([[0.0, 1.0, 2.0, 1.0], [2.0, 2.0, 0.0, 1.0], [1.0, 0.0, 0.0, 2.0]])
CMP_B = np.array([[1.0, 1.0, 0.0, 2.0], [2.0, 0.0, 0.0, 1.0], [1.0, 2.0, 1.0, 2.0]])
ZERO_ONE = np.array([[0.5, -1.5, 1.2, 0.8], [1.1, 0.7, 0.0, -0.9], [-1.3, 0.6, 1.4, 0.9]])
ZERO_ROWS = np.array([[0.5, -1.5, 1.2, 0.8], [1.1, 0.0, 0.0, -0.9], [-1.3, 0.0, 1.4, 0.9]])
SPECIAL = np.array([[1.0, np.nan, -np.inf], [np.inf, 0.0, -2.0]])
INTS = _index([[7, -7, 0, 3], [-1, 5, 6, -4], [2, 9, -9, 1]])
INTS_NONZERO = _index([[2, 3, -2, 1], [-3, 2, 4, -1], [5, -2, 3, 2]])
TINY = Arg(lambda rng: rng.uniform(0.5, 2.0, (3, 4)) * 1e-8 * rng.choice([-1.0, 1.0], (3, 4)))
TINY_TOL = {np.float64: (1e-12, 0.0), np.float32: (1e-6, 0.0)}
DYADIC = Arg(lambda rng: rng.integers(-64, 64, (3, 4)) / 32.0)  # exact in float32 and float64

def _b_index_add_via_grad(v):
    """IndexAdd, getitem's adjoint, as an op of its own: the gradient of x[IDX] with respect to
    x as a function of the upstream gradient v (repeated indices accumulate)."""
    x = B.zeros(3, 4, dtype=v.dtype, requires_grad=True)
    return B.grad(x[_bt(IDX)], x, v, create_graph=True)[0]


def _t_index_add_via_grad(v):
    x = torch.zeros(3, 4, dtype=v.dtype, requires_grad=True)
    return torch.autograd.grad(x[_tt(IDX)], x, v, create_graph=True)[0]


def _b_relu_grad(v, a):
    """ReluGrad, relu's backward, as an op of its own: the gradient of relu at the point a as
    a function of the upstream gradient v."""
    x = a.detach().requires_grad_()
    return B.grad(B.relu(x), x, v, create_graph=True)[0]


def _t_relu_grad(v, a):
    x = a.detach().requires_grad_()
    return torch.autograd.grad(torch.relu(x), x, v, create_graph=True)[0]


CASES = [
    # ---------------------------------------------------------- arithmetic
    C("add", B.add, torch.add, [U(3, 4), U(4)]),
    C("add_alpha", lambda a, b: B.add(a, b, alpha=2.5), lambda a, b: torch.add(a, b, alpha=2.5),
      [U(3, 1), U(1, 4)]),
    C("add_scalar", lambda a: a + 1.5, lambda a: a + 1.5, [U(3, 4)]),
    C("radd_scalar", lambda a: 1.5 + a, lambda a: 1.5 + a, [U(3, 4)]),
    C("sub", B.sub, torch.sub, [U(2, 3, 4), U(3, 1)]),
    C("rsub_scalar", lambda a: 2 - a, lambda a: 2 - a, [U(3, 4)]),
    C("mul", B.mul, torch.mul, [U(3, 4), U(3, 4)], gradgrad=True),
    C("mul_broadcast", lambda a, b: a * b, lambda a, b: a * b, [U(2, 1, 4), U(3, 1)]),
    C("mul_scalar", lambda a: a * -3.0, lambda a: a * -3.0, [U(3, 4)]),
    C("div", B.div, torch.div, [U(3, 4), Away(3, 4, margin=0.5)], gradgrad=True),
    C("div_broadcast", lambda a, b: a / b, lambda a, b: a / b, [U(4), P(3, 1)]),
    C("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, [P(3, 4)]),
    C("neg", B.neg, torch.neg, [U(3, 4)]),
    C("neg_op", lambda a: -a, lambda a: -a, [U(3, 4)]),
    C("pow_int", lambda a: a ** 3, lambda a: a ** 3, [U(3, 4)], gradgrad=True),
    C("pow_frac", lambda a: B.pow(a, 2.5), lambda a: torch.pow(a, 2.5), [P(3, 4)]),
    C("pow_neg", lambda a: a ** -1.5, lambda a: a ** -1.5, [P(3, 4)]),
    C("pow_tensor", B.pow, torch.pow, [P(3, 4), U(3, 4)], gradgrad=True),
    C("pow_tensor_broadcast", lambda a, b: a ** b, lambda a, b: a ** b, [P(3, 1), U(4)]),
    C("rpow_number", lambda a: 2.0 ** a, lambda a: 2.0 ** a, [U(3, 4)]),
    C("pow_number_fn", lambda a: B.pow(3.0, a), lambda a: torch.pow(3.0, a), [U(3, 4)]),
    C("square", B.square, torch.square, [U(3, 4)]),
    C("reciprocal", B.reciprocal, torch.reciprocal, [P(3, 4)]),
    # ---------------------------------------------------------- unary
    C("exp", B.exp, torch.exp, [U(3, 4)], gradgrad=True),
    C("expm1", B.expm1, torch.expm1, [U(3, 4)]),
    # Near |x| = 1e-8, exp(x) - 1 and log(x + 1) lose every digit: a purely relative tolerance.
    C("expm1_tiny", B.expm1, torch.expm1, [TINY], tol=TINY_TOL),
    C("log1p_tiny", B.log1p, torch.log1p, [TINY], tol=TINY_TOL),
    C("log", B.log, torch.log, [P(3, 4)], gradgrad=True),
    C("log1p", B.log1p, torch.log1p, [U(3, 4, lo=-0.5, hi=2.0)]),
    C("sqrt", B.sqrt, torch.sqrt, [P(3, 4)]),
    C("rsqrt", B.rsqrt, torch.rsqrt, [P(3, 4)]),
    C("abs", B.abs, torch.abs, [Away(3, 4)]),
    C("abs_op", lambda a: abs(a), lambda a: abs(a), [Away(3, 4)]),
    C("sign", B.sign, torch.sign, [Away(3, 4)]),
    C("sin", B.sin, torch.sin, [U(3, 4, lo=-4, hi=4)]),
    C("cos", B.cos, torch.cos, [U(3, 4, lo=-4, hi=4)]),
    C("tanh", B.tanh, torch.tanh, [U(3, 4)], gradgrad=True),
    C("sigmoid", B.sigmoid, torch.sigmoid, [U(3, 4, lo=-5, hi=5)], gradgrad=True),
    C("relu", B.relu, torch.relu, [Away(3, 4)], gradgrad=True),
    C("relu_grad", _b_relu_grad, _t_relu_grad, [U(3, 4), Arg(U(3, 4).make, grad=False)]),
    C("leaky_relu", B.leaky_relu, TF.leaky_relu, [Away(3, 4)], {"negative_slope": 0.2},
      gradgrad=True),
    C("elu", B.elu, TF.elu, [Away(3, 4)], {"alpha": 1.5}),
    C("softplus", B.softplus, TF.softplus, [U(3, 4, lo=-4, hi=4)]),
    C("softplus_threshold", B.softplus, TF.softplus, [Away(3, 4, kinks=(0.5,))],
      {"beta": 2.0, "threshold": 1.0}),
    C("gelu", B.gelu, TF.gelu, [U(3, 4, lo=-3, hi=3)]),
    C("gelu_tanh", B.gelu, TF.gelu, [U(3, 4, lo=-3, hi=3)], {"approximate": "tanh"}),
    C("erf", B.erf, torch.erf, [U(3, 4)]),
    C("silu", B.silu, TF.silu, [U(3, 4)]),
    C("hardtanh", B.hardtanh, TF.hardtanh, [Away(3, 4, kinks=(-1.0, 1.0))]),
    # ---------------------------------------------------------- clamp, maximum, where
    C("clamp", lambda a: B.clamp(a, -0.5, 0.8), lambda a: torch.clamp(a, -0.5, 0.8),
      [Away(3, 4, kinks=(-0.5, 0.8))]),
    C("clamp_min", lambda a: a.clamp(min=0.3), lambda a: a.clamp(min=0.3),
      [Away(3, 4, kinks=(0.3,))]),
    C("clamp_max", lambda a: a.clamp(max=-0.2), lambda a: a.clamp(max=-0.2),
      [Away(3, 4, kinks=(-0.2,))]),
    C("clamp_boundary", lambda a: B.clamp(a, -1.0, 1.0), lambda a: torch.clamp(a, -1.0, 1.0),
      [Const([[-2.0, -1.0, 0.0], [0.5, 1.0, 3.0]], grad=True)], fd=False),
    C("clamp_tensor", B.clamp, torch.clamp,
      [Away(3, 4, kinks=(-1.0, 1.0), margin=0.2), U(4, lo=-1.1, hi=-0.9), U(3, 1, lo=0.9, hi=1.1)]),
    C("clamp_tensor_min", lambda a, lo: a.clamp(min=lo), lambda a, lo: a.clamp(min=lo),
      [Away(3, 4, kinks=(0.0,), margin=0.2), U(3, 4, lo=-0.1, hi=0.1)]),
    C("clamp_tensor_boundary", B.clamp, torch.clamp,
      [Const([[-1.0, 0.0, 1.0, 2.0]], grad=True), Const([-1.0, -1.0, 1.0, 0.0], grad=True),
       Const([1.0, 1.0, 1.0, 2.0], grad=True)], fd=False),
    C("maximum", B.maximum, torch.maximum, [U(3, 4), U(3, 4)]),
    C("maximum_broadcast", B.maximum, torch.maximum, [U(3, 1), U(4)]),
    C("minimum", B.minimum, torch.minimum, [U(3, 4), U(2, 1, 4)]),
    C("maximum_ties", B.maximum, torch.maximum,
      [Const([[1.0, 2.0, 3.0]], grad=True), Const([[1.0, 0.0, 3.0]], grad=True)], fd=False),
    C("minimum_ties", B.minimum, torch.minimum,
      [Const([[1.0, 2.0, 3.0]], grad=True), Const([[1.0, 0.0, 3.0]], grad=True)], fd=False),
    C("max_binary", lambda a, b: B.max(a, b), lambda a, b: torch.max(a, b), [U(3, 4), U(4)]),
    C("where", B.where, torch.where, [Bool(3, 4), U(3, 4), U(4)]),
    C("where_broadcast_cond", B.where, torch.where, [Bool(2, 3, 1), U(3, 4), U(1, 4)]),
    C("where_scalar", lambda c, a: B.where(c, a, 0.5), lambda c, a: torch.where(c, a, 0.5),
      [Bool(3, 4), U(3, 4)]),
    C("where_method", lambda c, a, b: a.where(c, b), lambda c, a, b: a.where(c, b),
      [Bool(3, 4), U(3, 4), U(3, 4)]),
    C("masked_fill", lambda a, m: a.masked_fill(m, -1.5), lambda a, m: a.masked_fill(m, -1.5),
      [U(3, 4), Bool(3, 4)]),
    C("masked_fill_broadcast", B.masked_fill, torch.masked_fill, [U(3, 4), Bool(4)],
      {"value": 2.0}),
    # ---------------------------------------------------------- linear (fused x W^T + b)
    C("linear", B.nn.functional.linear, TF.linear, [U(5, 4), U(3, 4), U(3)], gradgrad=True),
    C("linear_3d_no_bias", B.nn.functional.linear, TF.linear, [U(2, 5, 4), U(3, 4)]),
    # an output much bigger than x and W: the bias folded into the product (linalg._bias_folded)
    C("linear_bias_folded", B.nn.functional.linear, TF.linear, [U(4, 10, 3), U(24, 3), U(24)],
      gradgrad=True),
    # ---------------------------------------------------------- fused softmax cross-entropy
    C("cross_entropy_indices", B.nn.functional.cross_entropy, TF.cross_entropy,
      [U(6, 4), Arg(lambda rng: rng.integers(0, 4, 6), grad=False)], gradgrad=True),
    C("cross_entropy_ignore_none", B.nn.functional.cross_entropy, TF.cross_entropy,
      [U(6, 4), Arg(lambda rng: np.array([0, 3, -100, 2, 1, -100]), grad=False)],
      {"reduction": "none"}, gradgrad=True),
    C("cross_entropy_ignore_sum", B.nn.functional.cross_entropy, TF.cross_entropy,
      [U(6, 4), Arg(lambda rng: np.array([0, 3, -100, 2, 1, 1]), grad=False)],
      {"reduction": "sum"}),
    # ---------------------------------------------------------- matmul
    C("matmul_1d_1d", B.matmul, torch.matmul, [U(4), U(4)], gradgrad=True),
    C("matmul_1d_2d", B.matmul, torch.matmul, [U(4), U(4, 3)]),
    C("matmul_2d_1d", B.matmul, torch.matmul, [U(3, 4), U(4)]),
    C("matmul_2d", B.matmul, torch.matmul, [U(3, 4), U(4, 2)], gradgrad=True),
    C("matmul_batched", lambda a, b: a @ b, lambda a, b: a @ b, [U(2, 3, 4), U(2, 4, 2)]),
    C("matmul_batched_broadcast", B.matmul, torch.matmul, [U(2, 1, 3, 4), U(5, 4, 2)],
      gradgrad=True),
    C("matmul_1d_batched", B.matmul, torch.matmul, [U(4), U(2, 4, 3)]),
    C("matmul_batched_1d", B.matmul, torch.matmul, [U(2, 3, 4), U(4)]),
    C("mm", B.mm, torch.mm, [U(3, 4), U(4, 2)]),
    C("bmm", B.bmm, torch.bmm, [U(2, 3, 4), U(2, 4, 2)]),
    C("dot", B.dot, torch.dot, [U(5), U(5)]),
    C("outer", B.outer, torch.outer, [U(3), U(4)]),
    C("inner_1d", B.inner, torch.inner, [U(4), U(4)]),
    C("inner_nd", B.inner, torch.inner, [U(2, 3, 4), U(5, 4)], gradgrad=True),
    C("inner_square", lambda a, b: a.inner(b), lambda a, b: a.inner(b), [U(3, 3), U(3, 3)]),
    # ---------------------------------------------------------- reductions
    C("sum", lambda a: a.sum(), lambda a: a.sum(), [U(2, 3, 4)]),
    C("sum_dim", lambda a: a.sum(1), lambda a: a.sum(1), [U(2, 3, 4)]),
    C("sum_dims", lambda a: a.sum((0, 2)), lambda a: a.sum((0, 2)), [U(2, 3, 4)]),
    C("sum_keepdim", B.sum, torch.sum, [U(2, 3, 4)], {"dim": -1, "keepdim": True}),
    C("mean", lambda a: a.mean(), lambda a: a.mean(), [U(2, 3, 4)]),
    C("mean_dim", lambda a: a.mean(-2), lambda a: a.mean(-2), [U(2, 3, 4)]),
    C("mean_dims_keepdim", B.mean, torch.mean, [U(2, 3, 4)], {"dim": (0, 1), "keepdim": True}),
    C("prod", lambda a: a.prod(), lambda a: a.prod(), [Away(3, 4, margin=0.3, lo=-1.5, hi=1.5)]),
    C("prod_dim", lambda a: a.prod(1), lambda a: a.prod(1), [U(3, 4)]),
    C("prod_keepdim", B.prod, torch.prod, [U(3, 4)], {"dim": 0, "keepdim": True}),
    C("prod_zero", lambda a: a.prod(), lambda a: a.prod(), [Const(ZERO_ONE, grad=True)]),
    C("prod_zero_dim", lambda a: a.prod(1), lambda a: a.prod(1), [Const(ZERO_ROWS, grad=True)]),
    C("prod_zero_dim0", lambda a: a.prod(0), lambda a: a.prod(0), [Const(ZERO_ROWS, grad=True)]),
    C("var", lambda a: a.var(), lambda a: a.var(), [U(3, 4)]),
    C("var_dim", lambda a: a.var(1), lambda a: a.var(1), [U(3, 4)]),
    C("var_biased", lambda a: a.var(1, unbiased=False), lambda a: a.var(1, unbiased=False),
      [U(3, 4)]),
    C("var_correction", B.var, torch.var, [U(2, 3, 4)],
      {"dim": (0, 2), "correction": 0, "keepdim": True}),
    C("std", lambda a: a.std(), lambda a: a.std(), [U(3, 4)]),
    C("std_dim_biased", lambda a: a.std(0, unbiased=False), lambda a: a.std(0, unbiased=False),
      [U(3, 4)]),
    C("std_correction", B.std, torch.std, [U(2, 3, 4)], {"dim": -1, "correction": 2}),
    C("max", lambda a: a.max(), lambda a: a.max(), [Distinct(3, 4)]),
    C("max_dim", lambda a: a.max(1), lambda a: a.max(1), [Distinct(3, 4)]),
    C("max_dim_keepdim", B.max, torch.max, [Distinct(2, 3, 4)], {"dim": 0, "keepdim": True}),
    C("min", lambda a: a.min(), lambda a: a.min(), [Distinct(3, 4)]),
    C("min_dim", lambda a: a.min(-1), lambda a: a.min(-1), [Distinct(3, 4)]),
    C("max_ties", lambda a: a.max(), lambda a: a.max(), [Const(TIES, grad=True)], fd=False),
    C("max_dim_ties", lambda a: a.max(1), lambda a: a.max(1), [Const(TIES, grad=True)],
      fd=False),
    C("min_dim_ties", lambda a: a.min(1), lambda a: a.min(1), [Const(TIES, grad=True)],
      fd=False),
    C("amax", lambda a: a.amax(), lambda a: a.amax(), [Distinct(3, 4)]),
    C("amax_dims", B.amax, torch.amax, [Distinct(2, 3, 4)], {"dim": (0, 2)}),
    C("amin_keepdim", B.amin, torch.amin, [Distinct(3, 4)], {"dim": 1, "keepdim": True}),
    C("amax_ties", lambda a: a.amax(1), lambda a: a.amax(1), [Const(TIES, grad=True)], fd=False),
    C("amin_ties", lambda a: a.amin(0), lambda a: a.amin(0), [Const(TIES, grad=True)], fd=False),
    C("argmax", lambda a: a.argmax(), lambda a: a.argmax(), [Distinct(3, 4)], grad=False),
    C("argmax_dim", B.argmax, torch.argmax, [Distinct(3, 4)], {"dim": 1}, grad=False),
    C("argmax_keepdim", B.argmax, torch.argmax, [Distinct(3, 4)], {"dim": 0, "keepdim": True},
      grad=False),
    C("argmin", lambda a: a.argmin(), lambda a: a.argmin(), [Distinct(3, 4)], grad=False),
    C("argmin_dim", lambda a: a.argmin(-1), lambda a: a.argmin(-1), [Distinct(3, 4)],
      grad=False),
    C("argmax_ties", lambda a: a.argmax(1), lambda a: a.argmax(1), [Const(TIES)], grad=False),
    C("logsumexp", B.logsumexp, torch.logsumexp, [U(3, 4)], {"dim": 1}),
    C("logsumexp_dims", B.logsumexp, torch.logsumexp, [U(2, 3, 4)],
      {"dim": (0, 2), "keepdim": True}),
    C("softmax", B.softmax, torch.softmax, [U(3, 4)], {"dim": -1}, gradgrad=True),
    C("softmax_dim0", lambda a: a.softmax(0), lambda a: a.softmax(0), [U(2, 3, 4)]),
    C("log_softmax", B.log_softmax, torch.log_softmax, [U(3, 4)], {"dim": 1}, gradgrad=True),
    C("log_softmax_dim0", lambda a: a.log_softmax(0), lambda a: a.log_softmax(0), [U(2, 3, 4)]),
    C("cumsum", B.cumsum, torch.cumsum, [U(3, 4)], {"dim": 0}),
    C("cumsum_last", lambda a: a.cumsum(-1), lambda a: a.cumsum(-1), [U(2, 3, 4)]),
    C("index_put", _put_slices, _put_slices, [U(3, 4), U(2, 2)], gradgrad=True),
    C("index_put_advanced", _put_points, _put_points, [U(3, 4), U(2)], gradgrad=True),
    C("cumprod", B.cumprod, torch.cumprod, [Away(3, 4, margin=0.3)], {"dim": 1},
      gradgrad=True),
    C("cumprod_dim0", lambda a: a.cumprod(0), lambda a: a.cumprod(0), [Away(3, 4, margin=0.3)]),
    C("cumprod_zeros", lambda a: a.cumprod(1), lambda a: a.cumprod(1), [ZERO_ROW], fd=False),
    C("median_dim", lambda a: a.median(1).values, lambda a: a.median(1).values,
      [Distinct(3, 5)]),
    C("median_dim_indices", lambda a: a.median(0, keepdim=True).indices,
      lambda a: a.median(0, keepdim=True).indices, [Distinct(4, 3)], grad=False),
    C("median_all", lambda a: a.median(), lambda a: a.median(), [Distinct(3, 4)]),
    C("median_all_ties", lambda a: a.median(), lambda a: a.median(),
      [Arg(lambda rng: np.array([[3.0, 1.0, 2.0], [1.0, 5.0, 1.5]]))], fd=False),
    C("norm", lambda a: a.norm(), lambda a: a.norm(), [U(3, 4)], gradgrad=True),
    C("norm_p3_gradgrad", lambda a: a.norm(3, 1), lambda a: a.norm(3, 1), [Away(3, 4)],
      gradgrad=True),
    C("norm_p_half", lambda a: a.norm(0.5, 1), lambda a: a.norm(0.5, 1), [Away(3, 4)]),
    C("norm_neg_inf", lambda a: a.norm(float("-inf"), 0), lambda a: a.norm(float("-inf"), 0),
      [DistinctAbs(3, 4)]),
    C("norm_p0", lambda a: a.norm(0, 1), lambda a: a.norm(0, 1), [ZERO_ROW], grad=False),
    # PyTorch's subgradients: 0 where a norm is 0, and at zeros for p < 1; ties of +-inf
    # share the gradient (finite differences do not apply on those kinks)
    C("norm_zero_rows", lambda a: a.norm(dim=1), lambda a: a.norm(dim=1), [ZERO_ROW], fd=False),
    C("norm_p3_zero_rows", lambda a: a.norm(3, 1), lambda a: a.norm(3, 1), [ZERO_ROW], fd=False),
    C("norm_p_half_zeros", lambda a: a.norm(0.5, 1), lambda a: a.norm(0.5, 1), [ZERO_ROW],
      fd=False),
    C("norm_inf_ties", lambda a: a.norm(float("inf"), 1), lambda a: a.norm(float("inf"), 1),
      [Arg(lambda rng: np.array([[1.0, -1.0, 0.5], [2.0, 0.0, -2.0]]))], fd=False),
    C("normalize_zero_rows", lambda a: B.nn.functional.normalize(a),
      lambda a: torch.nn.functional.normalize(a), [ZERO_ROW], fd=False),
    C("norm_p1_dim", lambda a: a.norm(p=1, dim=1), lambda a: a.norm(p=1, dim=1), [Away(3, 4)]),
    C("norm_inf", lambda a: a.norm(p=float("inf"), dim=1),
      lambda a: a.norm(p=float("inf"), dim=1), [DistinctAbs(3, 4)]),
    C("norm_p3_keepdim", lambda a: a.norm(3, 0, True), lambda a: a.norm(3, 0, True),
      [Away(3, 4)]),
    # ---------------------------------------------------------- shape and layout
    C("reshape", lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6), [U(2, 3, 4)]),
    C("reshape_infer", lambda a: B.reshape(a, (-1, 2)), lambda a: torch.reshape(a, (-1, 2)),
      [U(2, 3, 4)]),
    C("view", lambda a: a.view(6, 4), lambda a: a.view(6, 4), [U(2, 3, 4)]),
    C("view_tuple", lambda a: a.view((3, -1)), lambda a: a.view((3, -1)), [U(2, 3, 4)]),
    C("view_as", lambda a, b: a.view_as(b), lambda a, b: a.view_as(b),
      [U(2, 3, 4), Const(np.zeros((4, 6)))]),
    C("flatten", lambda a: a.flatten(), lambda a: a.flatten(), [U(2, 3, 4)]),
    C("flatten_range", B.flatten, torch.flatten, [U(2, 3, 4, 1)],
      {"start_dim": 1, "end_dim": 2}),
    C("unflatten", lambda a: a.unflatten(1, (2, 3)), lambda a: a.unflatten(1, (2, 3)),
      [U(2, 6)]),
    C("transpose", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2), [U(2, 3, 4)]),
    C("transpose_fn", B.transpose, torch.transpose, [U(2, 3, 4)], {"dim0": -1, "dim1": 1}),
    C("t", lambda a: a.t(), lambda a: a.t(), [U(3, 4)]),
    C("T", lambda a: a.T, lambda a: a.T, [U(3, 4)]),
    C("mT", lambda a: a.mT, lambda a: a.mT, [U(2, 3, 4)]),
    C("permute", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), [U(2, 3, 4)]),
    C("permute_tuple", lambda a: a.permute((1, -1, 0)), lambda a: a.permute((1, -1, 0)),
      [U(2, 3, 4)]),
    C("squeeze", lambda a: a.squeeze(), lambda a: a.squeeze(), [U(3, 1, 4, 1)]),
    C("squeeze_dim", lambda a: a.squeeze(1), lambda a: a.squeeze(1), [U(3, 1, 4, 1)]),
    C("squeeze_dims", B.squeeze, torch.squeeze, [U(3, 1, 4, 1)], {"dim": (1, 3)}),
    C("squeeze_noop", lambda a: a.squeeze(0), lambda a: a.squeeze(0), [U(3, 1, 4)]),
    C("unsqueeze", lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(0), [U(3, 4)]),
    C("unsqueeze_last", B.unsqueeze, torch.unsqueeze, [U(3, 4)], {"dim": -1}),
    C("expand", lambda a: a.expand(2, 3, 4), lambda a: a.expand(2, 3, 4), [U(3, 1)]),
    C("expand_minus1", lambda a: a.expand(-1, 4), lambda a: a.expand(-1, 4), [U(3, 1)]),
    C("expand_as", lambda a, b: a.expand_as(b), lambda a, b: a.expand_as(b),
      [U(1, 4), Const(np.zeros((3, 4)))]),
    C("broadcast_to", B.broadcast_to, torch.broadcast_to, [U(1, 4)], {"size": (2, 3, 4)}),
    C("repeat", lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [U(2, 3)]),
    C("repeat_same_ndim", lambda a: a.repeat(2, 2), lambda a: a.repeat(2, 2), [U(2, 3)]),
    C("flip", lambda a: a.flip(0), lambda a: a.flip(0), [U(3, 4)]),
    C("flip_dims", B.flip, torch.flip, [U(2, 3, 4)], {"dims": (0, -1)}),
    C("pad_constant", lambda a: b_pad(a, (1, 2), value=0.5),
      lambda a: TF.pad(a, (1, 2), value=0.5), [U(2, 3)]),
    C("pad_constant_2d", lambda a: b_pad(a, (1, 1, 2, 0)), lambda a: TF.pad(a, (1, 1, 2, 0)),
      [U(2, 3, 4)]),
    C("pad_reflect", lambda a: b_pad(a, (2, 1), mode="reflect"),
      lambda a: TF.pad(a, (2, 1), mode="reflect"), [U(2, 3, 4)]),
    C("pad_reflect_2d", lambda a: b_pad(a, (1, 2, 2, 1), mode="reflect"),
      lambda a: TF.pad(a, (1, 2, 2, 1), mode="reflect"), [U(2, 3, 4)]),
    C("pad_replicate", lambda a: b_pad(a, (2, 1, 1, 2), mode="replicate"),
      lambda a: TF.pad(a, (2, 1, 1, 2), mode="replicate"), [U(1, 2, 3, 4)]),
    C("pad_circular", lambda a: b_pad(a, (1, 2), mode="circular"),
      lambda a: TF.pad(a, (1, 2), mode="circular"), [U(2, 3, 4)]),
    C("pad_circular_2d", lambda a: b_pad(a, (1, 1, 2, 1), mode="circular"),
      lambda a: TF.pad(a, (1, 1, 2, 1), mode="circular"), [U(1, 2, 3, 4)]),
    # ---------------------------------------------------------- indexing
    C("getitem_int", lambda a: a[1], lambda a: a[1], [U(3, 4)]),
    C("getitem_neg_int", lambda a: a[-1, 2], lambda a: a[-1, 2], [U(3, 4)]),
    C("getitem_slice", lambda a: a[:, 1:3], lambda a: a[:, 1:3], [U(3, 4)], gradgrad=True),
    C("getitem_step", lambda a: a[::2, 1::2], lambda a: a[::2, 1::2], [U(3, 4)]),
    C("getitem_none_ellipsis", lambda a: a[None, ..., 0], lambda a: a[None, ..., 0],
      [U(2, 3, 4)]),
    C("getitem_ellipsis_none", lambda a: a[1, ..., None, 1:], lambda a: a[1, ..., None, 1:],
      [U(2, 3, 4)]),
    C("getitem_int_tensor", lambda a: a[_bt(np.int64(2))], lambda a: a[_tt(np.int64(2))],
      [U(3, 4)]),
    C("getitem_adv_repeated", lambda a: a[_bt(IDX)], lambda a: a[_tt(IDX)], [U(3, 4)],
      gradgrad=True),
    C("getitem_adv_list", lambda a: a[[0, 0, 2]], lambda a: a[[0, 0, 2]], [U(3, 4)]),
    # rows by one integer array: the gradient is the compiled _kernels.index_add_rows
    C("getitem_adv_negative", lambda a: a[_bt(_index([-1, 0, -1, 1]))],
      lambda a: a[_tt(_index([-1, 0, -1, 1]))], [U(3, 4)], gradgrad=True),
    C("getitem_adv_2d", lambda a: a[_bt(IDX2)], lambda a: a[_tt(IDX2)], [U(3, 4)]),
    C("getitem_adv_dim1", lambda a: a[:, _bt(IDX)], lambda a: a[:, _tt(IDX)], [U(3, 4)]),
    C("getitem_adv_pair", lambda a: a[_bt(IDX), _bt(_index([1, 1, 3, 1]))],
      lambda a: a[_tt(IDX), _tt(_index([1, 1, 3, 1]))], [U(3, 4)]),
    C("getitem_adv_separated", lambda a: a[_bt(IDX2), :, _bt(IDX2)],
      lambda a: a[_tt(IDX2), :, _tt(IDX2)], [U(3, 2, 3)]),
    C("getitem_mixed", lambda a: a[_bt(IDX), 1:3, None], lambda a: a[_tt(IDX), 1:3, None],
      [U(3, 4, 2)]),
    C("getitem_bool_mask", lambda a: a[_bt(MASK)], lambda a: a[_tt(MASK)], [U(3, 4)]),
    C("getitem_bool_rows", lambda a: a[_bt(ROWMASK), 1:], lambda a: a[_tt(ROWMASK), 1:],
      [U(3, 4)]),
    C("getitem_bool_from_tensor", lambda a: a[a > 0], lambda a: a[a > 0], [Away(3, 4)]),
    C("index_add_via_grad", _b_index_add_via_grad, _t_index_add_via_grad, [U(4, 4)]),
    C("cat", lambda a, b, c: B.cat([a, b, c]), lambda a, b, c: torch.cat([a, b, c]),
      [U(1, 4), U(3, 4), U(2, 4)]),
    C("cat_dim1", lambda a, b: B.cat((a, b), dim=-1), lambda a, b: torch.cat((a, b), dim=-1),
      [U(2, 3, 1), U(2, 3, 2)]),
    C("stack", lambda a, b, c: B.stack([a, b, c]), lambda a, b, c: torch.stack([a, b, c]),
      [U(3, 4), U(3, 4), U(3, 4)]),
    C("stack_dim1", lambda a, b: B.stack([a, b], 1), lambda a, b: torch.stack([a, b], 1),
      [U(3, 4), U(3, 4)]),
    C("stack_last", lambda a, b: B.stack([a, b], -1), lambda a, b: torch.stack([a, b], -1),
      [U(3, 4), U(3, 4)]),
    C("split", lambda a: a.split(2, dim=1), lambda a: a.split(2, dim=1), [U(3, 5)]),
    C("split_sections", lambda a: B.split(a, [1, 3], 1), lambda a: torch.split(a, [1, 3], 1),
      [U(3, 4)]),
    C("chunk", lambda a: a.chunk(3), lambda a: a.chunk(3), [U(5, 2)]),
    C("chunk_dim", B.chunk, torch.chunk, [U(3, 4)], {"chunks": 2, "dim": 1}),
    C("unbind", lambda a: a.unbind(1), lambda a: a.unbind(1), [U(3, 4)]),
    C("unbind_fn", B.unbind, torch.unbind, [U(2, 3)]),
    C("gather", lambda a: a.gather(1, _bt(GATHER1)), lambda a: a.gather(1, _tt(GATHER1)),
      [U(3, 4)], gradgrad=True),
    C("gather_dim0", lambda a: B.gather(a, 0, _bt(GATHER0)),
      lambda a: torch.gather(a, 0, _tt(GATHER0)), [U(3, 4)]),
    C("scatter_add", lambda a, s: a.scatter_add(0, _bt(SCATTER0), s),
      lambda a, s: a.scatter_add(0, _tt(SCATTER0), s), [U(3, 4), U(2, 4)]),
    C("scatter_add_dim1", lambda a, s: B.scatter_add(a, 1, _bt(SCATTER1), s),
      lambda a, s: torch.scatter_add(a, 1, _tt(SCATTER1), s), [U(3, 4), U(3, 3)]),
    C("index_select", lambda a: a.index_select(1, _bt(_index([0, 2, 2, 3, 0]))),
      lambda a: a.index_select(1, _tt(_index([0, 2, 2, 3, 0]))), [U(3, 4)]),
    C("index_select_dim0", lambda a: B.index_select(a, 0, _bt(IDX)),
      lambda a: torch.index_select(a, 0, _tt(IDX)), [U(3, 4)]),
    C("topk", lambda a: a.topk(2), lambda a: a.topk(2), [Distinct(3, 4)]),
    C("topk_smallest", B.topk, torch.topk, [Distinct(4, 3)],
      {"k": 3, "dim": 0, "largest": False}),
    C("sort", lambda a: a.sort(), lambda a: a.sort(), [Distinct(3, 4)]),
    C("sort_descending", B.sort, torch.sort, [Distinct(3, 4)], {"dim": 0, "descending": True}),
    C("argsort", B.argsort, torch.argsort, [Distinct(3, 4)], {"dim": 1}, grad=False),
    C("one_hot", lambda i: B.one_hot(i, 5), lambda i: TF.one_hot(i, 5),
      [Const(_index([[0, 4, 2], [2, 2, 1]]))], grad=False),
    C("one_hot_infer", B.one_hot, TF.one_hot, [Const(_index([3, 0, 1, 3]))], grad=False),
    # ---------------------------------------------------------- comparisons and logic
    *[C(f"cmp_{op}", getattr(B, op), getattr(torch, op), [Const(CMP_A), Const(CMP_B)],
        grad=False) for op in ("eq", "ne", "lt", "le", "gt", "ge")],
    C("cmp_operators", lambda a, b: (a == b, a != b, a < b, a <= b, a > b, a >= b),
      lambda a, b: (a == b, a != b, a < b, a <= b, a > b, a >= b),
      [Const(CMP_A), Const(CMP_B)], grad=False),
    C("cmp_scalar", lambda a: (a > 1.0, a == 0, 1.0 <= a), lambda a: (a > 1.0, a == 0, 1.0 <= a),
      [Const(CMP_A)], grad=False),
    C("cmp_broadcast", lambda a, b: a < b, lambda a, b: a < b, [Const(CMP_A), Const(CMP_B[0])],
      grad=False),
    *[C(f"logical_{op}", getattr(B, f"logical_{op}"), getattr(torch, f"logical_{op}"),
        [Bool(3, 4), Bool(3, 4)], grad=False) for op in ("and", "or", "xor")],
    C("logical_not", B.logical_not, torch.logical_not, [Bool(3, 4)], grad=False),
    C("logical_operators", lambda a, b: (a & b, a | b, a ^ b, ~a),
      lambda a, b: (a & b, a | b, a ^ b, ~a), [Bool(3, 4), Bool(3, 4)], grad=False),
    C("isnan_isfinite", lambda a: (B.isnan(a), B.isfinite(a)),
      lambda a: (torch.isnan(a), torch.isfinite(a)), [Const(SPECIAL)], grad=False),
    C("floordiv_remainder", lambda a, b: (a // b, a % b), lambda a, b: (a // b, a % b),
      [U(3, 4, lo=-5, hi=5), Away(3, 4, margin=0.5)], grad=False),
    C("floordiv_remainder_int", lambda a, b: (a // b, a % b, 7 // b, -7 % b, a // 3,
                                               B.div(a, b, rounding_mode="trunc")),
      lambda a, b: (a // b, a % b, 7 // b, -7 % b, a // 3, torch.div(a, b, rounding_mode="trunc")),
      [Const(INTS), Const(INTS_NONZERO)], grad=False),
    C("remainder_grad", lambda a, b: a % b, lambda a, b: a % b,
      [Const([[5.5, -3.25, 2.0]], grad=True), Const([[2.0, 1.5, -0.75]], grad=True)], fd=False),
    # ---------------------------------------------------------- dtype promotion
    C("promote_int_float",
      lambda i, x: (i + x, x * i, i / 2, i / i, i * 0.5, 2.5 ** i, abs(i) ** 0.5,
                    B.maximum(i, x), B.where(i > 0, i, 0.5), i.clamp(min=0.5),
                    i.masked_fill(i > 0, 1.5)),
      lambda i, x: (i + x, x * i, i / 2, i / i, i * 0.5, 2.5 ** i, abs(i) ** 0.5,
                    torch.maximum(i, x), torch.where(i > 0, i, 0.5), i.clamp(min=0.5),
                    i.masked_fill(i > 0, 1.5)),
      [Const(INTS_NONZERO), U(3, 4)], grad=False),
    C("promote_int_stays_int",
      lambda i: (i + 1, i * 2, i ** 2, 2 ** abs(i), i.clamp(0, 2), i.sum(), (i > 0).sum(), -i),
      lambda i: (i + 1, i * 2, i ** 2, 2 ** abs(i), i.clamp(0, 2), i.sum(), (i > 0).sum(), -i),
      [Const(INTS_NONZERO)], grad=False),
    C("promote_bool", lambda m, x: (m + m, m * 1.5, m * x, m.sum()),
      lambda m, x: (m + m, m * 1.5, m * x, m.sum()), [Bool(3, 4), U(3, 4)], grad=False),
    # ---------------------------------------------------------- conversions
    C("sum_to_size", lambda a: a.sum_to_size(1, 4), lambda a: a.sum_to_size(1, 4), [U(3, 4)]),
    C("sum_to_size_tuple", lambda a: a.sum_to_size((3, 1)), lambda a: a.sum_to_size((3, 1)),
      [U(2, 3, 4)]),
    C("to_float32", lambda a: a.to(B.float32) * 2, lambda a: a.to(torch.float32) * 2,
      [DYADIC], eps=0.25),
    C("to_float64", lambda a: a.to(B.float64), lambda a: a.to(torch.float64), [U(3, 4)]),
    C("float_double", lambda a: a.float().double(), lambda a: a.float().double(), [DYADIC],
      eps=0.25),
    C("to_int", lambda a: (a.long(), a.to(B.int32), a.bool()),
      lambda a: (a.long(), a.to(torch.int32), a.bool()), [U(3, 4, lo=-3, hi=3)], grad=False),
    C("to_device_cpu", lambda a: ToDevice.apply(a, device=B.device("cpu")) * 1,
      lambda a: a.to("cpu") * 1, [U(3, 4)]),
    C("clone", lambda a: a.clone(), lambda a: a.clone(), [U(3, 4)]),
]


def all_cases():
    """CASES from this file and from every tests/ops/cases_*.py beside it."""
    found = list(CASES)
    for path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
        spec = importlib.util.spec_from_file_location(f"_op_cases_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += list(getattr(module, "CASES", []))
    names = [c.name for c in found]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"duplicate op case names: {sorted(dupes)}")
    return found
