"""Softmax cross-entropy of class indices, fused for speed: the most common loss in the
courses is one node instead of six (log_softmax, gather, squeeze, neg, sum, div), and its
gradient is the textbook softmax(x) - onehot(t)."""
from __future__ import annotations

from .. import backend
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor

xp_of = backend.get_array_module


class SoftmaxCrossEntropy(Function):
    """loss_i = logsumexp(x_i) - x_i[t_i] over rows with t_i != ignore_index; reduced by
    'mean' (over counted rows), 'sum' or 'none'. x: (N, C) logits, t: (N,) class indices."""

    def forward(self, x, target=None, ignore_index=-100, reduction="mean"):
        xp = xp_of(x)
        n = x.shape[0]
        keep = target != ignore_index
        safe = xp.where(keep, target, 0)
        shifted = x - x.max(axis=1, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        rows = xp.arange(n)
        losses = -logp[rows, safe] * keep
        self.logp, self.safe, self.keep, self.reduction = logp, safe, keep, reduction
        self.count = int(keep.sum())
        if reduction == "none":
            return losses
        total = losses.sum(dtype=x.dtype)
        return total / self.count if reduction == "mean" else total

    def backward(self, g):
        keep = self.keep
        scale = g if self.reduction == "none" else (
            g / self.count if self.reduction == "mean" else g)
        if self.reduction == "none":
            scale = scale.unsqueeze(1)
        if is_grad_enabled():  # create_graph: the same formula, differentiable in x
            (x, _) = self.saved[:2]
            onehot = self._onehot(x.dtype)
            return (x.softmax(1) - onehot) * Tensor._make(keep[:, None].astype(x.dtype)) * scale
        grad = xp_of(self.logp).exp(self.logp)
        grad[xp_of(grad).arange(len(grad)), self.safe] -= 1
        grad *= keep[:, None]
        return Tensor._make(grad) * scale

    def _onehot(self, dtype):
        xp = xp_of(self.logp)
        out = xp.zeros(self.logp.shape, dtype=dtype)
        out[xp.arange(len(out)), self.safe] = 1
        return Tensor._make(out)
