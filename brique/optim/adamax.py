"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba, 2015, 7.1)."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class Adamax(Optimizer):
    """PyTorch's Adamax: `m = b1 m + (1 - b1) g`, `u = max(b2 u, |g| + eps)`,
    `p -= lr / (1 - b1**t) * m / u`."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("beta parameter at index 0", betas[0], 0.0, 1.0, high_open=True)
        check_hyper("beta parameter at index 1", betas[1], 0.0, 1.0, high_open=True)
        check_hyper("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["exp_avg"] = Tensor._make(xp.zeros_like(param))
        state["exp_inf"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        beta1, beta2 = group["betas"]
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_inf *= beta2
        xp.maximum(exp_inf, xp.abs(grad) + group["eps"], out=exp_inf)
        clr = group["lr"] / (1 - beta1 ** state["step"].item())
        param -= clr * (exp_avg / exp_inf)
