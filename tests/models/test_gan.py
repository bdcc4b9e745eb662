"""GAN players: shapes, output range, conditional inputs, gradients reaching every parameter."""
import brique
from brique import models


def _labels(n):
    return brique.tensor([i % 10 for i in range(n)])


def test_mlp_players_shapes():
    G, D = models.MLPGenerator(16, (32, 64)), models.MLPDiscriminator((64, 32))
    x = G(brique.randn(5, 16))
    assert x.shape == (5, 1, 28, 28)
    assert float(x.abs().max().item()) <= 1.0
    assert D(x).shape == (5, 1)


def test_dcgan_players_shapes_and_grads():
    G, D = models.DCGANGenerator(16, width=8), models.DCGANDiscriminator(width=8)
    x = G(brique.randn(4, 16))
    assert x.shape == (4, 1, 28, 28)
    assert float(x.abs().max().item()) <= 1.0
    out = D(x)
    assert out.shape == (4, 1)
    out.sum().backward()
    for name, p in list(G.named_parameters()) + list(D.named_parameters()):
        assert p.grad is not None, name
    kinds = {type(m).__name__ for m in G.modules()}
    assert {"ConvTranspose2d", "BatchNorm2d", "ReLU", "Tanh"} <= kinds
    kinds = {type(m).__name__ for m in D.modules()}
    assert {"Conv2d", "BatchNorm2d", "LeakyReLU"} <= kinds


def test_conditional_shapes():
    y = _labels(6)
    G = models.DCGANGenerator(16, width=8, num_classes=10)
    D = models.DCGANDiscriminator(width=8, num_classes=10)
    x = G(brique.randn(6, 16), y)
    assert x.shape == (6, 1, 28, 28) and D(x, y).shape == (6, 1)
    G = models.MLPGenerator(16, (32,), num_classes=10)
    D = models.MLPDiscriminator((32,), num_classes=10)
    x = G(brique.randn(6, 16), y)
    assert x.shape == (6, 1, 28, 28) and D(x, y).shape == (6, 1)
    # the label changes the sample
    z = brique.randn(1, 16)
    G.eval()
    a, b = G(z, brique.tensor([1])), G(z, brique.tensor([7]))
    assert float((a - b).abs().max().item()) > 1e-4
