"""brique.optim.lr_scheduler against torch.optim.lr_scheduler: the same lr (and momentum)
sequence, step by step, for two param groups."""
import math
import warnings

import numpy as np
import pytest

import brique
import brique.optim as optim
from brique.optim import lr_scheduler as sched

torch = pytest.importorskip("torch")
tsched = torch.optim.lr_scheduler
STEPS = 40


def make_optimizer(lib, opt="SGD", **kwargs):
    params = [lib.zeros(3, dtype=lib.float64, requires_grad=True),
              lib.zeros(2, dtype=lib.float64, requires_grad=True)]
    kwargs = {"momentum": 0.9, **kwargs} if opt == "SGD" else kwargs
    return getattr(lib.optim, opt)([{"params": params[:1]}, {"params": params[1:], "lr": 0.01}],
                                   lr=0.1, **kwargs)


class Halve:
    """A callable object: LambdaLR saves its attributes."""

    def __init__(self):
        self.every = 7

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


CASES = {
    "StepLR": ("StepLR", dict(step_size=7, gamma=0.5)),
    "MultiStepLR": ("MultiStepLR", dict(milestones=[3, 10, 10, 25], gamma=0.3)),
    "ExponentialLR": ("ExponentialLR", dict(gamma=0.93)),
    "LambdaLR": ("LambdaLR", dict(lr_lambda=lambda e: 1 / (1 + 0.1 * e))),
    "LambdaLR-list": ("LambdaLR", dict(lr_lambda=[lambda e: 0.9 ** e, Halve()])),
    "LinearLR": ("LinearLR", dict(start_factor=0.1, total_iters=12)),
    "CosineAnnealingLR": ("CosineAnnealingLR", dict(T_max=15)),
    "CosineAnnealingLR-eta_min": ("CosineAnnealingLR", dict(T_max=12, eta_min=1e-3)),
    "OneCycleLR": ("OneCycleLR", dict(max_lr=1.0, total_steps=STEPS + 1)),
    "OneCycleLR-linear-3phase": ("OneCycleLR", dict(max_lr=[1.0, 0.5], epochs=6,
                                                    steps_per_epoch=7, pct_start=0.25,
                                                    anneal_strategy="linear",
                                                    three_phase=True, div_factor=10.0)),
    "OneCycleLR-no-momentum": ("OneCycleLR", dict(max_lr=0.3, total_steps=STEPS,
                                                  cycle_momentum=False)),
}


def groups_view(opt):
    keys = ("lr", "momentum", "betas")
    return [{k: g[k] for k in keys if k in g} for g in opt.param_groups]


def assert_close(b, t):
    assert len(b) == len(t)
    for bg, tg in zip(b, t):
        assert bg.keys() == tg.keys()
        for k in bg:
            np.testing.assert_allclose(np.asarray(bg[k], float), np.asarray(tg[k], float),
                                       rtol=1e-12, atol=0)


def build(lib, module, name, kwargs, opt_name):
    opt = make_optimizer(lib, opt_name)
    return opt, getattr(module, name)(opt, **kwargs)


# The optimizer only matters for OneCycleLR's momentum (SGD's momentum, Adam's beta1).
@pytest.mark.parametrize("case,opt_name", [(c, "SGD") for c in CASES] +
                         [(c, "Adam") for c in CASES if c.startswith("OneCycleLR")])
def test_matches_torch(case, opt_name):
    name, kwargs = CASES[case]
    b_opt, b_s = build(brique, sched, name, kwargs, opt_name)
    t_opt, t_s = build(torch, tsched, name, kwargs, opt_name)
    steps = STEPS if name != "OneCycleLR" else t_s.total_steps - 1
    assert_close(groups_view(b_opt), groups_view(t_opt))
    for _ in range(steps):
        t_opt.step()
        b_opt.step()
        b_s.step()
        t_s.step()
        np.testing.assert_allclose(b_s.get_last_lr(), t_s.get_last_lr(), rtol=1e-12, atol=0)
        assert_close(groups_view(b_opt), groups_view(t_opt))
    assert b_s.last_epoch == t_s.last_epoch == steps
    assert b_s.base_lrs == pytest.approx(t_s.base_lrs, rel=1e-15)


def test_one_cycle_past_the_end_raises():
    opt = make_optimizer(brique)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(2):
        s.step()
    s.step()  # torch allows last_epoch == total_steps
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s.step()


