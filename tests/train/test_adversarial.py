"""Two-player training: the step is the game as written, a generator moves towards the data
distribution, and an adversarial autoencoder's codes towards its prior."""
import numpy as np

import brique
from brique import models, nn, optim
from brique.nn import functional as F
from brique.train import (adversarial_step, sample_generator, train_adversarial,
                          train_adversarial_autoencoder)
from brique.utils.data import DataLoader, TensorDataset


def test_generator_moves_to_a_gaussian():
    brique.manual_seed(0)
    rng = np.random.default_rng(0)
    data = TensorDataset(brique.tensor(rng.normal(3.0, 0.5, (2048, 1)).astype(np.float32)))
    loader = DataLoader(data, batch_size=64, shuffle=True, generator=0)
    G = nn.Sequential(nn.Linear(4, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    D = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    before = sample_generator(G, 2000, 4).numpy()
    seen = []
    hist = train_adversarial(G, D, loader, epochs=10, latent_dim=4,
                             g_optimizer=optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999)),
                             d_optimizer=optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999)),
                             callback=lambda epoch, g, d, h: seen.append(epoch))
    after = sample_generator(G, 2000, 4).numpy()
    assert seen == list(range(10))
    assert len(hist["d_loss"]) == len(hist["g_loss"]) == 10
    assert len(hist["g_loss_steps"]) == 10 * len(loader)  # 320 generator updates
    assert all(np.isfinite(hist["d_loss"])) and all(np.isfinite(hist["g_loss"]))
    assert abs(before.mean() - 3.0) > 2.0
    assert abs(after.mean() - 3.0) < 0.3, after.mean()
    assert 0.25 < after.std() < 1.0, after.std()
    assert 0.3 < hist["d_acc"][-1] < 0.9  # near equilibrium D cannot tell


def test_conditional_batches_need_labels():
    G = nn.Linear(2, 1)
    D = nn.Linear(1, 1)
    loader = DataLoader(TensorDataset(brique.randn(8, 1)), batch_size=4)
    try:
        train_adversarial(G, D, loader, epochs=1, latent_dim=2, conditional=True,
                          g_optimizer=optim.SGD(G.parameters(), lr=0.1),
                          d_optimizer=optim.SGD(D.parameters(), lr=0.1))
    except ValueError as e:
        assert "labels" in str(e)
    else:
        raise AssertionError("expected a ValueError")


def test_adversarial_step_is_the_written_out_game():
    """One step == D update on (real, detached fake), then G update against the new D."""
    brique.manual_seed(0)
    G, D = nn.Linear(3, 2), nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    G2, D2 = nn.Linear(3, 2), nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    G2.load_state_dict(G.state_dict())
    D2.load_state_dict(D.state_dict())
    z, real = brique.randn(5, 3), brique.randn(5, 2)
    ones, zeros = brique.ones(5, 1), brique.zeros(5, 1)
    stats = adversarial_step(G, D, z, real, optim.SGD(G.parameters(), lr=0.5),
                             optim.SGD(D.parameters(), lr=0.5))

    g_opt, d_opt = optim.SGD(G2.parameters(), lr=0.5), optim.SGD(D2.parameters(), lr=0.5)
    with brique.no_grad():
        fake = G2(z)
    d_loss = (F.binary_cross_entropy_with_logits(D2(real), ones)
              + F.binary_cross_entropy_with_logits(D2(fake), zeros))
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    g_loss = F.binary_cross_entropy_with_logits(D2(G2(z)), ones)
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()

    assert np.isclose(stats["d_loss"], d_loss.item()) and np.isclose(stats["g_loss"], g_loss.item())
    for a, b in zip(list(G.parameters()) + list(D.parameters()),
                    list(G2.parameters()) + list(D2.parameters())):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
    assert 0 <= stats["d_acc"] <= 1 and 0 < stats["d_real"] < 1 and 0 < stats["d_fake"] < 1


def test_d_steps_skip_generator_updates():
    brique.manual_seed(0)
    G, D = nn.Linear(2, 1), nn.Linear(1, 1)
    w = G.weight.detach().numpy().copy()
    loader = DataLoader(TensorDataset(brique.randn(64, 1)), batch_size=8)
    hist = train_adversarial(G, D, loader, epochs=1, latent_dim=2, d_steps=4,
                             g_optimizer=optim.SGD(G.parameters(), lr=0.1),
                             d_optimizer=optim.SGD(D.parameters(), lr=0.1))
    assert len(hist["d_loss_steps"]) == 8 and len(hist["g_loss_steps"]) == 2
    assert not np.allclose(G.weight.detach().numpy(), w)


def test_adversarial_autoencoder_training():
    """Reconstruction falls, and the adversary pulls the codes towards N(0, I)."""
    brique.manual_seed(0)
    rng = np.random.default_rng(0)
    # 16-pixel "images" in (0, 1) driven by 2 hidden factors of scale 3
    f = rng.normal(0, 3, (512, 2))
    x = 1 / (1 + np.exp(-f @ rng.normal(0, 1, (2, 16))))
    loader = DataLoader(TensorDataset(brique.tensor(x.astype(np.float32))), batch_size=32,
                        shuffle=True, generator=0)
    m = models.AdversarialAutoencoder(16, hidden=(32,), code=2, d_hidden=(32,))
    game = dict(lr=2e-3, betas=(0.5, 0.999))
    seen = []
    hist = train_adversarial_autoencoder(
        m, loader, epochs=25, optimizer=optim.Adam(m.autoencoder.parameters(), lr=2e-3),
        d_optimizer=optim.Adam(m.discriminator.parameters(), **game),
        g_optimizer=optim.Adam(m.autoencoder.encoder.parameters(), **game),
        callback=lambda epoch, model, h: seen.append(epoch))
    assert seen == list(range(25))
    assert set(hist) == {"recon_loss", "d_loss", "g_loss", "d_real", "d_fake", "d_acc"}
    assert hist["recon_loss"][-1] < hist["recon_loss"][0]
    with brique.no_grad():
        z = m.encode(brique.tensor(x.astype(np.float32))).numpy()
    # the game oscillates: bounds that seeds 0-5 all meet after 25 epochs (worst |mean| 0.23,
    # std 0.53-0.96), while the factors themselves have std 3
    assert np.all(np.abs(z.mean(0)) < 0.5) and np.all(np.abs(z.std(0) - 1) < 0.5), (
        z.mean(0), z.std(0))
    assert hist["d_acc"][-1] < 0.8
