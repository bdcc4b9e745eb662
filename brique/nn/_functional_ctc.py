"""F.ctc_loss: PyTorch's argument forms and checks around the CTC primitive (ops/ctc.py), then
zero_infinity and the reduction written with ordinary ops. Re-exported by functional.py."""
from __future__ import annotations

import numbers

from .. import backend, creation
from ..ops.ctc import CtcLoss
from ..ops.elementwise import where
from ..tensor import Tensor

_WHERE = " (while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(name, value):
    """A length argument as a list of ints: an integer tensor (any shape) or a list/tuple of
    ints, as PyTorch's two overloads take them."""
    if isinstance(value, Tensor):
        if value.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return [int(v) for v in value._data.reshape(-1).tolist()]
    if isinstance(value, (list, tuple)) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        return [int(v) for v in value]
    raise TypeError(f"ctc_loss(): {name} must be a tuple of ints or an integer Tensor, got "
                    f"{type(value).__name__}"
                    + (f" of {[type(v).__name__ for v in value]}"
                       if isinstance(value, (list, tuple)) else ""))


def _check_targets(targets, n_batch, target_lengths):
    """PyTorch's checks of the targets against the target lengths."""
    for length in target_lengths:
        if length < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value "
                               f"{length}{_WHERE}")
    if targets.ndim == 1:
        if targets.shape[0] != sum(target_lengths):
            raise RuntimeError(f"Expected tensor to have size {sum(target_lengths)} at dimension "
                               f"0, but got size {targets.shape[0]} for argument #2 'targets'"
                               + _WHERE)
        return
    if targets.shape[0] != n_batch:
        raise RuntimeError(f"Expected tensor to have size {n_batch} at dimension 0, but got size "
                           f"{targets.shape[0]} for argument #2 'targets'{_WHERE}")
    longest = max(target_lengths, default=0)
    if targets.shape[1] < longest:
        raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, but "
                           f"got size {targets.shape[1]} for argument #2 'targets'{_WHERE}")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """The connectionist temporal classification loss: -log p(target | input) summed over all
    alignments (blank = the label of "nothing"), per batch element, then reduced; 'mean'
    divides each loss by its target length (at least 1) before averaging. With
    zero_infinity, impossible alignments (inf loss) give 0 and no gradient.

    The gradient with respect to log_probs is PyTorch's: correct for log_probs coming out of
    log_softmax (the logits then get the right gradient).

    Shape: log_probs (T, N, C) or (T, C) unbatched, log-probabilities over C classes;
    targets (N, S) padded or (sum(target_lengths),) concatenated, class indices;
    input_lengths, target_lengths: N ints (a tuple or an integer tensor) -> scalar, or (N,)
    (() unbatched) with reduction='none'.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    lp, input_lengths, target_lengths = _checked_inputs(log_probs, targets, input_lengths,
                                                        target_lengths)
    _check_sizes(lp, targets, input_lengths, target_lengths, blank)
    labels = targets.to(lp.device)._data
    loss = CtcLoss.apply(lp, targets=labels, input_lengths=input_lengths,
                         target_lengths=target_lengths, blank=blank, zero_infinity=zero_infinity)
    return _reduced(loss, target_lengths, reduction, zero_infinity, log_probs.ndim == 3)


def _checked_inputs(log_probs, targets, input_lengths, target_lengths):
    """(log_probs as (T, N, C), the lengths as tuples of ints), after PyTorch's type and rank
    checks, in PyTorch's order."""
    if not isinstance(log_probs, Tensor) or not isinstance(targets, Tensor):
        raise TypeError(f"ctc_loss(): log_probs and targets must be Tensors, got "
                        f"{type(log_probs).__name__} and {type(targets).__name__}")
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor):
        raise TypeError("ctc_loss(): input_lengths and target_lengths must both be tensors or "
                        f"both tuples of ints, got {type(input_lengths).__name__} and "
                        f"{type(target_lengths).__name__}")
    input_lengths = _lengths("input_lengths", input_lengths)
    target_lengths = _lengths("target_lengths", target_lengths)
    if log_probs.dtype not in (backend.float32, backend.float64):
        raise TypeError(f"ctc_loss: log_probs must be float32 or float64 (PyTorch's CPU kernel "
                        f"has no other), got {log_probs.dtype}")
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.ndim + 1}-"
                           f"dimensional tensor for argument #1 'log_probs'{_WHERE}")
    lp = log_probs if log_probs.ndim == 3 else log_probs.unsqueeze(1)
    if targets.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {targets.ndim}-dimensional "
                           f"tensor for argument #2 'targets'{_WHERE}")
    return lp, input_lengths, target_lengths


def _check_sizes(lp, targets, input_lengths, target_lengths, blank):
    """The blank label, the lengths and the targets against the sizes of lp (T, N, C)."""
    n_time, n_batch, n_classes = lp.shape
    if not 0 <= blank < n_classes:
        raise RuntimeError("blank must be in label range")
    if len(input_lengths) != n_batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(target_lengths) != n_batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    _check_targets(targets, n_batch, target_lengths)
    for length in input_lengths:
        if length < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value "
                               f"{length}{_WHERE}")
        if length > n_time:
            raise RuntimeError(f"Expected input_lengths to have value at most {n_time}, but got "
                               f"value {length}{_WHERE}")


def _reduced(loss, target_lengths, reduction, zero_infinity, batched):
    """The per-element losses reduced as `reduction` says ('mean': each over its target
    length first); with zero_infinity, impossible alignments count 0."""
    if zero_infinity:
        loss = where(loss == float("inf"), creation.zeros_like(loss), loss)
    if reduction == "mean":
        lengths = creation.tensor(target_lengths, dtype=loss.dtype, device=loss.device)
        return (loss / lengths.clamp_min(1)).mean()
    if reduction == "sum":
        return loss.sum()
    return loss if batched else loss.squeeze(0)
