"""Finite-difference gradient checks in float64 for every differentiable case of the registry,
second-order checks (gradgradcheck) for a representative subset, and the coverage meta-test that
fails when a primitive under brique.ops has no case."""
from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import brique as B
from brique.autograd import Function
from cases import all_cases, as_list

ALL = all_cases()
FD_CASES = [c for c in ALL if c.grad and c.fd]
GRADGRAD_CASES = [c for c in ALL if c.gradgrad]
EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-5


def float_outputs(out):
    return [o for o in as_list(out) if isinstance(o, B.Tensor) and o.dtype.kind == "f"]


def gradcheck(fn, arrays, mask, rng, eps=EPS, atol=ATOL, rtol=RTOL):
    """Compare the analytic vector-Jacobian product of `fn` with central differences of
    L(x) = sum_k <out_k(x), v_k>, v_k a random upstream gradient, for every input in `mask`."""
    arrays = [np.array(a, copy=True) for a in arrays]

    def run():
        inputs = [B.tensor(a, requires_grad=m) for a, m in zip(arrays, mask)]
        return inputs, float_outputs(fn(*inputs))

    inputs, outs = run()
    vs = [rng.standard_normal(o.shape) for o in outs]
    wrt = [t for t, m in zip(inputs, mask) if m]
    live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
    analytic = [None] * len(wrt)
    if live:
        analytic = B.grad([o for o, _ in live], wrt, [B.tensor(v) for _, v in live],
                          allow_unused=True)

    def objective():
        _, outs = run()
        return sum(float((np.asarray(o.detach(), dtype=np.float64) * v).sum())
                   for o, v in zip(outs, vs))

    k = 0
    for a, m in zip(arrays, mask):
        if not m:
            continue
        numeric = np.zeros_like(a)
        flat = a.reshape(-1)  # a view: perturbing it perturbs the input
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = objective()
            flat[j] = orig - eps
            minus = objective()
            flat[j] = orig
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        got = np.zeros_like(a) if analytic[k] is None else np.asarray(analytic[k].detach())
        assert got.shape == a.shape, f"input {k}: gradient shape {got.shape} != {a.shape}"
        np.testing.assert_allclose(got, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {k} (analytic vs numeric)")
        k += 1


@pytest.mark.parametrize("case", FD_CASES, ids=lambda c: c.name)
def test_gradcheck(case):
    arrays = case.draw(np.float64)
    mask = case.grad_mask(arrays)
    assert any(mask), f"{case.name}: no differentiable input"
    gradcheck(lambda *ts: case.fn(*ts, **case.kwargs), arrays, mask, case.rng(1), eps=case.eps)


def first_order(case, n_inputs, mask):
    """The first-order gradients as a function of (inputs..., upstream gradients...), computed
    with create_graph=True so that they can be differentiated again."""
    def grads(*ts):
        inputs, vs = ts[:n_inputs], ts[n_inputs:]
        outs = float_outputs(case.fn(*inputs, **case.kwargs))
        wrt = [t for t, m in zip(inputs, mask) if m]
        gs = B.grad(outs, wrt, list(vs), create_graph=True, allow_unused=True)
        return [B.zeros_like(t) if g is None else g for g, t in zip(gs, wrt)]
    return grads


@pytest.mark.parametrize("case", GRADGRAD_CASES, ids=lambda c: c.name)
def test_gradgradcheck(case):
    arrays = case.draw(np.float64)
    mask = case.grad_mask(arrays)
    with B.no_grad():
        outs = float_outputs(case.fn(*[B.tensor(a) for a in arrays], **case.kwargs))
    rng = case.rng(2)
    vs = [rng.standard_normal(o.shape) for o in outs]
    gradcheck(first_order(case, len(arrays), mask), arrays + vs, mask + [True] * len(vs), rng)


def test_gradcheck_catches_a_wrong_backward():
    """The checker itself must fail on a wrong derivative."""
    class Wrong(Function):
        def forward(self, a):
            return a * a

        def backward(self, g):
            (a,) = self.saved
            return g * a  # should be 2 * g * a

    with pytest.raises(AssertionError):
        gradcheck(Wrong.apply, [np.linspace(0.5, 2.0, 6)], [True], np.random.default_rng(0))


# ----------------------------------------------------------------- coverage meta-test


def primitives():
    """Every differentiable Function subclass defined under brique.ops (submodules imported, so
    that ops added in new files count too). Private names (`_Layer`) are abstract bases that
    never run themselves, and are left out."""
    import brique.ops
    for info in pkgutil.walk_packages(brique.ops.__path__, "brique.ops."):
        importlib.import_module(info.name)
    found, stack = set(), [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if (sub.__module__.startswith("brique.ops") and sub.differentiable
                    and not sub.__name__.startswith("_")):
                found.add(sub)
    return found


def graph_types(outputs):
    """Types of every Function node reachable from the outputs."""
    seen, types = set(), set()
    stack = [o for o in outputs if isinstance(o, B.Tensor)]
    while stack:
        ctx = stack.pop()._ctx
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        types.add(type(ctx))
        stack += [p for p in ctx.inputs or () if isinstance(p, B.Tensor)]
    return types


def test_every_primitive_has_a_case():
    covered = set()
    for case in ALL:
        if not case.grad:
            continue
        arrays = case.draw(np.float64)
        inputs = [B.tensor(a, requires_grad=m) for a, m in zip(arrays, case.grad_mask(arrays))]
        covered |= graph_types(as_list(case.fn(*inputs, **case.kwargs)))
    missing = sorted(f"{p.__module__}.{p.__name__}" for p in primitives() - covered)
    assert not missing, f"primitives with no op test case: {', '.join(missing)}"
