"""Autoencoders: shapes, the conv autoencoder's 28x28 output, and one step lowering the loss."""
import numpy as np
import pytest

import brique
from brique import models, optim
from brique.models.autoencoder import corrupt
from brique.nn import functional as F


def _digits(n=16):
    rng = np.random.default_rng(0)
    x = np.zeros((n, 1, 28, 28), np.float32)
    x[:, :, 8:20, 10:18] = rng.random((n, 1, 12, 8)) * 0.5 + 0.5
    return brique.tensor(x)


@pytest.mark.parametrize("make, code", [
    (lambda: models.Autoencoder(784, (64,), 16), 16),
    (lambda: models.DeepAutoencoder(784, (64, 32), 2), 2),
    (lambda: models.SparseAutoencoder(784, (), 24, sparsity="l1"), 24),
    (lambda: models.SparseAutoencoder(784, (), 24, sparsity="kl"), 24),
])
def test_dense_shapes(make, code):
    brique.manual_seed(0)
    m, x = make(), _digits(4)
    assert m(x).shape == (4, 1, 28, 28)
    assert m(x.reshape(4, 784)).shape == (4, 784)
    assert m.encode(x).shape == (4, code)
    out = m(x).detach().numpy()
    assert out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError):
        m(brique.zeros(4, 100))


def test_conv_autoencoder_shapes():
    m, x = models.ConvAutoencoder(), _digits(2)
    assert m.encode(x).shape == (2, 8, 4, 4) and m.code_size == 128
    assert m(x).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError):
        m(brique.zeros(2, 1, 32, 32))
    wide = models.ConvAutoencoder(widths=(32, 32), code_channels=2)
    assert wide.encode(x).shape == (2, 2, 4, 4) and wide.code_size == 32
    assert wide(x).shape == (2, 1, 28, 28)
    # the listing's parameter count: 7 convs of 3x3 with biases
    sizes = [(1, 16), (16, 8), (8, 8), (8, 8), (8, 8), (8, 16), (16, 1)]
    assert sum(p.numel() for p in m.parameters()) == sum(9 * a * b + b for a, b in sizes)


@pytest.mark.parametrize("make, lr", [
    (lambda: models.Autoencoder(784, (64,), 16), 1e-3),
    (lambda: models.DeepAutoencoder(784, (64, 32), 8), 1e-3),
    (lambda: models.ConvAutoencoder(), None),
    (lambda: models.DenoisingAutoencoder(models.Autoencoder(784, (64,), 16), "gaussian", 0.3,
                                         generator=0), 1e-3),
    (lambda: models.SparseAutoencoder(784, (), 32, sparsity="l1", weight=1e-3), 1e-3),
    (lambda: models.SparseAutoencoder(784, (), 32, sparsity="kl", weight=0.1), 1e-3),
])
def test_one_step_lowers_loss(make, lr):
    brique.manual_seed(0)
    m, x = make(), _digits()
    opt = optim.Adam(m.parameters(), lr=lr) if lr else optim.Adadelta(m.parameters(), rho=0.95)

    def loss():
        out = m(x)
        total = F.binary_cross_entropy(out, x)
        return total + m.penalty() if hasattr(m, "penalty") else total

    m.eval()
    with brique.no_grad():
        before = loss().item()
    m.train()
    opt.zero_grad()
    loss().backward()
    opt.step()
    m.eval()
    with brique.no_grad():
        assert loss().item() < before


def test_corrupt_and_denoising_wrapper():
    x = _digits(4)
    g = corrupt(x, "gaussian", 0.5, generator=0).numpy()
    assert g.shape == x.shape and g.min() >= 0 and g.max() <= 1 and not np.allclose(g, x.numpy())
    mk = corrupt(x, "masking", 0.5, generator=0).numpy()
    zeroed = (mk == 0) & (x.numpy() > 0)
    assert 0.3 < zeroed.sum() / (x.numpy() > 0).sum() < 0.7
    with pytest.raises(ValueError):
        corrupt(x, "salt")
    dae = models.DenoisingAutoencoder(models.Autoencoder(784, (32,), 8), "masking", 0.5,
                                      generator=0)
    dae.eval()
    with brique.no_grad():
        a, b = dae(x).numpy(), dae(x).numpy()
    assert np.array_equal(a, b)  # no noise in eval mode
    dae.train()
    with brique.no_grad():
        assert not np.array_equal(dae(x).numpy(), a)


def test_sparse_penalty():
    brique.manual_seed(0)
    m = models.SparseAutoencoder(784, (), 32, sparsity="l1", weight=0.5)
    x = _digits(4)
    m(x)
    z = m.last_code.detach().numpy()
    assert np.isclose(m.penalty().item(), 0.5 * np.abs(z).sum() / 4, rtol=1e-5)
    k = models.SparseAutoencoder(784, (), 32, sparsity="kl", weight=1.0, rho=0.05)
    k(x)
    rh = k.last_code.detach().numpy().mean(0)
    kl = (0.05 * np.log(0.05 / rh) + 0.95 * np.log(0.95 / (1 - rh))).sum()
    assert np.isclose(k.penalty().item(), kl, rtol=1e-4)


@pytest.mark.parametrize("prior", ["gaussian", "mixture"])
def test_adversarial_autoencoder_prior_and_shapes(prior):
    brique.manual_seed(0)
    m = models.AdversarialAutoencoder(hidden=(32,), code=2, prior=prior)
    x = _digits(4)
    assert m(x).shape == x.shape and m.encode(x).shape == (4, 2)
    assert m.discriminator(m.encode(x)).shape == (4, 1)
    z = m.sample_prior(20000).numpy()
    assert z.shape == (20000, 2) and np.allclose(z.mean(0), 0, atol=0.05)
    if prior == "gaussian":
        assert np.allclose(z.std(0), 1, atol=0.03)
    else:  # 10 blobs of std 0.5 on the circle of radius 3
        angle = np.round(np.arctan2(z[:, 1], z[:, 0]) / (2 * np.pi / 10)) % 10
        centres = 3 * np.stack([np.cos(angle * 2 * np.pi / 10),
                                np.sin(angle * 2 * np.pi / 10)], 1)
        assert np.allclose((z - centres).std(0), 0.5, atol=0.05)
        assert np.bincount(angle.astype(int), minlength=10).min() > 1500


def test_adversarial_autoencoder_bad_prior():
    with pytest.raises(ValueError, match="prior must be"):
        models.AdversarialAutoencoder(prior="uniform")
    with pytest.raises(ValueError, match="2-D"):
        models.AdversarialAutoencoder(code=8, prior="mixture")
