"""The schedulers of _schedulers_more.py against torch.optim.lr_scheduler: 25 steps, the lr
(and the cycled momentum) of each step must be the same to the last bits."""
import warnings

import numpy as np
import pytest

import brique

torch = pytest.importorskip("torch")


def trajectory(lib, make, opt_name="SGD", opt_kw=None, per_step=None):
    params = [lib.zeros(2, requires_grad=True)]
    opt = getattr(lib.optim, opt_name)(params, **(opt_kw or dict(lr=0.1, momentum=0.9)))
    scheduler = make(lib.optim.lr_scheduler, opt)
    out = []
    for i in range(25):
        opt.step()
        scheduler.step(per_step(i)) if per_step else scheduler.step()
        group = opt.param_groups[0]
        out.append((group["lr"], group.get("momentum", group.get("betas", (0.0,))[0])))
    return np.array(out)


CASES = {
    "ConstantLR": lambda L, o: L.ConstantLR(o, 0.5, 4),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, 10, 2.0),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 3, 2, 0.01),
    "CyclicLR-triangular": lambda L, o: L.CyclicLR(o, 0.01, 0.1, 4),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, 0.01, 0.1, 3, 5, mode="triangular2"),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range",
                                                  gamma=0.95),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingLR(o, 10),
            L.ExponentialLR(o, 0.9)], [5, 12]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 4),
                                                         L.ExponentialLR(o, 0.9)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = trajectory(brique, CASES[name]), trajectory(torch, CASES[name])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_cyclic_momentum_of_adam_and_fractional_restarts():
    make = CASES["CyclicLR-triangular"]
    np.testing.assert_allclose(trajectory(brique, make, "Adam", dict(lr=0.1)),
                               trajectory(torch, make, "Adam", dict(lr=0.1)), rtol=1e-12)
    make = CASES["CosineAnnealingWarmRestarts"]
    per_batch = lambda i: (i + 1) / 4  # noqa: E731
    np.testing.assert_allclose(trajectory(brique, make, per_step=per_batch),
                               trajectory(torch, make, per_step=per_batch), rtol=1e-12)
    with pytest.raises(ValueError, match="momentum or beta1"):
        brique.optim.lr_scheduler.CyclicLR(
            brique.optim.Adagrad([brique.zeros(1, requires_grad=True)]), 0.01, 0.1)
