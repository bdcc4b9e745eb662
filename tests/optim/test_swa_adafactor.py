"""brique.optim.Adafactor and brique.optim.swa_utils against torch, step by step: the same
initial weights and gradients, the same parameters (and averages, and lrs) after each step."""
import copy

import numpy as np
import pytest

import brique
import brique.optim as optim
from brique import nn
from brique.optim import swa_utils

torch = pytest.importorskip("torch")
from torch.optim import swa_utils as torch_swa  # noqa: E402

RNG = np.random.default_rng(0)
SHAPES = [(4, 5), (3, 2, 6), (7,), ()]


def adafactor_run(kwargs, steps=6, dtype=np.float32):
    init = [RNG.standard_normal(s).astype(dtype) for s in SHAPES]
    mine = [nn.Parameter(brique.tensor(a)) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    opt, ref = optim.Adafactor(mine, **kwargs), torch.optim.Adafactor(theirs, **kwargs)
    for _ in range(steps):
        for p, q in zip(mine, theirs):
            g = RNG.standard_normal(tuple(p.shape)).astype(dtype)
            p.grad, q.grad = brique.tensor(g), torch.tensor(g)
        opt.step()
        ref.step()
        for p, q in zip(mine, theirs):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(),
                                       rtol=1e-5, atol=1e-6)
    return opt, ref


@pytest.mark.parametrize("kwargs", [
    {}, {"lr": 0.05, "weight_decay": 0.1}, {"eps": (1e-6, 1e-2), "d": 1.5,
                                           "beta2_decay": -0.5, "maximize": True},
    {"lr": 0.3}])
def test_adafactor_matches_torch(kwargs):
    opt, ref = adafactor_run(kwargs)
    mine, theirs = opt.state_dict(), ref.state_dict()
    assert sorted(mine["state"][0]) == sorted(theirs["state"][0]) == ["col_var", "row_var",
                                                                       "step"]
    assert sorted(mine["state"][2]) == ["step", "variance"]
    np.testing.assert_allclose(mine["state"][1]["row_var"].numpy(),
                               theirs["state"][1]["row_var"].numpy(), rtol=1e-5)
    assert mine["param_groups"][0]["eps"] == theirs["param_groups"][0]["eps"]


def test_adafactor_float64_and_bad_arguments():
    adafactor_run({"weight_decay": 0.01}, steps=3, dtype=np.float64)
    p = [nn.Parameter(brique.zeros(2))]
    for kwargs, message in [({"lr": -1.0}, "Learning rate"), ({"beta2_decay": 0.5},
                            "beta2_decay"), ({"eps": (-1.0, 1e-3)}, "epsilon1"),
                            ({"d": 0.5}, "Clipping threshold"),
                            ({"weight_decay": -0.1}, "weight_decay")]:
        with pytest.raises(ValueError, match=message):
            optim.Adafactor(p, **kwargs)


def twin_models():
    mine = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in mine.state_dict().items()})
    return mine, theirs


@pytest.mark.parametrize("how", ["swa", "buffers", "ema_multi", "ema_fn", "swa_fn"])
def test_averaged_model_matches_torch(how):
    mine, theirs = twin_models()
    kwargs = {"swa": ({}, {}), "buffers": ({"use_buffers": True},) * 2,
              "ema_multi": ({"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.9)},
                            {"multi_avg_fn": torch_swa.get_ema_multi_avg_fn(0.9)}),
              "ema_fn": ({"avg_fn": swa_utils.get_ema_avg_fn(0.8)},
                         {"avg_fn": torch_swa.get_ema_avg_fn(0.8)}),
              "swa_fn": ({"avg_fn": swa_utils.get_swa_avg_fn(), "use_buffers": True},
                         {"avg_fn": torch_swa.get_swa_avg_fn(), "use_buffers": True})}[how]
    avg, ref = swa_utils.AveragedModel(mine, **kwargs[0]), \
        torch_swa.AveragedModel(theirs, **kwargs[1])
    assert isinstance(avg, nn.Module) and isinstance(avg, swa_utils.AveragedModel)
    for _ in range(4):
        x = RNG.standard_normal((5, 3)).astype(np.float32)
        mine(brique.tensor(x))
        theirs(torch.tensor(x))  # moves the batch-norm statistics
        with brique.no_grad():
            for p in mine.parameters():
                p.add_(brique.tensor(RNG.standard_normal(tuple(p.shape)).astype(np.float32)))
        theirs.load_state_dict({k: torch.tensor(v.numpy())
                                for k, v in mine.state_dict().items()})
        avg.update_parameters(mine)
        ref.update_parameters(theirs)
        got, want = avg.state_dict(), ref.state_dict()
        assert list(got) == list(want)
        for k in got:
            np.testing.assert_allclose(got[k].numpy(), want[k].numpy(), rtol=1e-5,
                                       atol=1e-6, err_msg=k)
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    avg.eval()
    ref.eval()
    np.testing.assert_allclose(avg(brique.tensor(x)).detach().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert copy.deepcopy(avg).n_averaged.item() == 4


def test_averaged_model_bad_input():
    with pytest.raises(TypeError, match="brique.nn.Module"):
        swa_utils.AveragedModel(object())
    with pytest.raises(ValueError, match="decay"):
        swa_utils.get_ema_multi_avg_fn(1.5)
    with pytest.raises(AssertionError, match="Only one"):
        swa_utils.AveragedModel(nn.Linear(2, 2), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    avg = swa_utils.AveragedModel(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="tensors to average"):
        avg.update_parameters(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)))


def test_update_bn_matches_torch():
    mine, theirs = twin_models()
    data = [RNG.standard_normal((6, 3)).astype(np.float32) for _ in range(3)]
    mine.eval()
    theirs.eval()
    swa_utils.update_bn([(brique.tensor(x), 0) for x in data], mine)
    torch_swa.update_bn([(torch.tensor(x), 0) for x in data], theirs)
    assert not mine.training and mine[1].momentum == theirs[1].momentum == 0.1
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(mine.state_dict()[k].numpy(), v.numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=k)


@pytest.mark.parametrize("strategy, epochs", [("cos", 3), ("linear", 4), ("cos", 0)])
def test_swalr_matches_torch(strategy, epochs):
    p, q = nn.Parameter(brique.zeros(2)), torch.zeros(2, requires_grad=True)
    opt = optim.SGD([{"params": [p]}, {"params": [nn.Parameter(brique.zeros(1))],
                                       "lr": 0.5}], lr=1.0)
    ref = torch.optim.SGD([{"params": [q]}, {"params": [torch.zeros(1, requires_grad=True)],
                                             "lr": 0.5}], lr=1.0)
    mine = swa_utils.SWALR(opt, swa_lr=[0.05, 0.1], anneal_epochs=epochs,
                           anneal_strategy=strategy)
    theirs = torch_swa.SWALR(ref, swa_lr=[0.05, 0.1], anneal_epochs=epochs,
                             anneal_strategy=strategy)
    for _ in range(7):
        assert mine.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        opt.step()
        ref.step()
        mine.step()
        theirs.step()
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa_utils.SWALR(opt, 0.1, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs"):
        swa_utils.SWALR(opt, 0.1, anneal_epochs=-1)
