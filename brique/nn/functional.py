"""brique.nn.functional (import as F): the math behind the layers, built from primitives.
Modules hold state and call these; a function here has no backward of its own."""
from __future__ import annotations

import math
import warnings

from .. import backend
from ..autograd import no_grad
from ..ops.elementwise import gelu, sigmoid, softplus, tanh, where  # noqa: F401
from ._activation import (celu, elu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,  # noqa
                          leaky_relu, logsigmoid, mish, prelu, relu, relu6, relu_, rrelu, selu,
                          silu, softmin, softshrink, tanhshrink, threshold)
from ..ops.indexing import one_hot  # noqa: F401
from ..ops.linalg import linear  # noqa: F401
from ..ops.loss import SoftmaxCrossEntropy, check_targets
from ..ops.movement import pad  # noqa: F401
from ..ops.norm import normalize as _normalize
from ..ops.reduce import log_softmax, softmax  # noqa: F401
from ..tensor import Tensor


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k.

    Shape: input1 (*, in1), input2 (*, in2), weight (out, in1, in2) -> (*, out).
    """
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, 1, 1, input1.shape[-1])            # (B, 1, 1, in1)
    x2 = input2.reshape(-1, 1, input2.shape[-1], 1)            # (B, 1, in2, 1)
    out = (x1 @ weight.unsqueeze(0) @ x2).reshape(lead + (weight.shape[0],))
    return out if bias is None else out + bias


def heaviside_step(input):
    """The perceptron's threshold unit: 1 where input > 0, else 0 (no gradient)."""
    return (input > 0).to(input.dtype)


def softsign(input):
    return input / (1 + input.abs())


def _dropout_mask(input, p, shape):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    keep = backend.rng(input.device).random(shape) >= p
    # Inverted dropout: scale at train time so that evaluation is the identity.
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return Tensor._make((keep * scale).astype(input.dtype))


def dropout(input, p=0.5, training=True, inplace=False):
    if not training or p == 0.0:
        return input
    return input * _dropout_mask(input, p, input.shape)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Drops whole channels. Shape: (N, C, H, W) or (C, H, W); other ranks >= 2 warn, as in
    PyTorch, and drop per (N, C) entry."""
    if input.ndim not in (3, 4):
        if input.ndim < 2:
            raise ValueError(f"dropout2d: expected a 3-D or 4-D input, got shape "
                             f"{tuple(input.shape)}")
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated; use dropout instead (dropout2d drops channels of 3-D or 4-D "
                      "inputs)", stacklevel=2)
    if not training or p == 0.0:
        return input
    if input.ndim == 3:
        shape = input.shape[:-2] + (1, 1)
    else:
        shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return input * _dropout_mask(input, p, shape)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    num = (x1 * x2).sum(dim)
    return num / (x1.norm(2, dim) * x2.norm(2, dim)).clamp(min=eps)


# Convolution, pooling and resampling are fused primitives in brique.ops.
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: E402,F401
from ..ops.adaptive_pool import (adaptive_avg_pool1d, adaptive_avg_pool2d,  # noqa: F401
                                 adaptive_max_pool1d, adaptive_max_pool2d)
from ..ops.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, max_unpool2d  # noqa
from ..ops.upsample import (affine_grid, grid_sample, interpolate, pixel_shuffle,  # noqa
                            pixel_unshuffle, upsample, upsample_bilinear, upsample_nearest)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Drops whole channels of sequences. Shape: (N, C, L) or (C, L)."""
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2-D or 3-D input, got shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    return input * _dropout_mask(input, p, input.shape[:-1] + (1,))


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


