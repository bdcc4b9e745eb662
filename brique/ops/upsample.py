"""Resizing: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, area),
pixel_shuffle, and sampling at a grid's points (affine_grid, grid_sample).
- nearest by integer factors is one primitive, NearestUp, whose derivative is the sum over
  blocks, BlockSum, and the other way round: each is a few strided copies or adds, one per
  offset in the block (written as expand + reshape per dim, a 2x upsampling of an autoencoder's
  14x14 maps took 1.8 ms forward and backward instead of 0.3 ms); 2 x 2 blocks of float
  arrays run as compiled loops (_kernels.nearest_up_2x2, block_sum_2x2), 3-4x faster still;
All others are composites of primitives, so their gradients (of any order) come for free:
- other nearest sizes pick rows and columns with index_select;
- (bi)linear and bicubic are separable: out = A_h @ x @ A_w^T with constant interpolation
  matrices;
- area is adaptive_avg_pool.
"""
from __future__ import annotations

import itertools
import math

from .. import backend
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from . import _kernels
from .adaptive_pool import adaptive_avg_pool1d, adaptive_avg_pool2d

xp_of = backend.get_array_module

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_SEPARABLE = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # mode -> spatial dims


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


def _block_slices(factors):
    """For each offset in a block of `factors` (trailing dims), the index that picks that
    offset of every block."""
    return [(Ellipsis,) + tuple(slice(o, None, f) for o, f in zip(offsets, factors))
            for offsets in itertools.product(*(range(f) for f in factors))]


class NearestUp(Function):
    """Each element repeated factors[d] times along each of the trailing len(factors) dims."""

    def forward(self, x, factors=()):
        self.factors = factors
        if factors == (2, 2) and _kernels.usable(x):
            return _kernels.nearest_up_2x2(x)
        nd = len(factors)
        shape = x.shape[:-nd] + tuple(n * f for n, f in zip(x.shape[-nd:], factors))
        out = xp_of(x).empty(shape, dtype=x.dtype)
        for index in _block_slices(factors):
            out[index] = x
        return out

    def backward(self, g):
        return BlockSum.apply(g, factors=self.factors)


class BlockSum(Function):
    """The sum over blocks of factors[d] elements along the trailing dims (NearestUp's
    adjoint)."""

    def forward(self, g, factors=()):
        self.factors = factors
        if factors == (2, 2) and _kernels.usable(g):
            return _kernels.block_sum_2x2(g)
        first, *rest = _block_slices(factors)
        out = g[first].copy()
        for index in rest:
            out += g[index]
        return out

    def backward(self, g):
        return NearestUp.apply(g, factors=self.factors)


def _nearest_source(n_in, n_out, scale, exact, xp):
    """The source index of each of the n_out positions, as PyTorch's nearest modes pick it."""
    step = xp.float32(_scale(n_in, n_out, scale, False))  # PyTorch computes this in float32
    dst = xp.arange(n_out, dtype=xp.float32)
    src = xp.floor((dst + 0.5) * step if exact else dst * step).astype(backend.int64)
    src = xp.minimum(src, n_in - 1)
    if n_out == 2 * n_in and not exact:
        src = xp.arange(n_out) // 2  # PyTorch's special case, whatever the scale factor
    return src


