"""Softmax cross-entropy of class indices, fused for speed: the most common loss in the
courses is one node instead of six (log_softmax, gather, squeeze, neg, sum, div), and its
gradient is the textbook softmax(x) - onehot(t)."""
from __future__ import annotations

from .. import backend
from . import _kernels
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor

xp_of = backend.get_array_module


class SoftmaxCrossEntropy(Function):
    """loss_i = logsumexp(x_i) - x_i[t_i] over rows with t_i != ignore_index; reduced by
    'mean' (over counted rows), 'sum' or 'none'. x: (N, C) logits, t: (N,) class indices."""

    def forward(self, x, target=None, ignore_index=-100, reduction="mean"):
        xp = xp_of(x)
        self.compiled = _compiled(x, target)
        if self.compiled:
            logp, losses, count = _kernels.softmax_xent(x, target, ignore_index)
            if count < 0:
                _out_of_range("cross_entropy", target[-1 - count], x.shape[1], ignore_index)
        else:
            safe = check_targets("cross_entropy", target, x.shape[1], ignore_index)
            keep = target != ignore_index
            shifted = x - x.max(axis=1, keepdims=True)
            logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
            losses = -logp[xp.arange(x.shape[0]), safe] * keep
            count = int(keep.sum())
        self.logp, self.target, self.ignore_index = logp, target, ignore_index
        self.reduction, self.count = reduction, count
        if reduction == "none":
            return losses
        total = losses.sum(dtype=x.dtype)
        return total / count if reduction == "mean" else total

    def backward(self, g):
        if is_grad_enabled():  # create_graph: the same formula, differentiable in x
            safe, keep = self._safe_keep()
            x = self.saved[0]
            onehot = xp_of(self.logp).zeros(self.logp.shape, dtype=x.dtype)
            onehot[xp_of(onehot).arange(len(onehot)), safe] = 1
            scale = g.unsqueeze(1) if self.reduction == "none" else (
                g / self.count if self.reduction == "mean" else g)
            return ((x.softmax(1) - Tensor._make(onehot))
                    * Tensor._make(keep[:, None].astype(x.dtype)) * scale)
        scale = g._data / self.count if self.reduction == "mean" else g._data
        scale = scale.astype(self.logp.dtype, copy=False)
        if self.compiled:
            return Tensor._make(_kernels.softmax_xent_grad(self.logp, self.target,
                                                            self.ignore_index, scale))
        safe, keep = self._safe_keep()
        grad = xp_of(self.logp).exp(self.logp)
        grad[xp_of(grad).arange(len(grad)), safe] -= 1
        grad *= keep[:, None]
        grad *= scale[:, None] if scale.ndim else scale
        return Tensor._make(grad)

    def _safe_keep(self):
        """The targets with ignored ones replaced by 0, and where they are not ignored."""
        keep = self.target != self.ignore_index
        return xp_of(keep).where(keep, self.target, 0), keep


def _compiled(x, target):
    """Do the compiled loops take this loss (NumPy, C-contiguous, some classes, small enough)?"""
    return (0 < x.shape[1] and x.size <= _kernels.SOFTMAX_XENT_MAX and _kernels.usable(x)
            and x.flags.c_contiguous and type(target) is type(x) and target.dtype.kind in "iu")


def check_targets(op, target, n_classes, ignore_index):
    """The class indices (an array) with ignored ones replaced by 0; an error names the first
    one out of range."""
    xp = xp_of(target)
    safe = xp.where(target != ignore_index, target, 0)
    if safe.size and (safe.min() < 0 or safe.max() >= n_classes):
        _out_of_range(op, safe[(safe < 0) | (safe >= n_classes)].reshape(-1)[0], n_classes,
                      ignore_index)
    return safe


def _out_of_range(op, bad, n_classes, ignore_index):
    raise IndexError(f"{op}: target {int(bad)} is out of bounds for {n_classes} classes "
                     f"(ignore_index={ignore_index})")
