"""brique.nn.functional (import as F): the math behind the layers, built from primitives.
Modules hold state and call these; a function here has no backward of its own."""
from __future__ import annotations

import warnings

from .. import backend
from ..autograd import no_grad
from ..ops.elementwise import gelu, sigmoid, softplus, tanh, where  # noqa: F401
from ._activation import (celu, elu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,  # noqa
                          leaky_relu, logsigmoid, mish, prelu, relu, relu6, relu_, rrelu, selu,
                          silu, softmin, softshrink, tanhshrink, threshold)
from ..ops.indexing import one_hot  # noqa: F401
from ..ops.linalg import linear  # noqa: F401
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
from ._functional_loss import (_check_class_weight, _clamped_log,  # noqa: E402,F401
                               _class_dim_shape, _pick, _pointwise_target, _reduce, _reduce_picked,
                               _reduction, _target_kind, _weighted, binary_cross_entropy,
                               binary_cross_entropy_with_logits, cosine_embedding_loss,
                               cross_entropy, hinge_embedding_loss, huber_loss, kl_div, l1_loss,
                               mse_loss, nll_loss, smooth_l1_loss)


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


# ------------------------------------------------ embedding and attention
from ._functional_attention import (_NEG_INF, _attention_bias, _masked_softmax,  # noqa: E402,F401
                                    _renorm_rows, embedding, scaled_dot_product_attention)


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
# Margin losses, LP pooling, *_with_indices, in-place activations; embedding_bag.
from ._functional_extra import (adaptive_max_pool1d_with_indices,  # noqa: E402,F401
                                adaptive_max_pool2d_with_indices, celu_, channel_shuffle, elu_,
                                feature_alpha_dropout, gumbel_softmax, hardtanh_, leaky_relu_,
                                lp_pool1d, lp_pool2d, max_pool1d_with_indices,
                                max_pool2d_with_indices, max_unpool1d, max_unpool3d,
                                multi_margin_loss, multilabel_margin_loss, pdist, rrelu_, selu_,
                                threshold_, triplet_margin_with_distance_loss)
from ._functional_bag import embedding_bag  # noqa: E402,F401
from ..ops.volume import adaptive_avg_pool3d, avg_pool3d, conv3d, max_pool3d  # noqa: E402,F401
from ..ops.volume import conv_transpose3d  # noqa: E402,F401
from ._functional_volume import (adaptive_max_pool3d,  # noqa: E402,F401
                                 adaptive_max_pool3d_with_indices, lp_pool3d)
from ._functional_ctc import ctc_loss  # noqa: E402,F401
