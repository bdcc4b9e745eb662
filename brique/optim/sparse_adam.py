"""SparseAdam: Adam that touches only the rows a gradient reaches (an embedding's looked-up
rows), leaving the moments of the other rows as they were ("lazy" Adam)."""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class SparseAdam(Optimizer):
    """PyTorch's SparseAdam. brique's gradients are dense, so the rows updated are those whose
    gradient has a non-zero entry (for a 1-D parameter, the non-zero entries): for an embedding
    these are the looked-up rows, which PyTorch's sparse gradient holds. On them, Adam's update
    with `m`, `v` as in Adam and step `lr sqrt(1 - b2**t) / (1 - b1**t)`."""

    keeps_step = False  # torch keeps a Python int here, not a tensor

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("beta parameter at index 0", betas[0], 0.0, 1.0, high_open=True)
        check_hyper("beta parameter at index 1", betas[1], 0.0, 1.0, high_open=True)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["step"] = 0
        state["exp_avg"] = Tensor._make(xp.zeros_like(param))
        state["exp_avg_sq"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        state["step"] += 1
        touched = grad != 0
        if grad.ndim > 1:
            touched = touched.reshape(grad.shape[0], -1).any(axis=1)
        rows = xp.nonzero(touched)[0]
        if rows.size == 0:
            return
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        g, old_avg, old_sq = grad[rows], exp_avg[rows], exp_avg_sq[rows]
        avg_update = (g - old_avg) * (1 - beta1)
        sq_update = (g * g - old_sq) * (1 - beta2)
        exp_avg[rows] += avg_update
        exp_avg_sq[rows] += sq_update
        numer = avg_update + old_avg
        denom = xp.sqrt(sq_update + old_sq) + group["eps"]
        step = state["step"]
        step_size = group["lr"] * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        param[rows] += -step_size * (numer / denom)
