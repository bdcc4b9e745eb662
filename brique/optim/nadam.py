"""NAdam: Adam with Nesterov momentum (Dozat, 2016), the momentum warmed up by a decay schedule."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class NAdam(Optimizer):
    """PyTorch's NAdam: `mu_t = b1 (1 - 0.5 * 0.96 ** (t * momentum_decay))`, `m` and `v` as in
    Adam, then `p -= lr (1 - mu_t) / (1 - prod mu) * g / denom + lr mu_{t+1} /
    (1 - prod mu * mu_{t+1}) * m / denom`, `denom = sqrt(v / (1 - b2**t)) + eps`."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("beta parameter at index 0", betas[0], 0.0, 1.0, high_open=True)
        check_hyper("beta parameter at index 1", betas[1], 0.0, 1.0, high_open=True)
        check_hyper("weight_decay value", weight_decay)
        check_hyper("momentum_decay value", momentum_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        # float32 on the CPU, as torch keeps it: the product's rounding is part of the trajectory
        state["mu_product"] = Tensor._make(backend.asarray(1.0, backend.float32))
        state["exp_avg"] = Tensor._make(xp.zeros_like(param))
        state["exp_avg_sq"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        lr, (beta1, beta2) = group["lr"], group["betas"]
        step = state["step"].item()
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        mu_product = state["mu_product"]._data
        mu_product *= mu
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** step))
        denom += group["eps"]
        product = float(mu_product)
        param -= lr * (1.0 - mu) / (1.0 - product) * (grad / denom)
        param -= lr * mu_next / (1.0 - product * mu_next) * (exp_avg / denom)
