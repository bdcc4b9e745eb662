"""brique.nn.utils.clip_grad_norm_ / clip_grad_value_ against torch.nn.utils."""
import numpy as np
import pytest

import brique
from brique.nn.utils import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1)
SHAPES = [(4, 3), (3,), (2, 2, 2)]
GRADS = [RNG.standard_normal(s) for s in SHAPES]


def params_with_grads(lib, grads=GRADS, dtype=None, none_at=None):
    dtype = dtype or lib.float64
    params = []
    for i, g in enumerate(grads):
        p = lib.zeros(*g.shape, dtype=dtype, requires_grad=True)
        if i != none_at:
            p.grad = lib.tensor(g, dtype=dtype)
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_norm_matches_torch(norm_type, max_norm):
    b, t = params_with_grads(brique, none_at=1), params_with_grads(torch, none_at=1)
    b_total = clip_grad_norm_(b, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    assert isinstance(b_total, brique.Tensor) and b_total.shape == ()
    np.testing.assert_allclose(b_total.item(), t_total.item(), rtol=1e-12)
    for bp, tp in zip(b, t):
        if tp.grad is None:
            assert bp.grad is None
        else:
            np.testing.assert_allclose(bp.grad.numpy(), tp.grad.numpy(), rtol=1e-12)
    if max_norm == 1e3:  # below the limit: the gradients are kept
        np.testing.assert_allclose(b[0].grad.numpy(), GRADS[0], rtol=1e-12)


def test_norm_float32_generator_and_single_tensor():
    b = params_with_grads(brique, dtype=brique.float32)
    t = params_with_grads(torch, dtype=torch.float32)
    b_total = clip_grad_norm_((p for p in b), 1.0)
    t_total = torch.nn.utils.clip_grad_norm_((p for p in t), 1.0)
    assert b_total.dtype == np.float32 and b[0].grad.dtype == np.float32
    np.testing.assert_allclose(b_total.item(), t_total.item(), rtol=1e-6)
    for bp, tp in zip(b, t):
        np.testing.assert_allclose(bp.grad.numpy(), tp.grad.numpy(), rtol=1e-6)
    one = params_with_grads(brique)[0]
    total = clip_grad_norm_(one, 1.0)
    np.testing.assert_allclose(total.item(), np.linalg.norm(GRADS[0]), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(one.grad.numpy()), 1.0, rtol=1e-5)


def test_norm_no_grads_and_nonfinite():
    assert clip_grad_norm_(params_with_grads(brique, grads=[]), 1.0).item() == 0.0
    p = params_with_grads(brique)
    p[0].grad._data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    p[0].grad._data[0, 0] = np.nan
    assert np.isnan(clip_grad_norm_(p, 1.0).item())


def test_clip_value_matches_torch():
    b, t = params_with_grads(brique, none_at=2), params_with_grads(torch, none_at=2)
    version = b[0].grad._version
    clip_grad_value_(b, 0.5)
    torch.nn.utils.clip_grad_value_(t, 0.5)
    assert b[0].grad._version == version + 1
    for bp, tp in zip(b, t):
        if tp.grad is None:
            assert bp.grad is None
        else:
            np.testing.assert_array_equal(bp.grad.numpy(), tp.grad.numpy())
    assert np.abs(b[0].grad.numpy()).max() == 0.5


def test_reachable_from_brique_nn():
    import brique.nn as nn
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert nn.utils.clip_grad_value_ is clip_grad_value_


def test_norm_without_grads_is_a_tensor_on_the_parameters_device():
    w = brique.zeros(3, requires_grad=True)
    norm = clip_grad_norm_([w], 1.0)
    assert isinstance(norm, brique.Tensor) and norm.device == w.device and norm.shape == ()
