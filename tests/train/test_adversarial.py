"""train_adversarial: alternating D/G updates move a generator towards the data distribution."""
import numpy as np

import brique
from brique import nn, optim
from brique.train import sample_generator, train_adversarial
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
