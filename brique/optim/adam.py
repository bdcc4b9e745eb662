"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019: weight decay decoupled from
the adaptive step)."""
from __future__ import annotations

import math

from .. import backend
from . import _fused
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class Adam(Optimizer):
    """PyTorch's Adam: `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g**2`,
    `p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)`; amsgrad uses the running
    maximum of v. Weight decay adds `weight_decay * p` to g, or with `decoupled_weight_decay`
    (AdamW) multiplies p by `1 - lr * weight_decay` first."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("beta parameter at index 0", betas[0], 0.0, 1.0, high_open=True)
        check_hyper("beta parameter at index 1", betas[1], 0.0, 1.0, high_open=True)
        check_hyper("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["exp_avg"] = Tensor._make(xp.zeros_like(param))
        state["exp_avg_sq"] = Tensor._make(xp.zeros_like(param))
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        lr, (beta1, beta2) = group["lr"], group["betas"]
        step = state["step"].item()
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        step_size = lr / (1 - beta1 ** step)
        if not group["amsgrad"] and _fused.applies(param, grad, exp_avg, exp_avg_sq):
            return _fused.adam_step(param, grad, exp_avg, exp_avg_sq, group["betas"],
                                    step_size, math.sqrt(1 - beta2 ** step), group["eps"])
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        if group["amsgrad"]:
            xp.maximum(state["max_exp_avg_sq"]._data, exp_avg_sq,
                       out=state["max_exp_avg_sq"]._data)
            exp_avg_sq = state["max_exp_avg_sq"]._data
        denom = xp.sqrt(exp_avg_sq)
        denom /= math.sqrt(1 - beta2 ** step)
        denom += group["eps"]
        param -= step_size * (exp_avg / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2): `p *= 1 - lr * weight_decay` each step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
