"""Penalty helpers: values and gradients, what they accept, and l2_penalty as weight decay."""
import numpy as np
import pytest

import brique
import brique.nn as nn


def model():
    brique.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def test_l1_and_l2_values_and_gradients():
    m = model()
    params = list(m.parameters())
    arrays = [p.detach().numpy().copy() for p in params]
    l1 = nn.l1_penalty(m, 0.1)
    l2 = nn.l2_penalty(m, 0.05)
    assert l1.item() == pytest.approx(0.1 * sum(np.abs(a).sum() for a in arrays), rel=1e-6)
    assert l2.item() == pytest.approx(0.05 * sum((a * a).sum() for a in arrays), rel=1e-6)
    (l1 + l2).backward()
    for p, a in zip(params, arrays):
        np.testing.assert_allclose(p.grad.numpy(), 0.1 * np.sign(a) + 0.1 * a, rtol=1e-6)


def test_accepts_module_tensor_or_iterable():
    m = model()
    weights = [m[0].weight, m[2].weight]
    only_weights = nn.l2_penalty(weights, 1.0).item()
    expected = sum((w.detach().numpy() ** 2).sum() for w in weights)
    assert only_weights == pytest.approx(expected, rel=1e-6)
    assert nn.l1_penalty(m[0].weight, 2.0).item() == pytest.approx(
        2.0 * np.abs(m[0].weight.detach().numpy()).sum(), rel=1e-6)
    assert nn.l2_penalty(m.parameters()).item() == pytest.approx(nn.l2_penalty(m).item())
    with pytest.raises(TypeError, match="l1_penalty: expected a Module"):
        nn.l1_penalty([1.0, 2.0])
    with pytest.raises(ValueError, match="no parameters"):
        nn.l2_penalty([])


def test_l2_penalty_is_weight_decay():
    x, y = brique.randn(8, 4), brique.randn(8, 2)
    a, b = model(), model()
    opt_a = brique.optim.SGD(a.parameters(), lr=0.1, weight_decay=0.02)
    opt_b = brique.optim.SGD(b.parameters(), lr=0.1)
    for _ in range(3):
        for m, opt, extra in ((a, opt_a, None), (b, opt_b, 0.01)):
            opt.zero_grad()
            loss = nn.functional.mse_loss(m(x), y)
            if extra:
                loss = loss + nn.l2_penalty(m, extra)
            loss.backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(pa.detach().numpy(), pb.detach().numpy(), rtol=1e-5,
                                   atol=1e-7)


def test_activity_penalties():
    h = brique.tensor([[1.0, -2.0], [0.0, 3.0]], requires_grad=True)
    p = nn.activity_l1(h, 0.5) + nn.activity_l2(h, 0.25)
    assert p.item() == pytest.approx(0.5 * 6 + 0.25 * 14)
    p.backward()
    np.testing.assert_allclose(h.grad.numpy(), 0.5 * np.sign(h.detach().numpy())
                               + 0.5 * h.detach().numpy())