def _nearest(x, out, scales, exact):
    """Nearest resizing of the spatial dims of x to sizes `out`: one NearestUp when every dim
    is an integer upsampling (each element repeated), else index_select per resized dim."""
    xp = xp_of(x._data)
    sources = [_nearest_source(n, o, s, exact, xp) for n, o, s in zip(x.shape[2:], out, scales)]
    factors = tuple(o // n for n, o in zip(x.shape[2:], out))
    if all(o == f * n and bool((src == xp.arange(o) // f).all())
           for n, o, f, src in zip(x.shape[2:], out, factors, sources)):
        return x if set(factors) == {1} else NearestUp.apply(x, factors=factors)
    for i, (n, o, src) in enumerate(zip(x.shape[2:], out, sources)):
        if o != n:
            x = x.index_select(2 + i, Tensor._make(src))
    return x


def _linear_taps(n_in, n_out, scale, align_corners, dtype, xp):
    """For each output position: the two source indices and the upper one's weight."""
    step = _scale(n_in, n_out, scale, align_corners)
    dst = xp.arange(n_out, dtype=dtype)
    src = dst * step if align_corners else xp.maximum((dst + 0.5) * step - 0.5, 0)
    lo = xp.minimum(xp.floor(src).astype(backend.int64), n_in - 1)
    hi = xp.minimum(lo + 1, n_in - 1)
    return lo, hi, xp.clip(src - lo, 0, 1).astype(dtype)


def _linear_by_taps(x, out, scales, align_corners):
    """Linear interpolation one axis at a time from the two taps, for input holding nan or
    inf: the weight matrices would spread them over every output (0 * inf), PyTorch only over
    the outputs whose two taps reach them."""
    xp = xp_of(x._data)
    for axis, (n_out, scale) in enumerate(zip(out, scales), start=2):
        lo, hi, w = _linear_taps(x.shape[axis], n_out, scale, align_corners, x.dtype, xp)
        w = Tensor._make(w.reshape((-1,) + (1,) * (x.ndim - axis - 1)))
        x = (x.index_select(axis, Tensor._make(lo)) * (1 - w)
             + x.index_select(axis, Tensor._make(hi)) * w)
    return x


def _linear_matrix(n_in, n_out, scale, align_corners, dtype, xp):
    """(n_out, n_in) matrix of PyTorch's linear interpolation weights."""
    lo, hi, w_hi = _linear_taps(n_in, n_out, scale, align_corners, dtype, xp)
    A = xp.zeros((n_out, n_in), dtype=dtype)
    rows = xp.arange(n_out)
    A[rows, lo] = 1 - w_hi
    A[rows, hi] += w_hi
    return A


# PyTorch's cubic convolution kernel (Keys, a = -0.75), for a tap at distance d: 1 - (a + 3) d^2
# + (a + 2) d^3 within 1, a (d^3 - 5 d^2 + 8 d - 4) from 1 to 2.
_CUBIC_A = -0.75


def _cubic_near(d):
    return ((_CUBIC_A + 2) * d - (_CUBIC_A + 3)) * d * d + 1


def _cubic_far(d):
    return ((_CUBIC_A * d - 5 * _CUBIC_A) * d + 8 * _CUBIC_A) * d - 4 * _CUBIC_A


def _cubic_matrix(n_in, n_out, scale, align_corners, dtype, xp):
    """(n_out, n_in) matrix of PyTorch's bicubic weights: four taps around each source
    position (not clamped to 0 as the linear one is), the taps past an edge reading the edge
    pixel."""
    step = _scale(n_in, n_out, scale, align_corners)
    dst = xp.arange(n_out, dtype=backend.float64)
    src = dst * step if align_corners else (dst + 0.5) * step - 0.5
    base = xp.floor(src)
    t = src - base
    A = xp.zeros((n_out, n_in), dtype=backend.float64)
    rows = xp.arange(n_out)
    for k, w in enumerate((_cubic_far(t + 1), _cubic_near(t), _cubic_near(1 - t),
                           _cubic_far(2 - t))):
        A[rows, xp.clip(base - 1 + k, 0, n_in - 1).astype(backend.int64)] += w
    return A.astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of a batch: mode 'nearest', 'nearest-exact', 'linear' (3-D
    input), 'bilinear' or 'bicubic' (4-D input), 'trilinear' (5-D input) or 'area'.

    Shape:
        input (N, C, L), (N, C, H, W) or (N, C, D, H, W); output (N, C, *size), or the input
        size times scale_factor, rounded down.
    """
    name = "interpolate"
    if not isinstance(input, Tensor) or input.ndim not in (3, 4, 5):
        raise ValueError(f"{name}: expected a 3-D (N, C, L), 4-D (N, C, H, W) or 5-D "
                         f"(N, C, D, H, W) input, got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    if mode not in _MODES:
        raise NotImplementedError(f"{name}: mode {mode!r} is not supported; expected one of "
                                  f"{', '.join(_MODES)}")
    if antialias:
        raise NotImplementedError(f"{name}: antialias=True is not supported")
    nd = input.ndim - 2
    if mode in _SEPARABLE and nd != _SEPARABLE[mode]:
        raise ValueError(f"{name}: mode {mode!r} expects a {_SEPARABLE[mode] + 2}-D input, got "
                         f"shape {tuple(input.shape)}")
    if align_corners is not None and mode not in _SEPARABLE:
        raise ValueError(f"{name}: align_corners can only be set with the linear and bicubic "
                         "modes")
    # PyTorch's CPU kernels: nearest has float and uint8 ones, the others floating ones only
    if input.dtype.kind != "f" and not (mode.startswith("nearest") and str(input.dtype) ==
                                        "uint8"):
        raise RuntimeError(f"{name}: mode {mode!r} is not implemented for {input.dtype} input")
    out, scales = _output_size(name, input, nd, size, scale_factor)
    if min(out) < (0 if mode == "area" else 1):  # area is adaptive pooling: size 0 is fine
        raise ValueError(f"{name}: output size {out} must be positive")
    if recompute_scale_factor:
        scales = (None,) * nd
    if mode == "area":
        if nd == 3:
            from .volume import adaptive_avg_pool3d
            return adaptive_avg_pool3d(input, out)
        return (adaptive_avg_pool1d if nd == 1 else adaptive_avg_pool2d)(input, out)
    y = input
    if mode.startswith("nearest"):
        return _nearest(y, out, scales, mode == "nearest-exact")
    xp = xp_of(input._data)
    if mode != "bicubic" and not bool(xp.isfinite(input._data).all()):
        return _linear_by_taps(input, out, scales, bool(align_corners))
    matrix = _cubic_matrix if mode == "bicubic" else _linear_matrix
    mats = [Tensor._make(matrix(n, o, s, bool(align_corners), input.dtype, xp))
            for n, o, s in zip(input.shape[2:], out, scales)]
    if nd == 1:
        return y @ mats[0].mT
    if nd == 3:  # depth first, over the flattened planes; then each plane as in 2-D
        n, c, depth, h, w = y.shape
        y = (mats[0] @ y.reshape(n, c, depth, h * w)).reshape(n, c, out[0], h, w)
        mats = mats[1:]
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


# ----------------------------------------------------------------- sampling grids
# grid_sample reads input at the grid's (x, y) points, in [-1, 1] coordinates, as a composite:
# the source pixels are gathered from the flattened image and weighted by functions of the
# grid, so gradients reach both the image (gather's scatter) and the grid (the weights).


def _linspace_from_neg_one(n, align_corners, xp, dtype):
    if n <= 1:
        return xp.zeros(n, dtype=dtype)
    steps = xp.linspace(-1.0, 1.0, n, dtype=dtype)
    return steps if align_corners else steps * ((n - 1) / n)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of 2-D affine maps (spatial transformers): each output
    pixel's [-1, 1] coordinates (x, y) mapped by theta to theta @ (x, y, 1).

    Shape: theta (N, 2, 3), size (N, C, H, W) -> grid (N, H, W, 2).
    """
    size = tuple(size)
    if (not isinstance(theta, Tensor) or theta.ndim != 3 or tuple(theta.shape[1:]) != (2, 3)
            or len(size) != 4 or size[0] != theta.shape[0]):
        raise ValueError(f"affine_grid: expected theta of shape (N, 2, 3) and a size (N, C, H, "
                         f"W) with the same N, got {getattr(theta, 'shape', theta)} and {size}")
    N, _, H, W = size
    xp = xp_of(theta._data)
    xs = _linspace_from_neg_one(W, bool(align_corners), xp, theta.dtype)
    ys = _linspace_from_neg_one(H, bool(align_corners), xp, theta.dtype)
    base = xp.stack([xp.broadcast_to(xs, (H, W)), xp.broadcast_to(ys[:, None], (H, W)),
                     xp.ones((H, W), dtype=theta.dtype)], axis=-1)
    return (Tensor._make(base.reshape(1, H * W, 3)) @ theta.mT).reshape(N, H, W, 2)


def _reflect(c, twice_low, twice_high):
    """c reflected into [twice_low / 2, twice_high / 2] as PyTorch's grid sampler does."""
    from .elementwise import fmod, where
    if twice_low == twice_high:
        return c * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    c = (c - low).abs()
    flips = xp_of(c._data).floor(c._data / span)
    extra = fmod(c, span)
    return where(flips % 2 == 0, extra + low, span - extra + low)


def _pad_coordinates(c, n, padding_mode, align_corners):
    """Source coordinates (pixels) moved inside [0, n - 1] for 'border' and 'reflection'."""
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if align_corners else _reflect(c, -1, 2 * n - 1)
    return c.clamp(0, n - 1) if padding_mode != "zeros" else c


def _taps(flat, xs, ys, H, W):
    """flat (N, C, H*W) read at integer pixel arrays xs, ys (N, Ho, Wo), 0 outside the image:
    (N, C, Ho, Wo)."""
    xp = xp_of(flat._data)
    inside = (xs >= 0) & (xs < W) & (ys >= 0) & (ys < H)
    idx = (xp.clip(ys, 0, H - 1) * W + xp.clip(xs, 0, W - 1)).astype(backend.int64)
    N, C = flat.shape[:2]
    idx = xp.broadcast_to(idx.reshape(N, 1, -1), (N, C, idx[0].size))
    got = flat.gather(2, Tensor._make(xp.ascontiguousarray(idx))).reshape((N, C) + xs.shape[1:])
    return got * Tensor._make(inside[:, None].astype(flat.dtype))


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """input sampled at grid's points, (x, y) in [-1, 1] from the first pixel to the last
    (their centres with align_corners, their outer edges without); mode 'bilinear', 'nearest'
    or 'bicubic'; outside the image 'zeros', the 'border' pixels or a 'reflection'.

    Shape: input (N, C, H, W), grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo).
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got "
                         f"{mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', "
                         f"got {padding_mode!r}")
    if (input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2
            or grid.shape[0] != input.shape[0]):
        raise ValueError(f"grid_sample: expected input (N, C, H, W) and grid (N, Ho, Wo, 2) "
                         f"with the same N, got {tuple(input.shape)} and {tuple(grid.shape)}")
    align = bool(align_corners)
    N, C, H, W = input.shape
    xp = xp_of(input._data)
    flat = input.reshape(N, C, H * W)

    def pixels(g, n):  # [-1, 1] -> pixel coordinates
        return (g + 1) / 2 * (n - 1) if align else ((g + 1) * n - 1) / 2
    ix, iy = pixels(grid[..., 0], W), pixels(grid[..., 1], H)
    if mode == "bicubic":  # 4 x 4 taps, each moved inside by the padding mode on its own
        x0, y0 = xp.floor(ix._data), xp.floor(iy._data)
        tx, ty = ix - Tensor._make(x0), iy - Tensor._make(y0)
        wx = (_cubic_far(tx + 1), _cubic_near(tx), _cubic_near(1 - tx), _cubic_far(2 - tx))
        wy = (_cubic_far(ty + 1), _cubic_near(ty), _cubic_near(1 - ty), _cubic_far(2 - ty))
        out = 0
        for i in range(4):
            ys = _pad_coordinates(Tensor._make(y0 - 1 + i), H, padding_mode, align)._data
            for j in range(4):
                xs = _pad_coordinates(Tensor._make(x0 - 1 + j), W, padding_mode, align)._data
                out = out + _taps(flat, xs, ys, H, W) * (wx[j] * wy[i]).unsqueeze(1)
        return out
    ix = _pad_coordinates(ix, W, padding_mode, align)
    iy = _pad_coordinates(iy, H, padding_mode, align)
    if mode == "nearest":  # half-way points go to the even pixel, as nearbyint
        out = _taps(flat, xp.rint(ix._data), xp.rint(iy._data), H, W)
        if grid.requires_grad and is_grad_enabled():  # PyTorch's zero gradient for the grid
            from .elementwise import where
            out = out + (where(Tensor._make(xp.isfinite(grid._data)), grid, 0.0) * 0).sum()
        return out
    x0, y0 = xp.floor(ix._data), xp.floor(iy._data)
    wx1, wy1 = (ix - Tensor._make(x0)).unsqueeze(1), (iy - Tensor._make(y0)).unsqueeze(1)
    return (_taps(flat, x0, y0, H, W) * (1 - wx1) * (1 - wy1)
            + _taps(flat, x0 + 1, y0, H, W) * wx1 * (1 - wy1)
            + _taps(flat, x0, y0 + 1, H, W) * (1 - wx1) * wy1
            + _taps(flat, x0 + 1, y0 + 1, H, W) * wx1 * wy1)
