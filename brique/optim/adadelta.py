"""Adadelta: Adagrad with running averages instead of sums, and units fixed by the running
average of the past updates (Zeiler, 2012)."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class Adadelta(Optimizer):
    """PyTorch's Adadelta: `v = rho v + (1 - rho) g**2`, `delta = sqrt(u + eps) / sqrt(v + eps)
    * g`, `u = rho u + (1 - rho) delta**2`, `p -= lr * delta`."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("rho value", rho, 0.0, 1.0)
        check_hyper("epsilon value", eps)
        check_hyper("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["square_avg"] = Tensor._make(xp.zeros_like(param))
        state["acc_delta"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        square_avg *= rho
        square_avg += (1 - rho) * (grad * grad)
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * (delta * delta)
        param -= group["lr"] * delta
