"""Adagrad: each coordinate's step shrinks with the sum of its squared gradients."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class Adagrad(Optimizer):
    """PyTorch's Adagrad: `sum += g**2`, `p -= lr / (1 + (t - 1) * lr_decay) * g /
    (sqrt(sum) + eps)`, with `g = grad + weight_decay * p`."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("lr_decay value", lr_decay)
        check_hyper("weight_decay value", weight_decay)
        check_hyper("initial_accumulator_value value", initial_accumulator_value)
        check_hyper("epsilon value", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      initial_accumulator_value=initial_accumulator_value))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["sum"] = Tensor._make(xp.full_like(param, group["initial_accumulator_value"]))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        clr = group["lr"] / (1 + (state["step"].item() - 1) * group["lr_decay"])
        total = state["sum"]._data
        total += grad * grad
        param -= clr * (grad / (xp.sqrt(total) + group["eps"]))
