"""Dropout modules: masks are random, so check what they must satisfy (the fraction dropped,
the mean kept by the 1 / (1 - p) scaling, whole channels for Dropout1d/2d, gradient through
the same mask) and the identity in eval mode."""
import numpy as np
import pytest
import torch

import brique
import brique.nn as nn


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics(p):
    brique.manual_seed(0)
    x = brique.ones(200, 500)
    y = nn.Dropout(p)(x).numpy()
    zeros = (y == 0).mean()
    assert abs(zeros - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_gradient_uses_the_same_mask():
    brique.manual_seed(1)
    x = brique.randn(50, 40, requires_grad=True)
    y = nn.Dropout(0.3)(x)
    y.sum().backward()
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, 1 / 0.7, 0.0), rtol=1e-6)


@pytest.mark.parametrize("cls", [nn.Dropout, nn.Dropout1d, nn.Dropout2d])
def test_eval_mode_is_the_identity(cls):
    x = brique.randn(4, 3, 5, 5) if cls is nn.Dropout2d else brique.randn(4, 3, 5)
    layer = cls(0.5).eval()
    assert layer(x) is x or np.array_equal(layer(x).numpy(), x.numpy())
    train = cls(0.0).train()
    np.testing.assert_array_equal(train(x).numpy(), x.numpy())


def test_p_one_drops_everything():
    x = brique.randn(10, 10, requires_grad=True)
    y = nn.Dropout(1.0)(x)
    assert (y.detach().numpy() == 0).all()
    y.sum().backward()
    assert (x.grad.numpy() == 0).all()


def test_dropout2d_drops_whole_channels():
    brique.manual_seed(2)
    p = 0.4
    x = brique.ones(64, 32, 4, 5)
    y = nn.Dropout2d(p)(x).numpy()
    per_channel = y.reshape(64, 32, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # all or nothing per map
    dropped = (per_channel[..., 0] == 0).mean()
    assert abs(dropped - p) < 0.04
    assert abs(y.mean() - 1.0) < 0.05
    z = nn.Dropout2d(p)(brique.ones(16, 4, 4)).numpy().reshape(16, -1)  # (C, H, W)
    assert (z.min(-1) == z.max(-1)).all()


def test_dropout1d_drops_whole_channels():
    brique.manual_seed(3)
    y = nn.Dropout1d(0.5)(brique.ones(32, 16, 10)).numpy()
    assert (y.min(-1) == y.max(-1)).all()
    assert abs((y[..., 0] == 0).mean() - 0.5) < 0.06


def test_dropout_is_reproducible_with_manual_seed():
    x = brique.ones(20, 20)
    brique.manual_seed(5)
    a = nn.Dropout(0.5)(x).numpy()
    brique.manual_seed(5)
    b = nn.Dropout(0.5)(x).numpy()
    np.testing.assert_array_equal(a, b)


def test_errors_and_repr():
    with pytest.raises(ValueError, match="Dropout: dropout probability has to be between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="Dropout2d"):
        nn.Dropout2d(-0.1)
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):  # PyTorch warns, proceeds
        assert nn.Dropout2d()(brique.randn(4, 5)).shape == (4, 5)
    with pytest.raises(ValueError, match=r"dropout2d.*shape \(5,\)"):
        nn.Dropout2d()(brique.randn(5))
    for cls in ("Dropout", "Dropout1d", "Dropout2d"):
        assert repr(getattr(nn, cls)(0.3)) == repr(getattr(torch.nn, cls)(0.3))
    assert list(nn.Dropout().state_dict()) == []
