"""Every case of the registry against PyTorch on the same inputs: forward values, dtypes and
shapes, and gradients for a random upstream gradient, in float64 and float32. A hypothesis test
covers broadcasting of the binary ops over random shapes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import brique as B
from cases import all_cases, as_list

TORCH_CASES = [c for c in all_cases() if c.torch_fn is not None]
# (rtol, atol): atol is scaled by the size of the reference values.
TOL = {np.float64: (1e-5, 1e-8), np.float32: (1e-4, 1e-5)}


def assert_same(got, want, dtype, what, tol=None):
    """A brique tensor against a torch tensor: shape, dtype, then values within tolerance
    (`tol`: the case's own {dtype: (rtol, atol)}, atol not scaled)."""
    want = want.detach().numpy()
    got = np.asarray(got.detach())
    assert got.shape == want.shape, f"{what}: shape {got.shape} != torch's {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != torch's {want.dtype}"
    if got.dtype.kind == "f":
        rtol, atol = TOL[dtype] if tol is None else tol[dtype]
        finite = want[np.isfinite(want)]
        scale = max(1.0, float(np.abs(finite).max())) if finite.size and tol is None else 1.0
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, equal_nan=True,
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def compare(b_fn, t_fn, arrays, mask, dtype, rng, kwargs=None, tol=None):
    """Run both frameworks on the same arrays; compare outputs, then the gradients of
    sum_k <out_k, v_k> with respect to every input in `mask`."""
    kwargs = kwargs or {}
    b_in = [B.tensor(a, requires_grad=m) for a, m in zip(arrays, mask)]
    t_in = [torch.tensor(a, requires_grad=m) for a, m in zip(arrays, mask)]
    b_out, t_out = as_list(b_fn(*b_in, **kwargs)), as_list(t_fn(*t_in, **kwargs))
    assert len(b_out) == len(t_out), f"{len(b_out)} outputs, torch gives {len(t_out)}"
    for k, (bo, to) in enumerate(zip(b_out, t_out)):
        assert_same(bo, to, dtype, f"output {k}", tol)
    if not any(mask):
        return
    pairs = []
    for k, (bo, to) in enumerate(zip(b_out, t_out)):
        assert bo.requires_grad == to.requires_grad, \
            f"output {k}: requires_grad={bo.requires_grad}, torch's is {to.requires_grad}"
        if to.requires_grad:
            pairs.append((bo, to, rng.standard_normal(to.shape).astype(dtype)))
    b_wrt = [t for t, m in zip(b_in, mask) if m]
    t_wrt = [t for t, m in zip(t_in, mask) if m]
    b_grads = B.grad([p[0] for p in pairs], b_wrt, [B.tensor(p[2]) for p in pairs],
                     allow_unused=True)
    t_grads = torch.autograd.grad([p[1] for p in pairs], t_wrt,
                                  [torch.tensor(p[2]) for p in pairs], allow_unused=True)
    for k, (bg, tg, t) in enumerate(zip(b_grads, t_grads, t_wrt)):
        bg = B.zeros_like(B.tensor(t.detach().numpy())) if bg is None else bg
        tg = torch.zeros_like(t) if tg is None else tg
        assert_same(bg, tg, dtype, f"gradient of input {k}", tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: c.name)
def test_vs_torch(case, dtype):
    arrays = case.draw(dtype)
    mask = case.grad_mask(arrays) if case.grad else [False] * len(arrays)
    compare(case.fn, case.torch_fn, arrays, mask, dtype, case.rng(3), case.kwargs, case.tol)


# ----------------------------------------------------------------- broadcasting, by hypothesis

BINARY = {
    "add": (B.add, torch.add),
    "sub": (B.sub, torch.sub),
    "mul": (B.mul, torch.mul),
    "div": (B.div, torch.div),
    "maximum": (B.maximum, torch.maximum),
    "minimum": (B.minimum, torch.minimum),
    "pow": (B.pow, torch.pow),
}


@pytest.mark.parametrize("op", sorted(BINARY))
@settings(max_examples=30, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       seed=st.integers(0, 2**32 - 1))
def test_binary_broadcasting(op, shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, shapes.input_shapes[0])  # positive: a valid base for pow
    b = rng.uniform(-2.0, 2.0, shapes.input_shapes[1])
    if op == "div":
        a, b = b, a  # positive denominator
    b_fn, t_fn = BINARY[op]
    compare(b_fn, t_fn, [a, b], [True, True], np.float64, rng)


@settings(max_examples=30, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=3),
       seed=st.integers(0, 2**32 - 1))
def test_where_broadcasting(shapes, seed):
    rng = np.random.default_rng(seed)
    cond_shape, a_shape, b_shape = shapes.input_shapes
    arrays = [rng.uniform(0, 1, cond_shape) < 0.5, rng.standard_normal(a_shape),
              rng.standard_normal(b_shape)]
    compare(B.where, torch.where, arrays, [False, True, True], np.float64, rng)
