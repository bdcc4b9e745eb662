"""Adafactor (Shazeer & Stern, 2018), in PyTorch's form (torch.optim.Adafactor, 2.5+): the
second moment of a matrix is kept as a row and a column factor, so its memory is O(rows +
cols) instead of O(rows * cols); no first moment."""
from __future__ import annotations

import math

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer


def _rms(a, xp):
    return float(xp.sqrt(xp.sum(a * a, dtype=a.dtype))) / math.sqrt(max(a.size, 1))


class Adafactor(Optimizer):
    """PyTorch's Adafactor. At step t, with `beta2_t = 1 - t ** beta2_decay`,
    `rho_t = min(lr, 1 / sqrt(t))` and `alpha = max(eps2, RMS(p)) * rho_t`:
    a matrix (or a stack of matrices: the last two dims) keeps `row_var` and `col_var`, the
    running means of g**2 over its columns and rows, and estimates the variance as
    `row_var @ col_var / mean(row_var)`; a vector keeps the full `variance`. Then
    `u = g / sqrt(max(variance, eps1**2))`, clipped to RMS(u) <= d, and `p -= alpha * u`.
    Weight decay is decoupled: `p *= 1 - lr * weight_decay` (after RMS(p) is read).

    Args:
        eps: (eps1, eps2); eps1 None means the machine epsilon of the parameter's dtype.
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, decoupled_weight_decay=True))
        self._param_rms = {}

    def step(self, closure=None):
        # The base class decays the weights before update(); PyTorch reads RMS(p) first.
        with no_grad():
            self._param_rms = {
                id(p._data): _rms(p._data, backend.get_array_module(p._data))
                for group in self.param_groups if group["weight_decay"] != 0
                for p in group["params"]}
        return super().step(closure)

    def init_state(self, state, param, group):
        xp = backend.get_array_module(param)
        if xp.iscomplexobj(param):
            raise RuntimeError("Adafactor does not support complex parameters")
        if param.ndim > 1:
            state["row_var"] = Tensor._make(xp.zeros(param.shape[:-1] + (1,), param.dtype))
            state["col_var"] = Tensor._make(
                xp.zeros(param.shape[:-2] + (1,) + param.shape[-1:], param.dtype))
        else:
            state["variance"] = Tensor._make(xp.zeros_like(param))

    def update(self, param, grad, state, group):
        xp = backend.get_array_module(param)
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(xp.finfo(param.dtype).eps)
        lr = float(group["lr"])
        t = state["step"].item()
        beta2_t = t ** group["beta2_decay"]
        rms = self._param_rms.get(id(param))
        if rms is None:
            rms = _rms(param, xp)
        alpha = max(eps2, rms) * min(lr, 1 / math.sqrt(t))
        if param.ndim > 1:
            row_var, col_var = state["row_var"]._data, state["col_var"]._data
            g2 = grad * grad
            row_var += beta2_t * (g2.mean(-1, keepdims=True) - row_var)
            col_var += beta2_t * (g2.mean(-2, keepdims=True) - col_var)
            var = xp.matmul(row_var, col_var)
            var /= xp.maximum(row_var.mean(-2, keepdims=True), eps1)
        else:
            variance = state["variance"]._data
            variance += beta2_t * (grad * grad - variance)
            var = variance
        update = grad / xp.sqrt(xp.maximum(var, eps1 * eps1))
        denom = max(1.0, _rms(update, xp) / group["d"])
        param -= (alpha / denom) * update
