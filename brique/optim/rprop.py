"""Rprop: each weight has its own step size, grown while its gradient keeps its sign and shrunk
when it flips; only the gradient's sign is used (Riedmiller & Braun, 1993)."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class Rprop(Optimizer):
    """PyTorch's Rprop: where `g * prev > 0` the step size is multiplied by etaplus, where
    `< 0` by etaminus (and that gradient is zeroed: no move, no flip next time), then clamped to
    `step_sizes`; `p -= sign(g) * step_size`. Full-batch training only."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize=False):
        check_hyper("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                                      maximize=maximize))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["prev"] = Tensor._make(xp.zeros_like(param))
        state["step_size"] = Tensor._make(xp.full_like(param, group["lr"]))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        etaminus, etaplus = group["etas"]
        prev, step_size = state["prev"]._data, state["step_size"]._data
        sign = xp.sign(grad * prev)
        factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1.0))
        factor = factor.astype(param.dtype)
        step_size *= factor
        xp.clip(step_size, *group["step_sizes"], out=step_size)
        grad = xp.where(sign < 0, 0.0, grad).astype(param.dtype, copy=False)
        param -= xp.sign(grad) * step_size
        prev[...] = grad
