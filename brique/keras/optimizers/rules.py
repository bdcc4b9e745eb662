"""Keras's update rules where they differ from PyTorch's (brique.optim), as brique optimizers:
each writes only `update`, like Keras 3's `update_step`.

- SGD: Keras keeps the velocity `v = momentum v - lr g` (lr inside), PyTorch the buffer
  `b = momentum b + g` (lr outside); the two part as soon as lr changes (a schedule).
- RMSprop: Keras divides by sqrt(v + eps), PyTorch by sqrt(v) + eps; Keras's momentum also
  holds lr.
- Lion and Ftrl have no PyTorch counterpart.
"""
from __future__ import annotations

from ... import backend
from ...optim.optimizer import Optimizer, check_hyper
from ...tensor import Tensor


def _zeros(param, fill=0.0):
    xp = backend.get_array_module(param)
    return Tensor._make(xp.full_like(param, fill))


class SGD(Optimizer):
    """Keras's SGD: `v = momentum v - lr g`; `p += v` (nesterov: `p += momentum v - lr g`)."""
    keeps_step = False

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False):
        check_hyper("learning rate", lr)
        check_hyper("momentum value", momentum, 0.0, 1.0)
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov))

    def init_state(self, state, param, group):
        if group["momentum"]:
            state["momentum"] = _zeros(param)

    def update(self, param, grad, state, group):
        lr, momentum = group["lr"], group["momentum"]
        if not momentum:
            param -= lr * grad
            return
        v = state["momentum"]._data
        v *= momentum
        v -= lr * grad
        param += momentum * v - lr * grad if group["nesterov"] else v


class RMSprop(Optimizer):
    """Keras's RMSprop: `s = alpha s + (1 - alpha) g**2` (alpha is Keras's rho);
    `step = lr g / sqrt(s - mean_g**2 + eps)` (centered) or `lr g / sqrt(s + eps)`; with
    momentum `b = momentum b + step; p -= b`, else `p -= step`."""
    keeps_step = False

    def __init__(self, params, lr=0.001, alpha=0.9, eps=1e-7, momentum=0.0, centered=False):
        check_hyper("learning rate", lr)
        check_hyper("epsilon value", eps)
        check_hyper("rho value", alpha, 0.0, 1.0)
        check_hyper("momentum value", momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum,
                                      centered=centered))

    def init_state(self, state, param, group):
        state["square_avg"] = _zeros(param)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros(param)
        if group["centered"]:
            state["grad_avg"] = _zeros(param)

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        rho, s = group["alpha"], state["square_avg"]._data
        s *= rho
        s += (1 - rho) * grad * grad
        denominator = s + group["eps"]
        if group["centered"]:
            mean = state["grad_avg"]._data
            mean *= rho
            mean += (1 - rho) * grad
            denominator = denominator - mean * mean
        increment = group["lr"] * grad / xp.sqrt(denominator)
        if group["momentum"] > 0:
            b = state["momentum_buffer"]._data
            b *= group["momentum"]
            b += increment
            param -= b
        else:
            param -= increment


class Lion(Optimizer):
    """Lion (Chen et al. 2023): `p -= lr sign(beta_1 m + (1 - beta_1) g)`, then
    `m = beta_2 m + (1 - beta_2) g`."""
    keeps_step = False

    def __init__(self, params, lr=0.001, betas=(0.9, 0.99)):
        check_hyper("learning rate", lr)
        for i, b in enumerate(betas):
            check_hyper(f"beta parameter at index {i}", b, 0.0, 1.0)
        super().__init__(params, dict(lr=lr, betas=tuple(betas)))

    def init_state(self, state, param, group):
        state["exp_avg"] = _zeros(param)

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        beta_1, beta_2 = group["betas"]
        m = state["exp_avg"]._data
        param -= group["lr"] * xp.sign(beta_1 * m + (1 - beta_1) * grad)
        m *= beta_2
        m += (1 - beta_2) * grad


class Ftrl(Optimizer):
    """Follow The Regularized Leader (McMahan et al. 2013), Keras's form: per-coordinate
    rates from the accumulated squared gradients, l1/l2 penalties solved in closed form."""
    keeps_step = False

    def __init__(self, params, lr=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1=0.0, l2=0.0, l2_shrinkage=0.0, beta=0.0):
        check_hyper("learning rate", lr)
        check_hyper("initial_accumulator_value", initial_accumulator_value)
        for name, value in (("l1", l1), ("l2", l2), ("l2_shrinkage", l2_shrinkage),
                            ("beta", beta)):
            check_hyper(f"{name} value", value)
        if learning_rate_power > 0:
            raise ValueError(f"Ftrl: learning_rate_power must be <= 0, got "
                             f"{learning_rate_power}")
        super().__init__(params, dict(lr=lr, learning_rate_power=learning_rate_power,
                                      initial_accumulator_value=initial_accumulator_value,
                                      l1=l1, l2=l2, l2_shrinkage=l2_shrinkage, beta=beta))

    def init_state(self, state, param, group):
        state["accumulator"] = _zeros(param, group["initial_accumulator_value"])
        state["linear"] = _zeros(param)

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        lr, power = group["lr"], group["learning_rate_power"]
        l1, l2 = group["l1"], group["l2"] + group["beta"] / (2.0 * lr)
        accum, linear = state["accumulator"]._data, state["linear"]._data
        shrunk = grad + 2 * group["l2_shrinkage"] * param
        new_accum = accum + grad * grad
        linear += shrunk - (new_accum ** -power - accum ** -power) / lr * param
        quadratic = new_accum ** -power / lr + 2 * l2
        param[...] = (xp.clip(linear, -l1, l1) - linear) / quadratic
        accum[...] = new_accum
