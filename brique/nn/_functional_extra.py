"""More of `brique.nn.functional` (re-exported there): margin losses, LP pooling,
channel shuffle, feature alpha dropout, gumbel_softmax, pdist, the `*_with_indices` poolings,
max_unpool1d and the in-place activations (`elu_`, ...). All are composites of primitives."""
from __future__ import annotations

import math

from .. import backend, creation
from ..ops import elementwise as E
from ..ops.adaptive_pool import adaptive_max_pool1d, adaptive_max_pool2d
from ..ops.pool import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, max_unpool2d
from ..ops.reduce import softmax
from ..tensor import Tensor
from . import _activation as A
from ._functional_more import _pair, _reduce, pairwise_distance


def _array(t):
    return t._data if isinstance(t, Tensor) else backend.asarray(t)


# ----------------------------------------------------------------- losses
def _targets(op, input, target):
    # PyTorch allows an empty batch but no empty class dimension
    if input.ndim in (1, 2) and input.shape[-1] == 0:
        raise RuntimeError(f"{op}: expected a non-empty vector or matrix with optional 0-dim "
                           f"batch size, got input of shape {tuple(input.shape)}")
    t = _array(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must be integers (long), got {t.dtype}")
    if input.dtype.kind != "f" and input.numel():
        raise RuntimeError(f"{op}: not implemented for {input.dtype} input")
    return t


def _empty_integer_loss(input, reduction):
    """PyTorch lets an empty batch of integers through, with a loss of the input's dtype."""
    shape = (input.shape[0],) if reduction == "none" and input.ndim == 2 else ()
    return creation.zeros(shape, dtype=input.dtype, device=input.device)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: sum over j != y of max(0, margin - x[y] + x[j])^p (times
    weight[y]), divided by the number of classes C.

    Shape: input (N, C) or (C,), target (N,) or () of class indices -> per reduction.
    """
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got {p}")
    if input.ndim not in (1, 2):
        raise ValueError(f"multi_margin_loss: input must be 1-D or 2-D, got shape "
                         f"{tuple(input.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    t = _targets("multi_margin_loss", input, target).reshape(-1)
    if t.shape[0] != x.shape[0]:
        raise ValueError(f"multi_margin_loss: target of shape {tuple(_array(target).shape)} "
                         f"does not match input of shape {tuple(input.shape)}")
    classes = x.shape[1]
    if t.size and (int(t.min()) < 0 or int(t.max()) >= classes):
        raise IndexError(f"multi_margin_loss: target values must be in [0, {classes}), got "
                         f"{t.tolist()}")
    if input.dtype.kind != "f":
        return _empty_integer_loss(input, reduction)
    xp = backend.get_array_module(t)
    target_t = Tensor._make(t[:, None])
    x_y = x.gather(1, target_t)
    z = margin - x_y + x
    h = E.where(z > 0, z, 0.0)  # a nan margin counts as none, as in PyTorch
    if p == 2:
        h = h * h
    # where, not a 0/1 product: the j == y term (nan for an infinite x[y]) must not count
    h = E.where(Tensor._make(xp.arange(classes)[None, :] != t[:, None]), h, 0.0)
    if weight is not None:
        h = h * weight[Tensor._make(t)].unsqueeze(1)
    loss = h.sum(1) / classes
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: for each target class j (the target row lists them, ended by
    the first -1) and each non-target class i, max(0, 1 - (x[j] - x[i])), summed, over C.

    Shape: input (N, C) or (C,), target of the same shape (int64) -> per reduction.
    """
    t = _targets("multilabel_margin_loss", input, target)
    if tuple(t.shape) != tuple(input.shape) or input.ndim not in (1, 2):
        raise ValueError(f"multilabel_margin_loss: input (C) or (N, C) and a target of the same "
                         f"shape expected, got {tuple(input.shape)} and {tuple(t.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    t = t.reshape(x.shape)
    classes = x.shape[1]
    xp = backend.get_array_module(t)
    if t.size and (int(t.max()) >= classes or int(t.min()) < -1):
        raise IndexError(f"multilabel_margin_loss: target values must be in [-1, {classes}), "
                         f"got {t.tolist()}")
    # Entries after a row's first -1 are ignored; a class listed twice counts twice.
    live = xp.cumprod(t >= 0, axis=1).astype(bool)
    counts = ((t[:, :, None] == xp.arange(classes)) & live[:, :, None]).sum(axis=1)
    if input.dtype.kind != "f":
        return _empty_integer_loss(input, reduction)
    pairs = (counts[:, :, None] > 0) & (counts[:, None, :] == 0)       # (N, j target, i not)
    z = 1.0 - x.unsqueeze(2) + x.unsqueeze(1)                         # (N, j, i)
    # where, not a 0/1 product: the pairs left out may hold nan (inf - inf); a nan margin
    # counts as none, as in PyTorch
    pairs = pairs & (z._data > 0)
    pair = E.where(Tensor._make(pairs), z * Tensor._make(counts[:, :, None].astype(x.dtype)),
                   0.0)
    loss = pair.sum((1, 2)) / classes
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin) with any distance d (pairwise_distance by
    default); swap uses min(d(a, n), d(p, n)) as the negative distance."""
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, "
                         f"got {margin}")
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise ValueError(f"triplet_margin_with_distance_loss: anchor, positive and negative "
                         f"must have the same rank, got {tuple(anchor.shape)}, "
                         f"{tuple(positive.shape)} and {tuple(negative.shape)}")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = E.minimum(d_neg, dist(positive, negative))
    return _reduce(E.clamp(margin + d_pos - d_neg, min=0.0), reduction)


# ----------------------------------------------------------------- pooling
def _lp_finish(out, norm_type, area):
    # sign * relu(|.|) keeps the gradient at 0 finite where every window value is 0.
    return (E.sign(out) * E.relu(out.abs()) * area).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p); p = inf is max pooling of |x|.
    Shape: (N, C, L) or (C, L) -> (N, C, L_out)."""
    if norm_type == float("inf"):
        if input.dtype.kind != "f":  # PyTorch's max_pool1d has floating kernels only
            raise RuntimeError(f"lp_pool1d: norm_type inf is not implemented for "
                               f"{input.dtype} input")
        return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    k = kernel_size[0] if isinstance(kernel_size, (tuple, list)) else kernel_size
    return _lp_finish(out, norm_type, k)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p) in 2-D.
    Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out)."""
    if norm_type == float("inf"):
        return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    kh, kw = _pair(kernel_size)
    out = avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode)
    return _lp_finish(out, norm_type, kh * kw)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _float_pool_input(name, input):
    # PyTorch's adaptive max pooling has floating kernels only
    if isinstance(input, Tensor) and input.dtype.kind != "f":
        raise RuntimeError(f"{name}: not implemented for {input.dtype} input")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    _float_pool_input("adaptive_max_pool1d", input)
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    _float_pool_input("adaptive_max_pool2d", input)
    return adaptive_max_pool2d(input, output_size, True)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Puts each value back at its index along L (from max_pool1d(..., return_indices=True));
    everything else is zero. Shape: (N, C, L_in) or (C, L_in) -> (N, C, L_out)."""
    if input.ndim not in (2, 3):
        raise ValueError(f"max_unpool1d: input must be (C, L) or (N, C, L), got shape "
                         f"{tuple(input.shape)}")
    k = _pair(kernel_size)[0]
    s = k if stride is None else _pair(stride)[0]
    size = None if output_size is None else (1, int(tuple(output_size)[-1]))
    out = max_unpool2d(input.unsqueeze(-2), indices.unsqueeze(-2), (1, k), (1, s),
                       (0, _pair(padding)[0]), size)
    return out.squeeze(-2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d(..., return_indices=True): each value goes back to its
    flat D*H*W index, zeros elsewhere. Shape: (N, C, D, H, W) or (C, D, H, W) ->
    (N, C, D_out, H_out, W_out), D_out = (D - 1) * stride - 2 * padding + kernel_size."""
    if input.ndim not in (4, 5) or tuple(indices.shape) != tuple(input.shape):
        raise ValueError(f"max_unpool3d: expected a 4-D or 5-D input and indices of the same "
                         f"shape, got {tuple(input.shape)} and {tuple(indices.shape)}")
    three = (lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,) * 3)
    k, p = three(kernel_size), three(padding)
    s = k if stride is None else three(stride)
    size = [(n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip(input.shape[-3:], s, p, k)]
    if output_size is not None:
        size = [int(n) for n in tuple(output_size)[-3:]]
    if indices.numel() and not 0 <= int(indices.min()) <= int(indices.max()) < math.prod(size):
        raise ValueError(f"max_unpool3d: found an index out of range for output size "
                         f"{tuple(size)} (indices in [{int(indices.min())}, "
                         f"{int(indices.max())}]); pass output_size=")
    # the indices are flat over the output volume: unpool one long row of it
    lead = tuple(input.shape[:-3])
    row = lead + (1, input.shape[-3] * input.shape[-2] * input.shape[-1])
    out = max_unpool2d(input.reshape(row), indices.reshape(row), 1, 1, 0,
                       (1, size[0] * size[1] * size[2]))
    return out.reshape(lead + tuple(size))


def channel_shuffle(input, groups):
    """Interleaves the channels of `groups` groups (ShuffleNet).
    Shape: (N, C, *) with C divisible by groups -> same shape."""
    if input.ndim < 3:
        raise ValueError(f"channel_shuffle: input must have at least 3 dimensions, got shape "
                         f"{tuple(input.shape)}")
    n, c = input.shape[:2]
    if groups <= 0 or c % groups:
        raise ValueError(f"channel_shuffle: number of channels ({c}) must be divisible by "
                         f"groups ({groups})")
    rest = tuple(input.shape[2:])
    return (input.reshape((n, groups, c // groups) + rest).transpose(1, 2)
            .reshape(input.shape))


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels: a dropped channel takes SELU's negative saturation,
    then `a x + b` restores mean 0 and variance 1. Shape: (N, C, *) or (C, *)."""
    from ._functional_more import _alpha_dropout
    return _alpha_dropout(input, p, training, tuple(input.shape[:2]) + (1,) * (input.ndim - 2))


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A sample from the Gumbel-softmax (Concrete) distribution; with hard=True a one-hot
    vector whose gradient is the soft sample's (straight-through)."""
    if logits.dtype.kind != "f":
        raise RuntimeError(f"gumbel_softmax: logits must be floating point, got {logits.dtype}")
    xp = backend.get_array_module(logits._data)
    gumbels = -xp.log(backend.rng(logits.device).exponential(1.0, size=logits.shape))
    soft = softmax((logits + Tensor._make(gumbels.astype(logits.dtype))) / tau, dim)
    if not hard:
        return soft
    d = dim % logits.ndim
    best = xp.argmax(soft._data, axis=d)
    one_hot = (xp.expand_dims(best, d) == xp.arange(logits.shape[d]).reshape(
        (-1,) + (1,) * (logits.ndim - d - 1))).astype(logits.dtype)
    return Tensor._make(one_hot) - soft.detach() + soft


def pdist(input, p=2):
    """p-norm distances between every pair of rows i < j, in row-major order of the pairs.
    Shape: (N, M) -> (N (N - 1) / 2,)."""
    if input.ndim != 2:
        raise ValueError(f"pdist: only 2-D input supported, got shape {tuple(input.shape)}")
    if p < 0:
        raise ValueError(f"pdist: only supports non-negative p values, got {p}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"pdist: only supports floating-point dtypes, got {input.dtype}")
    xp = backend.get_array_module(input._data)
    i, j = xp.triu_indices(input.shape[0], 1)
    diff = input[Tensor._make(i)] - input[Tensor._make(j)]
    if input.shape[1] == 0:  # rows without features are all at distance 0 (for every p)
        return diff.abs().sum(1)
    return diff.norm(p, 1)


# ----------------------------------------------------------------- in-place activations
# PyTorch has no integer kernels for these (hardtanh_ and threshold_ take integers)
_FLOAT_ONLY = ("elu_", "selu_", "celu_", "leaky_relu_", "rrelu_")


def _inplace(input, name, fn):
    """Overwrites `input` with fn(input), recorded in the graph as Tensor's own `x.op_()`."""
    if input.dtype == backend.bool_ or (input.dtype.kind != "f" and name in _FLOAT_ONLY):
        raise RuntimeError(f"{name}: not implemented for {input.dtype} tensors")
    data = input._inplace(name, graph=fn)
    if data is not None:
        data[...] = fn(input.detach())._data
    return input


def elu_(input, alpha=1.0):
    return _inplace(input, "elu_", lambda x: E.elu(x, alpha))


def selu_(input):
    return _inplace(input, "selu_", A.selu)


def celu_(input, alpha=1.0):
    return _inplace(input, "celu_", lambda x: A.celu(x, alpha))


def leaky_relu_(input, negative_slope=0.01):
    return _inplace(input, "leaky_relu_", lambda x: E.leaky_relu(x, negative_slope))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return _inplace(input, "hardtanh_", lambda x: A.hardtanh(x, min_val, max_val))


def threshold_(input, threshold, value):
    # written as `x <= threshold` so that NaN stays NaN, as in PyTorch
    return _inplace(input, "threshold_", lambda x: E.where(x <= threshold, value, x))


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    if not training:
        return leaky_relu_(input, (lower + upper) / 2)
    slope = backend.rng(input.device).uniform(lower, upper, size=input.shape)
    slope = Tensor._make(slope.astype(input.dtype))
    return _inplace(input, "rrelu_", lambda x: E.where(x >= 0, x, slope * x))
