"""RAdam: Adam whose adaptive step is switched on only once the variance of its estimate is
tractable, and then rectified (Liu et al., 2020): no warm-up schedule needed."""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class RAdam(Optimizer):
    """PyTorch's RAdam: `m`, `v` as in Adam; `rho_inf = 2 / (1 - b2) - 1`,
    `rho_t = rho_inf - 2 t b2**t / (1 - b2**t)`. While `rho_t <= 5` the step is momentum SGD,
    `p -= lr m / (1 - b1**t)`; after, it is Adam's times the rectification
    `r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))`."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("beta parameter at index 0", betas[0], 0.0, 1.0, high_open=True)
        check_hyper("beta parameter at index 1", betas[1], 0.0, 1.0, high_open=True)
        check_hyper("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["exp_avg"] = Tensor._make(xp.zeros_like(param))
        state["exp_avg_sq"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        lr, (beta1, beta2) = group["lr"], group["betas"]
        step = state["step"].item()
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        bias_correction1, bias_correction2 = 1 - beta1 ** step, 1 - beta2 ** step
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bias_correction2) / (xp.sqrt(exp_avg_sq) + group["eps"])
            param -= corrected * lr * adaptive * rect
        else:
            param -= corrected * lr
