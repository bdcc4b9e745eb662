"""Every distribution against torch.distributions on the same float64 parameters: log_prob,
entropy, moments, cdf/icdf, shapes, and the gradients of log_prob and entropy."""
import numpy as np
import pytest
import torch

import brique as B
from _pairs import SPECS, build, value


def _close(b, t, name, what, rtol=1e-7, atol=1e-9):
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    t = t.detach().numpy()
    assert b.shape == t.shape, f"{name}.{what}: shape {b.shape} vs torch {t.shape}"
    np.testing.assert_allclose(b, t, rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=f"{name}.{what}")


def _torch_or_none(fn):
    try:
        return fn()
    except NotImplementedError:
        return None


@pytest.mark.parametrize("name", sorted(SPECS))
def test_values_match_torch(name):
    b, t, _, _ = build(name)
    assert tuple(b.batch_shape) == tuple(t.batch_shape), name
    assert tuple(b.event_shape) == tuple(t.event_shape), name
    assert b.has_rsample == t.has_rsample
    v = value(name)
    _close(b.log_prob(B.tensor(v)), t.log_prob(torch.tensor(v)), name, "log_prob")
    for what in ("mean", "variance", "stddev", "mode", "entropy"):
        ref = _torch_or_none(lambda: getattr(t, what)() if what == "entropy"
                             else getattr(t, what))
        if ref is not None:
            got = getattr(b, what)() if what == "entropy" else getattr(b, what)
            _close(got, ref, name, what)
    if _torch_or_none(lambda: t.cdf(torch.tensor(v))) is not None:
        _close(b.cdf(B.tensor(v)), t.cdf(torch.tensor(v)), name, "cdf")
        q = np.linspace(0.05, 0.95, int(np.prod(t.batch_shape)) or 1).reshape(t.batch_shape)
        if _torch_or_none(lambda: t.icdf(torch.tensor(q))) is not None:
            _close(b.icdf(B.tensor(q)), t.icdf(torch.tensor(q)), name, "icdf")
    if t.has_enumerate_support:
        _close(b.enumerate_support(), t.enumerate_support(), name, "enumerate_support")
        _close(b.enumerate_support(False), t.enumerate_support(False), name, "support_noexpand")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_gradients_match_torch(name):
    b, t, bp, tp = build(name, requires_grad=True)
    v = value(name)
    weights = np.random.default_rng(1).uniform(0.5, 1.5, t.log_prob(torch.tensor(v)).shape)
    loss_b = (b.log_prob(B.tensor(v)) * B.tensor(weights)).sum()
    loss_t = (t.log_prob(torch.tensor(v)) * torch.tensor(weights)).sum()
    if _torch_or_none(lambda: t.entropy()) is not None:
        loss_b, loss_t = loss_b + b.entropy().sum(), loss_t + t.entropy().sum()
    loss_b.backward()
    loss_t.backward()
    for k in bp:
        if tp[k].grad is not None:
            _close(bp[k].grad, tp[k].grad, name, f"grad {k}", rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_sample_and_expand_shapes(name):
    b, t, _, _ = build(name)
    B.manual_seed(0)
    s = b.sample((5,))
    assert tuple(s.shape) == (5,) + tuple(t.batch_shape) + tuple(t.event_shape), name
    assert bool(b.support.check(s).all()), f"{name}: a sample outside the support"
    if b.has_rsample:
        assert tuple(b.rsample((2, 1)).shape) == (2, 1) + tuple(t.batch_shape) + \
            tuple(t.event_shape)
    e = b.expand((4,) + tuple(b.batch_shape))
    assert tuple(e.batch_shape) == (4,) + tuple(t.batch_shape)
    drawn = e.sample()
    assert tuple(drawn.shape) == (4,) + tuple(t.batch_shape) + tuple(t.event_shape)
    _close(e.log_prob(drawn), t.expand((4,) + tuple(t.batch_shape)).log_prob(
        torch.tensor(drawn.numpy())), name, "expanded log_prob")