# ----------------------------------------------------------------- normalization
def _channel_shape(input, name):
    if input.ndim < 2:
        raise ValueError(f"{name}: expected an input of shape (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Per-channel normalization: with batch statistics in training (the running averages,
    if given, move by `momentum` towards the batch mean and the unbiased batch variance),
    with the running statistics otherwise.

    Shape: input (N, C, *); running_mean, running_var, weight, bias (C,) -> (N, C, *).
    """
    shape = _channel_shape(input, "batch_norm")
    w = None if weight is None else weight.reshape(shape)
    b = None if bias is None else bias.reshape(shape)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when "
                             "training=False")
        # Fixed statistics make it a per-channel affine map: x * scale + shift.
        scale = (running_var + eps).rsqrt()
        scale = scale if weight is None else scale * weight
        shift = -running_mean * scale
        shift = shift if bias is None else shift + bias
        return input * scale.reshape(shape) + shift.reshape(shape)
    n = input.numel() // shape[1] if shape[1] else 0
    if n <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input of shape {tuple(input.shape)}")
    axes = (0,) + tuple(range(2, input.ndim))
    out, mean, var = _normalize(input, axes, w, b, eps)
    if running_mean is not None:
        with no_grad():
            running_mean.mul_(1 - momentum).add_(mean.reshape(-1) * momentum)
        if running_var is not None:
            with no_grad():
                running_var.mul_(1 - momentum).add_(var.reshape(-1) * (momentum * n / (n - 1)))
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last len(normalized_shape) dims, then scale and shift elementwise.

    Shape: input (*, *normalized_shape); weight, bias normalized_shape -> input's shape.
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise ValueError(f"layer_norm: input of shape {tuple(input.shape)} does not end with "
                         f"normalized_shape {shape}")
    return _normalize(input, tuple(range(input.ndim - k, input.ndim)), weight, bias, eps)[0]


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over groups of C / num_groups channels (and all positions), then
    scale and shift per channel.

    Shape: input (N, C, *); weight, bias (C,) -> (N, C, *).
    """
    _channel_shape(input, "group_norm")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"group_norm: {c} channels cannot be split into {num_groups} groups")
    grouped = (n, num_groups, c // num_groups, -1)
    affine = (1, num_groups, c // num_groups, 1)
    w = None if weight is None else weight.reshape(affine)
    b = None if bias is None else bias.reshape(affine)
    out = _normalize(input.reshape(grouped), (2, 3), w, b, eps)[0]
    return out.reshape(input.shape)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha / size * sum of x^2 over `size` neighbouring channels)^beta (AlexNet);
    the window is zero-padded at the ends of the channel dim, as in PyTorch.

    Shape: input (N, C, *) with at least 3 dims -> same.
    """
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected an input of 3 or more dims (N, C, *), "
                         f"got shape {tuple(input.shape)}")
    c = input.shape[1]
    sq = pad(input * input, (0, 0) * (input.ndim - 2) + (size // 2, (size - 1) // 2))
    window = sq[:, 0:c]
    for j in range(1, size):
        window = window + sq[:, j:j + c]
    return input / (window * (alpha / size) + k) ** beta


# ----------------------------------------------------------------- embedding
def _renorm_rows(weight, index, max_norm, norm_type):
    """Rescale in place the rows of weight used by index whose norm exceeds max_norm."""
    xp = backend.get_array_module(index)
    rows = xp.unique(index)
    w = weight._data[rows]
    if norm_type == float("inf"):
        norms = xp.abs(w).max(axis=1)
    else:
        norms = (xp.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    with no_grad():
        weight[Tensor._make(rows)] = (w * scale[:, None]).astype(w.dtype)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False):
    """Rows of weight picked by the indices in input. The gradient reaches only the rows
    used (repeated indices accumulate), never the padding_idx row; with max_norm the rows
    used are first renormalized in place; scale_grad_by_freq divides each row's gradient
    by its count in the batch.

    Shape: input (*) of integers in [0, num_embeddings); weight (num_embeddings, D) -> (*, D).
    """
    index = input._data if isinstance(input, Tensor) else backend.asarray(input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer (long) tensor, got {index.dtype}")
    num = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= num):
        bad = index[(index < 0) | (index >= num)].reshape(-1)[0]
        raise IndexError(f"embedding: index {int(bad)} is out of range for {num} embeddings")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        _renorm_rows(weight, index, max_norm, norm_type)
    out = weight[Tensor._make(index)]
    if out.requires_grad and (padding_idx is not None or scale_grad_by_freq):
        xp = backend.get_array_module(index)
        scale = xp.ones(index.shape, dtype=weight.dtype)
        if scale_grad_by_freq:
            scale = scale / xp.bincount(index.reshape(-1), minlength=num)[index]
        if padding_idx is not None:
            scale = scale * (index != padding_idx)
        scale = Tensor._make(scale[..., None].astype(weight.dtype))
        # A hook scales the gradient on its way to the rows, leaving the forward untouched.
        out.register_hook(lambda g: g * scale)
    return out


# ---- attention: one masked softmax serves scaled_dot_product_attention and the modules -----

_NEG_INF = float("-inf")


def _attention_bias(mask, dtype, keep_true, what):
    """A boolean or float mask -> an additive float mask (0 or -inf for booleans).
    keep_true: True marks the positions that take part (SDPA); else the ones masked out (MHA)."""
    data = mask._data if isinstance(mask, Tensor) else backend.asarray(mask)
    xp = backend.get_array_module(data)
    if data.dtype.kind == "b":
        drop = ~data if keep_true else data
        return Tensor._make(xp.where(drop, _NEG_INF, 0.0).astype(dtype))
    if data.dtype.kind != "f":
        raise TypeError(f"{what}: only bool and floating types of masks are supported, got "
                        f"{data.dtype}")
    return mask if isinstance(mask, Tensor) else Tensor._make(data.astype(dtype))


def _masked_softmax(scores, bias=None):
    """softmax(scores + bias) over the last dim, bias an additive mask (None: none). Rows masked
    entirely give zeros (PyTorch's math backend), not NaN, and no NaN in the gradient either."""
    if bias is not None:
        scores = scores + bias
    xp = backend.get_array_module(scores._data)
    dead = xp.isneginf(scores._data).all(axis=-1, keepdims=True)
    if not dead.any():
        return softmax(scores, -1)
    dead = Tensor._make(dead)
    return softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T * scale + mask) V, scale = 1/sqrt(E) by default. A boolean attn_mask marks
    with True the positions that take part; a float one is added to the scores. Dropout on the
    weights is applied whenever dropout_p > 0 (as PyTorch, whatever the module's mode).

    Shape: query (..., L, E), key (..., S, E), value (..., S, Ev), attn_mask broadcastable to
    (..., L, S) -> (..., L, Ev).
    """
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        # grouped-query attention: each key/value head serves a group of query heads
        groups, rest = divmod(query.shape[-3], key.shape[-3])
        if rest or key.shape[-3] != value.shape[-3]:
            raise ValueError(f"scaled_dot_product_attention: with enable_gqa the query's heads "
                             f"({query.shape[-3]}) must be a multiple of the key's and value's "
                             f"({key.shape[-3]}, {value.shape[-3]})")
        key, value = key.repeat_interleave(groups, -3), value.repeat_interleave(groups, -3)
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: expected query (..., L, E), key "
                         f"(..., S, E) and value (..., S, Ev), got {tuple(query.shape)}, "
                         f"{tuple(key.shape)} and {tuple(value.shape)}")
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    xp = backend.get_array_module(query._data)
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: pass either attn_mask or "
                             "is_causal=True, not both")
        bias = _attention_bias(Tensor._make(xp.tril(xp.ones((L, S), dtype=bool))),
                               query.dtype, True, "scaled_dot_product_attention")
    elif attn_mask is not None:
        bias = _attention_bias(attn_mask, query.dtype, True, "scaled_dot_product_attention")
    weights = _masked_softmax(query @ key.mT * scale, bias)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


# ------------------------------------------ local contrast norm, k-max pooling
from ..ops.elementwise import maximum as _maximum  # noqa: E402


def _gaussian_window(size, sigma, channels, dtype, xp):
    """A (1, C, size, size) Gaussian window summing to 1 over the channels and the space."""
    r = xp.arange(size, dtype=dtype) - (size - 1) / 2
    g = xp.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma ** 2))
    g = xp.broadcast_to(g / (g.sum() * channels), (1, channels, size, size))
    return xp.ascontiguousarray(g)


def local_contrast_norm(input, size=9, sigma=None, eps=1e-4):
    """Local contrast normalization (Jarrett et al. 2009, the courses' LCN): subtract from each
    pixel the Gaussian-weighted mean of its size x size neighbourhood across all channels,
    v = x - sum_cpq w_pq x[c, i+p, j+q]; then divide by the weighted standard deviation of the
    same neighbourhood, sigma_ij = sqrt(sum_cpq w_pq v[c, i+p, j+q]^2 + eps^2), floored by its
    mean over the map: y = v / max(sigma_ij, mean_ij sigma_ij). Near the borders the weights
    that fall outside the image are left out and the rest renormalised.

    Shape: input (N, C, H, W) or (C, H, W) -> same; size odd; sigma defaults to size / 4.
    """
    if input.ndim not in (3, 4):
        raise ValueError(f"local_contrast_norm: expected an input of shape (N, C, H, W) or "
                         f"(C, H, W), got shape {tuple(input.shape)}")
    if size < 1 or size % 2 == 0:
        raise ValueError(f"local_contrast_norm: size must be a positive odd number, got {size}")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    xp = backend.get_array_module(x)
    c, h, w = x.shape[1:]
    window = _gaussian_window(size, sigma or size / 4, c, x.dtype, xp)
    weight = Tensor._make(window)
    # the weight inside the image at each pixel: the renormalisation at the borders
    with no_grad():
        inside = conv2d(Tensor._make(xp.ones((1, c, h, w), dtype=x.dtype)), weight,
                        padding=size // 2)
    v = x - conv2d(x, weight, padding=size // 2) / inside
    std = (conv2d(v * v, weight, padding=size // 2) / inside + eps * eps).sqrt()
    floor = std.mean(dim=(1, 2, 3), keepdim=True)
    y = v / _maximum(std, floor.expand(std.shape))
    return y if input.ndim == 4 else y.squeeze(0)


def k_max_pool(input, k, dim=-1):
    """k-max pooling (Kalchbrenner et al. 2014): the k largest values along `dim`, kept in
    their original order; the gradient flows to the positions they came from.

    Shape: input (*, L, *) -> (*, k, *) with L >= k along `dim`.
    """
    if input.ndim == 0:
        raise ValueError("k_max_pool: expected an input with at least one dim, got a scalar")
    d = dim % input.ndim if -input.ndim <= dim < input.ndim else None
    if d is None:
        raise ValueError(f"k_max_pool: dim {dim} is out of range for shape {tuple(input.shape)}")
    if not isinstance(k, int) or not 1 <= k <= input.shape[d]:
        raise ValueError(f"k_max_pool: k must be an int in [1, {input.shape[d]}] for dim {d} "
                         f"of shape {tuple(input.shape)}, got {k!r}")
    xp = backend.get_array_module(input)
    with no_grad():
        top = input.topk(k, dim=d).indices
    order = Tensor._make(xp.sort(top._data, axis=d))
    return input.gather(d, order)
from ._functional_more import (alpha_dropout, dropout3d, fold, gaussian_nll_loss,  # noqa
                               instance_norm, margin_ranking_loss, multilabel_soft_margin_loss,
                               pairwise_distance, poisson_nll_loss, rms_norm, soft_margin_loss,
                               triplet_margin_loss, unfold)
# embedding_bag, margin losses, LP pooling, *_with_indices, in-place activations (helper 4).
from ._functional_extra import (adaptive_max_pool1d_with_indices,  # noqa: E402,F401
                                adaptive_max_pool2d_with_indices, celu_, channel_shuffle, elu_,
                                embedding_bag, feature_alpha_dropout, gumbel_softmax,
                                hardtanh_, leaky_relu_, lp_pool1d, lp_pool2d,
                                max_pool1d_with_indices, max_pool2d_with_indices, max_unpool1d,
                                max_unpool3d,
                                multi_margin_loss, multilabel_margin_loss, pdist, rrelu_, selu_,
                                threshold_, triplet_margin_with_distance_loss)
from ..ops.volume import adaptive_avg_pool3d, avg_pool3d, conv3d, max_pool3d  # noqa: E402,F401
from ..ops.volume import conv_transpose3d  # noqa: E402,F401
