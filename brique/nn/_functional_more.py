"""More of `brique.nn.functional` (kept apart from functional.py for its size): fold/unfold,
distances, instance and RMS normalization, and the less common losses. All are composites of
primitives; functional.py re-exports them."""
from __future__ import annotations

import math

from .. import backend
from ..ops.conv import conv2d, conv_transpose2d
from ..ops.elementwise import clamp, log, softplus
from ..tensor import Tensor


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _reduce(loss, reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# ----------------------------------------------------------------- fold / unfold
def _picking_kernels(channels, kernel, like):
    """One one-hot kernel per (channel, kernel offset): a grouped convolution with them copies
    each patch element to its own output channel, in PyTorch's (C, kh, kw) order."""
    kh, kw = kernel
    xp = backend.get_array_module(like._data)
    eye = xp.eye(kh * kw, dtype=like.dtype).reshape(kh * kw, 1, kh, kw)
    return Tensor._make(xp.tile(eye, (channels, 1, 1, 1)))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding patches as columns (im2col).

    Shape: (N, C, H, W) -> (N, C * kh * kw, L), L the number of patch positions."""
    if input.ndim != 4:
        raise ValueError(f"unfold: expected a 4-D input (N, C, H, W), got shape "
                         f"{tuple(input.shape)}")
    n, c = input.shape[:2]
    weight = _picking_kernels(c, _pair(kernel_size), input)
    cols = conv2d(input, weight, None, stride, _pair(padding), dilation, groups=c)
    return cols.reshape(n, cols.shape[1], -1)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns back to an image, summing where patches overlap (col2im, unfold's adjoint).

    Shape: (N, C * kh * kw, L) -> (N, C, H, W) with (H, W) = output_size."""
    kh, kw = kernel = _pair(kernel_size)
    (oh, ow), (sh, sw), (ph, pw), (dh, dw) = (_pair(v) for v in (output_size, stride, padding,
                                                                 dilation))
    if input.ndim != 3 or input.shape[1] % (kh * kw):
        raise ValueError(f"fold: expected (N, C * {kh * kw}, L), got shape {tuple(input.shape)}")
    lh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    lw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if lh * lw != input.shape[2]:
        raise ValueError(f"fold: output_size {(oh, ow)} gives {lh * lw} patch positions, the "
                         f"input has {input.shape[2]}")
    c = input.shape[1] // (kh * kw)
    weight = _picking_kernels(c, kernel, input)
    extra = (oh - ((lh - 1) * sh - 2 * ph + dh * (kh - 1) + 1),
             ow - ((lw - 1) * sw - 2 * pw + dw * (kw - 1) + 1))
    cols = input.reshape(input.shape[0], input.shape[1], lh, lw)
    return conv_transpose2d(cols, weight, None, (sh, sw), (ph, pw), extra, c, (dh, dw))


# ----------------------------------------------------------------- dropout
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """SELU-preserving dropout: dropped units become -scale * alpha, then `a x + b` restores
    mean 0 and variance 1."""
    return _alpha_dropout(input, p, training, tuple(input.shape))


def _alpha_dropout(input, p, training, mask_shape):
    """alpha_dropout with a keep mask of `mask_shape` (broadcast over input: whole channels
    for feature_alpha_dropout)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    saturation = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717
    a = ((1 - p) * (1 + p * saturation ** 2)) ** -0.5
    keep = backend.rng(input.device).random(mask_shape) >= p
    keep = Tensor._make(keep.astype(input.dtype))
    return a * (input * keep + saturation * (1 - keep)) - a * saturation * p


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Drops whole channels. Shape: (N, C, D, H, W) or (C, D, H, W)."""
    if not training or p == 0.0:
        return input
    from .functional import dropout1d
    flat = input.flatten(-3)
    return dropout1d(flat if input.ndim == 5 else flat.unsqueeze(0), p, True).reshape(input.shape)


# ----------------------------------------------------------------- distances
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps along the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


# ----------------------------------------------------------------- normalization
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalizes each sample's channels over their spatial dims.

    Shape: (N, C, *) -> same."""
    dims = tuple(range(2, input.ndim))
    if use_input_stats or running_mean is None:
        mean = input.mean(dims, keepdim=True)
        var = ((input - mean) ** 2).mean(dims, keepdim=True)
        if running_mean is not None:
            n = math.prod(input.shape[2:])  # running_var keeps the unbiased estimate
            batch_mean = mean.detach().mean(0).reshape(-1)
            batch_var = var.detach().mean(0).reshape(-1) * (n / max(n - 1, 1))
            running_mean.mul_(1 - momentum).add_(batch_mean * momentum)
            running_var.mul_(1 - momentum).add_(batch_var * momentum)
    else:
        shape = (1, -1) + (1,) * len(dims)
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (input - mean) / (var + eps).sqrt()
    shape = (1, -1) + (1,) * len(dims)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing `normalized_shape` dims, times weight."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ValueError(f"rms_norm: normalized_shape {shape} does not end input shape "
                         f"{tuple(input.shape)}")
    if eps is None:
        eps = float(backend.get_array_module(input._data).finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


# ----------------------------------------------------------------- losses
def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where -1."""
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0.0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0), d the pairwise p-distance."""
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:  # the harder negative: the closer of anchor and positive to it
        from ..ops.elementwise import minimum
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(d_pos - d_neg + margin, min=0.0), reduction)


def soft_margin_loss(input, target, reduction="mean"):
    """log(1 + exp(-y x)) for targets y in {-1, 1}."""
    return _reduce(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):
    """Binary cross-entropy with logits per class, averaged over the classes of each sample.

    Shape: input, target (N, C) -> (N,) with reduction='none'."""
    loss = target * softplus(-input) + (1 - target) * softplus(input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.mean(-1), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    """exp(x) - y x (log_input) or x - y log(x + eps); `full` adds Stirling's y log y - y +
    log(2 pi y) / 2 where y > 1."""
    loss = input.exp() - target * input if log_input else input - target * log(input + eps)
    if full:
        from ..ops.elementwise import where
        y = target
        stirling = y * log(clamp(y, min=1.0)) - y + 0.5 * log(clamp(2 * math.pi * y, min=1.0))
        loss = loss + where(y > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """(log(var) + (input - target)^2 / var) / 2, var clamped to eps (+ log(2 pi) / 2 if
    full)."""
    if var.ndim == input.ndim - 1:
        var = var.unsqueeze(-1)
    var = clamp(var, min=eps)
    loss = 0.5 * (log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
