"""RMSprop: divide the gradient by a running root mean square of its recent values (Hinton)."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class RMSprop(Optimizer):
    """PyTorch's RMSprop: `v = alpha v + (1 - alpha) g**2`; `avg = sqrt(v - m**2) + eps` where
    centered (m the running mean of g), else `sqrt(v) + eps`; then `b = momentum b + g / avg`,
    `p -= lr * b` (or `p -= lr * g / avg` without momentum)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("momentum value", momentum)
        check_hyper("weight_decay value", weight_decay)
        check_hyper("alpha value", alpha)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        state["square_avg"] = Tensor._make(xp.zeros_like(param))
        if group["momentum"] > 0:
            state["momentum_buffer"] = Tensor._make(xp.zeros_like(param))
        if group["centered"]:
            state["grad_avg"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        alpha = group["alpha"]
        square_avg = state["square_avg"]._data
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            grad_avg += (1 - alpha) * (grad - grad_avg)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]._data
            buf *= group["momentum"]
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (grad / avg)
