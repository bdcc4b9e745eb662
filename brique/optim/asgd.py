"""ASGD: SGD whose iterates are averaged (Polyak & Juditsky, 1992), with a decaying step."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


def _scalar(value):
    # eta and mu are float32 0-d CPU tensors in torch: their rounding is part of the trajectory
    return Tensor._make(backend.asarray(value, backend.float32))


class ASGD(Optimizer):
    """PyTorch's ASGD: `p *= 1 - lambd eta`, `p -= eta g`; the average `ax` follows p with
    weight `mu` (a copy while mu is 1); then `eta = lr / (1 + lambd lr t)**alpha` and
    `mu = 1 / max(1, t - t0)`: averaging starts after t0 steps."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *,
                 maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["eta"] = _scalar(group["lr"])
        state["mu"] = _scalar(1.0)
        state["ax"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        lr, lambd = group["lr"], group["lambd"]
        eta = state["eta"].item()
        param *= 1 - lambd * eta
        param -= eta * grad
        ax = state["ax"]._data
        if state["mu"].item() != 1:
            ax += (param - ax) * state["mu"]._data
        else:
            ax[...] = param
        step = state["step"].item()
        state["eta"] = _scalar(lr / ((1 + lambd * lr * step) ** group["alpha"]))
        state["mu"] = _scalar(1 / max(1, step - group["t0"]))
