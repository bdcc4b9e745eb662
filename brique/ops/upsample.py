"""Resizing: interpolate (nearest, nearest-exact, linear, bilinear, area) and pixel_shuffle.
All composites of primitives, so their gradients (of any order) come for free:
- nearest by an integer factor is an expand + reshape (its gradient is a sum, no scatter);
  other nearest sizes pick rows and columns with index_select;
- (bi)linear is separable: out = A_h @ x @ A_w^T with constant interpolation matrices;
- area is adaptive_avg_pool.
"""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor
from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d

xp_of = backend.get_array_module

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")


def _output_size(name, x, nd, size, scale_factor):
    in_size = x.shape[2:]
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: exactly one of size or scale_factor must be given")
    if size is not None:
        out = (size,) * nd if isinstance(size, int) else tuple(size)
        if len(out) != nd:
            raise ValueError(f"{name}: size {size} must have {nd} elements for input of "
                             f"shape {tuple(x.shape)}")
        return out, (None,) * nd
    scales = (scale_factor,) * nd if isinstance(scale_factor, (int, float)) \
        else tuple(scale_factor)
    if len(scales) != nd:
        raise ValueError(f"{name}: scale_factor {scale_factor} must have {nd} elements for "
                         f"input of shape {tuple(x.shape)}")
    out = tuple(int(math.floor(n * s)) for n, s in zip(in_size, scales))
    return out, scales


def _scale(n_in, n_out, scale, align_corners):
    """The source-per-destination step, as PyTorch's area_pixel_compute_scale."""
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _nearest(x, dim, n_out, scale, exact):
    n_in = x.shape[dim]
    if n_out == n_in:
        return x
    xp = xp_of(x._data)
    step = xp.float32(_scale(n_in, n_out, scale, False))  # PyTorch computes this in float32
    dst = xp.arange(n_out, dtype=xp.float32)
    src = xp.floor((dst + 0.5) * step if exact else dst * step).astype(backend.int64)
    src = xp.minimum(src, n_in - 1)
    if n_out == 2 * n_in and not exact:
        src = xp.arange(n_out) // 2  # PyTorch's special case, whatever the scale factor
    factor = n_out // n_in
    if n_out == factor * n_in and bool((src == xp.arange(n_out) // factor).all()):
        # An integer upsampling: repeat each element `factor` times with expand + reshape.
        shape = x.shape
        y = x.unsqueeze(dim + 1).expand(shape[:dim + 1] + (factor,) + shape[dim + 1:])
        return y.reshape(shape[:dim] + (n_out,) + shape[dim + 1:])
    return x.index_select(dim, Tensor._make(src))


def _linear_matrix(n_in, n_out, scale, align_corners, dtype, xp):
    """(n_out, n_in) matrix of PyTorch's linear interpolation weights."""
    step = _scale(n_in, n_out, scale, align_corners)
    dst = xp.arange(n_out, dtype=dtype)
    src = dst * step if align_corners else xp.maximum((dst + 0.5) * step - 0.5, 0)
    lo = xp.minimum(xp.floor(src).astype(backend.int64), n_in - 1)
    hi = xp.minimum(lo + 1, n_in - 1)
    w_hi = xp.clip(src - lo, 0, 1).astype(dtype)
    A = xp.zeros((n_out, n_in), dtype=dtype)
    rows = xp.arange(n_out)
    A[rows, lo] = 1 - w_hi
    A[rows, hi] += w_hi
    return A


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of a batch: mode 'nearest', 'nearest-exact', 'linear' (3-D
    input), 'bilinear' (4-D input) or 'area'.

    Shape:
        input (N, C, L) or (N, C, H, W); output (N, C, *size), or the input size times
        scale_factor, rounded down.
    """
    name = "interpolate"
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise ValueError(f"{name}: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    if mode not in _MODES:
        raise NotImplementedError(f"{name}: mode {mode!r} is not supported; expected one of "
                                  f"{', '.join(_MODES)}")
    if antialias:
        raise NotImplementedError(f"{name}: antialias=True is not supported")
    nd = input.ndim - 2
    if mode in ("linear", "bilinear") and nd != (1 if mode == "linear" else 2):
        raise ValueError(f"{name}: mode {mode!r} expects a {3 if mode == 'linear' else 4}-D "
                         f"input, got shape {tuple(input.shape)}")
    if align_corners is not None and mode not in ("linear", "bilinear"):
        raise ValueError(f"{name}: align_corners can only be set with the linear modes")
    out, scales = _output_size(name, input, nd, size, scale_factor)
    if min(out) < 1:
        raise ValueError(f"{name}: output size {out} must be positive")
    if recompute_scale_factor:
        scales = (None,) * nd
    if mode == "area":
        return (adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d)(input, out)
    y = input
    if mode.startswith("nearest"):
        for i in range(nd):
            y = _nearest(y, 2 + i, out[i], scales[i], mode == "nearest-exact")
        return y
    xp = xp_of(input._data)
    mats = [Tensor._make(_linear_matrix(n, o, s, bool(align_corners), input.dtype, xp))
            for n, o, s in zip(input.shape[2:], out, scales)]
    if nd == 1:
        return y @ mats[0].mT
    return (mats[0] @ y) @ mats[1].mT


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated PyTorch alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear with align_corners=True, as PyTorch's deprecated upsample_bilinear."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """Rearranges (*, C * r * r, H, W) into (*, C, H * r, W * r) (sub-pixel convolution).

    Shape: input (*, C * r^2, H, W); output (*, C, H * r, W * r).
    """
    r = int(upscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: expected an input of at least 3 dims whose "
                         f"channel count is divisible by upscale_factor^2 = {r * r}, got shape "
                         f"{tuple(input.shape)}")
    *lead, C, H, W = input.shape
    n = len(lead)
    y = input.reshape(tuple(lead) + (C // (r * r), r, r, H, W))
    y = y.permute(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return y.reshape(tuple(lead) + (C // (r * r), H * r, W * r))


def pixel_unshuffle(input, downscale_factor):
    """The inverse of pixel_shuffle.

    Shape: input (*, C, H * r, W * r); output (*, C * r^2, H, W).
    """
    r = int(downscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-1] % r or input.shape[-2] % r:
        raise ValueError(f"pixel_unshuffle: expected an input of at least 3 dims whose height "
                         f"and width are divisible by downscale_factor = {r}, got shape "
                         f"{tuple(input.shape)}")
    *lead, C, H, W = input.shape
    n = len(lead)
    y = input.reshape(tuple(lead) + (C, H // r, r, W // r, r))
    y = y.permute(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return y.reshape(tuple(lead) + (C * r * r, H // r, W // r))
