"""Losses of brique.nn.functional: regression, classification (nll, cross_entropy), binary
cross-entropy, KL divergence and the embedding losses. Split from functional.py, which
re-exports every name."""
from __future__ import annotations

from .. import backend
from ..ops.elementwise import softplus, where
from ..ops.loss import SoftmaxCrossEntropy, check_targets
from ..ops.reduce import log_softmax
from ..tensor import Tensor


# ----------------------------------------------------------------- losses
def _reduction(op, reduction, size_average=None, reduce=None, extra=()):
    """`reduction`, or PyTorch's legacy `size_average`/`reduce` flags mapped onto it."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduction = "none" if reduce is False else ("mean" if size_average else "sum")
    if reduction not in ("none", "mean", "sum") + extra:
        allowed = ", ".join(repr(r) for r in ("none", "mean", "sum") + extra)
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _pointwise_target(op, input, target):
    """The target of an elementwise loss: same shape as input (no silent broadcasting), and
    floating point (integer labels are converted to input's dtype)."""
    if not isinstance(target, Tensor):
        target = Tensor(backend.asarray(target), dtype=input.dtype, device=input.device)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: target of shape {tuple(target.shape)} does not match input of "
                         f"shape {tuple(input.shape)}; reshape one of them (PyTorch would "
                         "broadcast them, which is rarely what is meant)")
    return target if target.is_floating_point() else target.to(input.dtype)


def _weighted(op, loss, weight, reduction, mean_over_weight=True):
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(loss.shape):
        raise ValueError(f"{op}: weight of shape {tuple(weight.shape)} must have the input's "
                         f"shape {tuple(loss.shape)}")
    loss = loss * weight
    if reduction == "mean" and mean_over_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (x - y)^2, averaged or summed; with `weight`, the mean is
    sum(w * err) / sum(w).

    Shape: input, target and weight (*) -> scalar, or (*) with reduction='none'.
    """
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    diff = input - _pointwise_target("mse_loss", input, target)
    return _weighted("mse_loss", diff * diff, weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |x - y|. Shape: as mse_loss."""
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    diff = input - _pointwise_target("l1_loss", input, target)
    return _weighted("l1_loss", diff.abs(), weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = x - y). Shape: as mse_loss."""
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - _pointwise_target("smooth_l1_loss", input, target)
    if beta == 0:
        return _reduce(d.abs(), reduction)
    ad = d.abs()
    return _reduce(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta). Shape: as mse_loss."""
    reduction = _reduction("huber_loss", reduction)
    d = input - _pointwise_target("huber_loss", input, target)
    ad = d.abs()
    loss = where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _weighted("huber_loss", loss, weight, reduction, mean_over_weight=False)


def _target_kind(op, input, target, probabilities):
    """'indices' or 'probabilities', after checking target's shape and dtype against input
    (N, C, d1, ...) or (C,)."""
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a 0-d tensor")
    shape, tshape = tuple(input.shape), tuple(target.shape)
    index_shape = shape[:1] + shape[2:] if input.ndim > 1 else ()
    is_int = target.dtype.kind in "iu"
    if tshape == index_shape and (is_int or not probabilities):
        if not is_int:
            raise TypeError(f"{op}: class-index target must be an integer (long) tensor, got "
                            f"{target.dtype}")
        return "indices"
    if probabilities and tshape == shape:
        if is_int:
            raise TypeError(f"{op}: a target with the input's shape {shape} holds class "
                            f"probabilities and must be floating point, got {target.dtype}; "
                            f"class indices have shape {index_shape}")
        return "probabilities"
    if probabilities and tshape == index_shape:
        raise TypeError(f"{op}: class-index target must be an integer (long) tensor, got "
                        f"{target.dtype}")
    expected = f"class indices of shape {index_shape}"
    if probabilities:
        expected += f" or probabilities of shape {shape}"
    raise ValueError(f"{op}: target of shape {tshape} does not match input {shape}: "
                     f"expected {expected}")


def _class_dim_shape(input, v):
    """A (C,) tensor shaped to broadcast along the class dim of input."""
    return v.reshape((-1,) + (1,) * (input.ndim - 2)) if input.ndim > 1 else v


def _check_class_weight(op, input, weight):
    n_classes = input.shape[1 if input.ndim > 1 else 0]
    if weight is not None and tuple(weight.shape) != (n_classes,):
        raise ValueError(f"{op}: weight of shape {tuple(weight.shape)} must have one value per "
                         f"class, shape ({n_classes},)")


def _pick(op, logp, target, weight, ignore_index):
    """-w[t] * logp[t] per element, and the weights w[t] (0 where t == ignore_index)."""
    class_dim = 1 if logp.ndim > 1 else 0
    n_classes = logp.shape[class_dim]
    _check_class_weight(op, logp, weight)
    t = target._data
    xp = backend.get_array_module(t)
    keep = t != ignore_index
    safe = check_targets(op, t, n_classes, ignore_index)
    index = Tensor._make(xp.expand_dims(safe, class_dim))
    picked = logp.gather(class_dim, index).squeeze(class_dim)
    if weight is None:
        if bool(keep.all()):
            return -picked, None
        w = keep.astype(logp.dtype)
    else:
        w = (weight._data[safe] * keep).astype(logp.dtype)
    w = Tensor._make(w)
    return -picked * w, w