@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_round_trip(case):
    name, kwargs = CASES[case]
    opt, s = build(brique, sched, name, kwargs, "SGD")
    straight = []
    for _ in range(30):
        opt.step()
        s.step()
        straight.append(s.get_last_lr())

    opt, s = build(brique, sched, name, kwargs, "SGD")
    for _ in range(15):
        opt.step()
        s.step()
    opt_sd, s_sd = opt.state_dict(), s.state_dict()
    assert "optimizer" not in s_sd and s_sd["last_epoch"] == 15
    opt2, s2 = build(brique, sched, name, kwargs, "SGD")  # as PyTorch: scheduler, then load
    opt2.load_state_dict(opt_sd)
    s2.load_state_dict(s_sd)
    resumed = []
    for _ in range(15):
        opt2.step()
        s2.step()
        resumed.append(s2.get_last_lr())
    assert resumed == straight[15:]


def test_lambda_state_dict_keeps_object_attributes():
    opt = make_optimizer(brique)
    halve = Halve()
    s = sched.LambdaLR(opt, [lambda e: 1.0, halve])
    halve.every = 3
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [None, {"every": 3}]
    other = Halve()
    s2 = sched.LambdaLR(make_optimizer(brique), [lambda e: 1.0, other])
    s2.load_state_dict(sd)
    assert other.every == 3 and "lr_lambdas" in sd


def test_step_with_epoch_uses_closed_form():
    for lib, module in ((brique, sched), (torch, tsched)):
        opt = make_optimizer(lib)
        s = module.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s.step(7)
        lrs = s.get_last_lr()
        expected = [0.01 + (b - 0.01) * (1 + math.cos(math.pi * 7 / 10)) / 2
                    for b in (0.1, 0.01)]
        assert lrs == pytest.approx(expected, rel=1e-12)


METRICS = ([1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.79999, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7]
           + [0.7 - 1e-3 * i for i in range(10)] + [0.5] * 12 + [0.6, 0.55, 0.4, 0.4, 0.4])
PLATEAU = [
    dict(),
    dict(patience=2),
    dict(mode="min", factor=0.5, patience=1, threshold=0.01, cooldown=2),
    dict(mode="min", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs",
         min_lr=[0.02, 0.003]),
    dict(mode="max", factor=0.3, patience=0, min_lr=1e-3),
    dict(mode="max", factor=0.7, patience=1, threshold=0.01, threshold_mode="abs", eps=0.02),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_on_plateau_matches_torch(kwargs):
    b_opt, t_opt = make_optimizer(brique), make_optimizer(torch)
    b_s = sched.ReduceLROnPlateau(b_opt, **kwargs)
    t_s = tsched.ReduceLROnPlateau(t_opt, **kwargs)
    metrics = METRICS if kwargs.get("mode") != "max" else [-m for m in METRICS]
    changes = 0
    for m in metrics:
        before = b_s.get_last_lr()
        b_s.step(brique.tensor(m, dtype=brique.float64))  # a 0-d Tensor is taken as a float
        t_s.step(m)
        assert b_s.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-12)
        assert [b_s.best, b_s.num_bad_epochs, b_s.cooldown_counter, b_s.last_epoch] == \
            [t_s.best, t_s.num_bad_epochs, t_s.cooldown_counter, t_s.last_epoch]
        changes += b_s.get_last_lr() != before
    assert changes >= 1


def test_reduce_on_plateau_state_dict_round_trip():
    kwargs = dict(factor=0.5, patience=1, threshold=0.01, cooldown=1)
    opt = make_optimizer(brique)
    s = sched.ReduceLROnPlateau(opt, **kwargs)
    straight = []
    for m in METRICS:
        s.step(m)
        straight.append(s.get_last_lr())
    opt = make_optimizer(brique)
    s = sched.ReduceLROnPlateau(opt, **kwargs)
    half = len(METRICS) // 2
    for m in METRICS[:half]:
        s.step(m)
    opt2 = make_optimizer(brique)
    s2 = sched.ReduceLROnPlateau(opt2)  # options come back from the state dict
    opt2.load_state_dict(opt.state_dict())
    s2.load_state_dict(s.state_dict())
    resumed = []
    for m in METRICS[half:]:
        s2.step(m)
        resumed.append(s2.get_last_lr())
    assert resumed == straight[half:]


def test_errors():
    opt = make_optimizer(brique)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.StepLR(object(), step_size=3)
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(opt, step_size=3, last_epoch=5)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        sched.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="total_steps OR"):
        sched.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        sched.OneCycleLR(optim.Adagrad([brique.zeros(2, requires_grad=True)]), 1.0,
                         total_steps=10)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        sched.LambdaLR(opt, [lambda e: 1.0])
