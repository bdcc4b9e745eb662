"""Attacks against their definitions: FGSM is the clipped signed-gradient step (checked with
PyTorch's autograd), PGD never leaves the eps-ball nor the clamp range and hurts more than
FGSM, and AdversarialBatches trains from fit; none touches the parameters' .grad."""
import numpy as np
import pytest

import brique
import brique.nn as nn
from brique import attacks, optim
from brique.train import fit
from brique.utils.data import DataLoader, TensorDataset


def _net(seed=0):
    brique.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3))


def _data(n=8, seed=0):
    brique.manual_seed(seed)
    return brique.rand(n, 1, 4, 4), brique.randint(0, 3, (n,))


def test_fgsm_is_clipped_signed_gradient_step():
    torch = pytest.importorskip("torch")
    net = _net()
    x, y = _data()
    t_net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 12), torch.nn.ReLU(),
                                torch.nn.Linear(12, 3))
    t_net.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})
    tx = torch.tensor(x.numpy(), requires_grad=True)
    torch.nn.functional.cross_entropy(t_net(tx), torch.tensor(y.numpy())).backward()
    expected = (tx + 0.1 * tx.grad.sign()).clamp(0, 1).detach().numpy()
    adv = attacks.fgsm(net, x, y, 0.1)
    np.testing.assert_allclose(adv.numpy(), expected, atol=1e-6)
    unclamped = attacks.fgsm(net, x, y, 0.1, clamp=None).numpy()
    np.testing.assert_allclose(np.abs(unclamped - x.numpy()), 0.1, atol=1e-6)


def _loss(net, x, y):
    with brique.no_grad():
        return nn.functional.cross_entropy(net(x), y).item()


@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_stays_in_ball_and_range(random_start):
    net = _net()
    x, y = _data(16)
    eps = 0.15
    adv = attacks.pgd(net, x, y, eps, alpha=0.05, steps=10, random_start=random_start)
    diff = adv.numpy() - x.numpy()
    assert np.abs(diff).max() <= eps + 1e-6
    assert adv.numpy().min() >= 0 and adv.numpy().max() <= 1
    assert _loss(net, adv, y) > _loss(net, attacks.fgsm(net, x, y, eps), y) > _loss(net, x, y)
    narrow = attacks.pgd(net, x, y, eps, 0.05, 10, random_start, clamp=(0.2, 0.8)).numpy()
    assert narrow.min() >= 0.2 - 1e-7 and narrow.max() <= 0.8 + 1e-7


def test_pgd_one_full_step_is_fgsm():
    net = _net()
    x, y = _data()
    np.testing.assert_allclose(attacks.pgd(net, x, y, 0.1, 0.1, 1).numpy(),
                               attacks.fgsm(net, x, y, 0.1).numpy(), atol=1e-7)


def test_attacks_leave_parameters_and_mode_alone():
    net = _net()
    x, y = _data()
    for p in net.parameters():
        p.grad = brique.full(p.shape, 3.0)
    grads = [p.grad for p in net.parameters()]
    net.train()
    with brique.no_grad():
        a = attacks.fgsm(net, x, y, 0.1)
        b = attacks.pgd(net, x, y, 0.1, 0.03, 3, random_start=True)
    assert not a.requires_grad and not b.requires_grad and net.training
    for p, g in zip(net.parameters(), grads):
        assert p.requires_grad and p.grad is g and (g.numpy() == 3.0).all()


def test_adversarial_batches_from_fit_and_a_loop():
    net = _net()
    x, y = _data(32)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    batches = attacks.AdversarialBatches(loader, net, eps=0.1)
    assert len(batches) == 4
    bx, by = next(iter(batches))
    assert tuple(bx.shape) == (16, 1, 4, 4) and by.numpy().tolist() == 2 * y.numpy()[:8].tolist()
    np.testing.assert_allclose(bx.numpy()[8:], attacks.fgsm(net, x[:8], y[:8], 0.1).numpy())
    only = attacks.AdversarialBatches(loader, net, "pgd", clean=False, eps=0.1, alpha=0.05,
                                      steps=2)
    assert tuple(next(iter(only))[0].shape) == (8, 1, 4, 4)
    history = fit(net, batches, epochs=2, optimizer=optim.SGD(net.parameters(), lr=0.1),
                  loss="cross_entropy", verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match="attack"):
        attacks.AdversarialBatches(loader, net, "cw")


def test_bad_arguments():
    net = _net()
    x, y = _data()
    with pytest.raises(ValueError, match="eps"):
        attacks.fgsm(net, x, y, -0.1)
    with pytest.raises(ValueError, match="clamp"):
        attacks.pgd(net, x, y, 0.1, 0.1, 2, clamp=(1, 0))