def _reduce_picked(loss, w, reduction):
    """PyTorch's weighted mean: divide by the total weight of the targets that count."""
    if reduction == "mean":
        return loss.mean() if w is None else loss.sum() / w.sum()
    return _reduce(loss, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of class indices given log-probabilities:
    -weight[t] * input[n, t]; the mean divides by the summed weights of the counted targets.

    Shape: input (N, C) or (N, C, d1, ...) or (C,); target (N,) or (N, d1, ...) or () ->
    scalar, or target's shape with reduction='none'.
    """
    reduction = _reduction("nll_loss", reduction, size_average, reduce)
    _target_kind("nll_loss", input, target, probabilities=False)
    loss, w = _pick("nll_loss", input, target, weight, ignore_index)
    return _reduce_picked(loss, w, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim, then the negative log-likelihood of the target: class
    indices (ignore_index, weight), or class probabilities of the input's shape. With
    label_smoothing e the target is mixed with the uniform distribution: (1 - e) y + e / C.

    Shape: input (N, C), (N, C, d1, ...) or (C,); target (N,), (N, d1, ...) or () of class
    indices, or probabilities of the input's shape -> scalar, or (N, d1, ...) with
    reduction='none'.
    """
    reduction = _reduction("cross_entropy", reduction, size_average, reduce)
    if input.dtype.kind != "f":
        raise TypeError(f"cross_entropy: expects floating logits, got {input.dtype} (convert "
                        "with .float())")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    kind = _target_kind("cross_entropy", input, target, probabilities=True)
    _check_class_weight("cross_entropy", input, weight)
    class_dim = 1 if input.ndim > 1 else 0
    n_classes = input.shape[class_dim]
    if kind != "probabilities" and input.ndim == 2 and weight is None and not label_smoothing:
        return SoftmaxCrossEntropy.apply(input, target, ignore_index=ignore_index,
                                         reduction=reduction)
    logp = log_softmax(input, class_dim)
    wlogp = logp if weight is None else logp * _class_dim_shape(input, weight)
    if kind == "probabilities":
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        loss = -(wlogp * target).sum(class_dim)
        if reduction == "mean":  # per sample, whatever the weights
            return loss.sum() / (loss.numel() if loss.numel() else float("nan"))
        return _reduce(loss, reduction)
    loss, w = _pick("cross_entropy", logp, target, weight, ignore_index)
    if not label_smoothing:
        return _reduce_picked(loss, w, reduction)
    # The smoothing term -sum_c w_c logp_c / C, over the same targets and the same denominator.
    smooth = -wlogp.sum(class_dim)
    if w is not None:
        smooth = smooth * Tensor._make((target._data != ignore_index).astype(logp.dtype))
    nll = _reduce_picked(loss, w, reduction)
    if reduction == "mean":
        smooth = smooth.mean() if w is None else smooth.sum() / w.sum()
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _clamped_log(p):
    # PyTorch clamps log(p) at -100 so that p = 0 gives a finite loss; clamping p first keeps
    # log's gradient finite too (1/0 would turn the clamp's zero gradient into nan).
    return p.clamp(min=1e-44).log().clamp(min=-100.0)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1], logs clamped at -100.

    Shape: input and target (*), weight broadcastable to (*) -> scalar, or (*).
    """
    reduction = _reduction("binary_cross_entropy", reduction, size_average, reduce)
    target = _pointwise_target("binary_cross_entropy", input, target)
    p = input._data
    if p.size and not bool(((p >= 0) & (p <= 1)).all()):  # NaN fails both comparisons
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1,"
                         f" got values in [{float(p.min()):g}, {float(p.max()):g}]; apply "
                         "sigmoid first, or use binary_cross_entropy_with_logits")
    loss = -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(x), y) computed stably from the logits x:
    (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x); softplus never overflows.

    Shape: input and target (*), weight broadcastable to (*), pos_weight broadcastable to the
    last dim (C,) -> scalar, or (*).
    """
    reduction = _reduction("binary_cross_entropy_with_logits", reduction, size_average, reduce)
    target = _pointwise_target("binary_cross_entropy_with_logits", input, target)
    log1p_exp = softplus(-input, 1.0, float("inf"))  # threshold inf: the exact logaddexp form
    if pos_weight is not None:
        log1p_exp = log1p_exp * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + log1p_exp
    return _reduce(loss if weight is None else loss * weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || q) pointwise, with input = log q: y (log y - input), 0 where y = 0; or
    exp(t) (t - input) with log_target (t = log y). 'batchmean' divides the sum by N (the
    true KL divergence per sample); 'mean' divides by the number of elements, as PyTorch does.

    Shape: input and target (N, *) -> scalar, or (N, *) with reduction='none'.
    """
    reduction = _reduction("kl_div", reduction, size_average, reduce, extra=("batchmean",))
    target = _pointwise_target("kl_div", input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        zero = target._data == 0
        loss = where(zero, 0.0, target * where(zero, 1.0, target).log()) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (x: a distance, y in {1, -1}).

    Shape: input and target (*) -> scalar, or (*).
    """
    reduction = _reduction("hinge_embedding_loss", reduction, size_average, reduce)
    target = _pointwise_target("hinge_embedding_loss", input, target)
    t = target._data
    loss = where(t != 1, (margin - input).clamp(min=0), 0.0) + where(t != -1, input, 0.0)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1.

    Shape: input1 and input2 (N, D) or (D,); target (N,) or () -> scalar, or (N,) / ().
    """
    reduction = _reduction("cosine_embedding_loss", reduction, size_average, reduce)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape or \
            tuple(target.shape) != tuple(input1.shape[:-1]):
        raise ValueError(f"cosine_embedding_loss: expected inputs of the same shape (N, D) or "
                         f"(D,) and target (N,) or (), got {tuple(input1.shape)}, "
                         f"{tuple(input2.shape)} and target {tuple(target.shape)}")
    dim, eps = input1.ndim - 1, 1e-12
    dot = (input1 * input2).sum(dim)
    mag = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = dot / mag.sqrt()
    t = target._data
    loss = where(t == 1, 1 - cos, 0.0) + where(t == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)
