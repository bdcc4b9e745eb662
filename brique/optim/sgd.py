"""Stochastic gradient descent, with momentum, dampening, Nesterov and L2 weight decay."""
from __future__ import annotations

from . import _fused
from ..tensor import Tensor
from .optimizer import Optimizer, check_hyper


class SGD(Optimizer):
    """PyTorch's SGD: `v = momentum * v + (1 - dampening) * g` (v = g on the first step), then
    `p -= lr * (g + momentum * v if nesterov else v)`, with `g = grad + weight_decay * p`."""

    keeps_step = False  # PyTorch's SGD state is only its momentum_buffer

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        check_hyper("learning rate", lr)
        check_hyper("momentum value", momentum)
        check_hyper("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def update(self, param, grad, state, group):
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._make(grad.copy())
            elif _fused.applies(param, grad, buf._data):  # the same, in one pass
                return _fused.sgd_momentum_step(param, grad, buf._data, group["lr"], momentum,
                                                group["dampening"], group["nesterov"])
            else:
                buf._data *= momentum
                dampening = group["dampening"]
                buf._data += grad if dampening == 0 else (1 - dampening) * grad
            grad = grad + momentum * buf._data if group["nesterov"] else buf._data
        # One temporary for lr * grad; `grad` may be the gradient or the momentum buffer,
        # neither of which may be scaled in place.
        param -= group["lr"] * grad
