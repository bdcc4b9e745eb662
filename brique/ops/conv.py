"""Convolution primitives: conv2d, its transpose and its weight gradient, each the others'
derivative (Chainer's Convolution2D / Deconvolution2D / Convolution2DGradW triangle), so any
order of derivative is a convolution again.

conv2d is a fused primitive for speed; its array work is in _columns.py. The batch goes
through it in chunks of images whose columns fit in the CPU's cache: for each chunk, one im2col
copy into a (C, kh, kw, n, oh, ow) buffer (a loop over the kh*kw kernel offsets copying strided
slices, or a compiled loop when numba is installed, see _kernels.py), or, with numba, into a
channels-last (n, oh, ow, kh, kw, C) one where a kernel row holds many channels
(_kernels_conv.py), then BLAS products whose output is NCHW; a big conv's chunks run on every
core (_threads.py). A small channels-first conv keeps its columns for the weight gradient;
the others build them again. The input gradient is W^T x grad followed by col2im, or, for
stride-1 convs that do not widen the channels, a full convolution of the gradient, whose
columns then give a big conv's weight gradient too (_conv_grads); a stride-1 conv that
narrows the channels runs as the transpose of its full convolution.
conv1d and conv_transpose1d are conv2d on a height-1 image.
"""
from __future__ import annotations

from . import _threads
from ._columns import (Geom, _conv, _conv_grads, _conv_input_grad, _conv_weight_grad,
                       _full_input_grad, _sum_parts)
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor


def _needs(t):
    return getattr(t, "requires_grad", False)


def _bias_grad(g):
    # The batch summed first, a contiguous pass, then each channel's positions: LeNet-5's
    # 64 x 6 x 28 x 28 58 -> 24 us against summing axes (0, 2, 3) at once, and more accurate.
    # Each core sums the part of the batch it wrote (_threads.over_batch).
    if is_grad_enabled():  # create_graph: differentiable
        return g.sum(0).reshape(g.shape[1], -1).sum(1)
    a = g._data
    total = _sum_parts(_threads.over_batch(lambda s, e: a[s:e].sum(0), a))
    return Tensor._make(total.reshape(a.shape[1], -1).sum(1))


def _add_bias(y, b):
    # In place, each core on the part of the batch its conv chunks wrote.
    b = b.reshape(1, -1, 1, 1)

    def add(s, e):
        y[s:e] += b
    _threads.over_batch(add, y)


class Conv2d(Function):
    """y = conv(x, w) + b. Fused for speed (see the module docstring)."""

    def forward(self, x, w, b=None, geom=None, keep=False):
        self.geom = geom
        y, self.chunks = _conv(x, w, geom, keep=keep)
        if b is not None:
            _add_bias(y, b)
        return y

    def backward(self, gy):
        x, w, b = self.saved
        g = self.geom
        gx_value = gw_value = None
        if _needs(x) and _needs(w) and self.chunks is None and _full_input_grad(w.shape, g):
            gx_value, gw_value = _conv_grads(x._data, gy._data, w._data, g)  # one im2col
        gx = ConvTranspose2d.apply(gy, w, None, geom=g, value=gx_value) if _needs(x) else None
        gw = Conv2dGradW.apply(x, gy, geom=g, w_shape=w.shape, chunks=self.chunks,
                               value=gw_value) if _needs(w) else None
        self.chunks = None  # freed; built again from x if the graph is walked again
        gb = _bias_grad(gy) if _needs(b) else None
        return gx, gw, gb


class ConvTranspose2d(Function):
    """y = conv^T(x, w) + b: the input gradient of the conv described by `geom` (whose output
    has x's shape and whose input has y's shape)."""

    def forward(self, x, w, b=None, geom=None, value=None):
        # value: y already computed (with the weight gradient: Conv2d.backward)
        self.geom = geom
        y = _conv_input_grad(x, w, geom) if value is None else value
        if b is not None:
            _add_bias(y, b)
        return y

    def backward(self, gy):
        x, w, b = self.saved
        g = self.geom
        gx = Conv2d.apply(gy, w, None, geom=g) if _needs(x) else None
        gw = Conv2dGradW.apply(gy, x, geom=g, w_shape=w.shape) if _needs(w) else None
        gb = _bias_grad(gy) if _needs(b) else None
        return gx, gw, gb


class Conv2dGradW(Function):
    """The weight gradient of conv(x, w) given the output gradient gy; bilinear in (x, gy)."""

    def forward(self, x, gy, geom=None, w_shape=None, chunks=None, value=None):
        self.geom = geom  # value: as in ConvTranspose2d
        return _conv_weight_grad(x, gy, w_shape, geom, chunks) if value is None else value

    def backward(self, ggw):
        x, gy = self.saved
        g = self.geom
        gx = ConvTranspose2d.apply(gy, ggw, None, geom=g) if _needs(x) else None
        ggy = Conv2d.apply(x, ggw, None, geom=g) if _needs(gy) else None
        return gx, ggy


# ----------------------------------------------------------------- public functions


def _pair(v, n, name, what):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(v)
    if len(v) == 1:
        return v * n
    if len(v) != n or not all(isinstance(e, int) for e in v):
        raise ValueError(f"{name}: expected {what} to be an int or a tuple of {n} ints, got {v}")
    return v


def _check(name, x, w, b, groups, nd, transposed=False):
    """Rank, channel and dtype checks with messages that show the shapes involved."""
    if not isinstance(x, Tensor) or not isinstance(w, Tensor):
        raise TypeError(f"{name}: expected Tensor input and weight, got "
                        f"{type(x).__name__} and {type(w).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{name}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                         f"input, got input of shape {tuple(x.shape)}")
    if w.ndim != nd + 2:
        raise ValueError(f"{name}: expected a {nd + 2}-D weight, got weight of shape "
                         f"{tuple(w.shape)}")
    if groups < 1 or w.shape[0] % groups:
        raise ValueError(f"{name}: groups={groups} must be positive and divide the weight's "
                         f"first dim (weight shape {tuple(w.shape)})")
    c_in = x.shape[-nd - 1]
    expect = w.shape[0] if transposed else w.shape[1] * groups
    if c_in != expect:
        raise ValueError(f"{name}: expected input with {expect} channels (weight shape "
                         f"{tuple(w.shape)}, groups={groups}), got input of shape "
                         f"{tuple(x.shape)}")
    out_ch = w.shape[1] * groups if transposed else w.shape[0]
    if not transposed and out_ch % groups:
        raise ValueError(f"{name}: out channels {out_ch} must be divisible by groups={groups}")
    if b is not None and (b.ndim != 1 or b.shape[0] != out_ch):
        raise ValueError(f"{name}: expected a bias of shape ({out_ch},), got "
                         f"{tuple(b.shape)}")
    dtypes = {t.dtype for t in (x, w, b) if t is not None}
    if len(dtypes) > 1 or not x.is_floating_point():
        raise TypeError(f"{name}: expected input, weight and bias of the same floating dtype, "
                        f"got {', '.join(str(t.dtype) for t in (x, w, b) if t is not None)}")


def _padding(name, padding, k, stride, dilation, n):
    """padding (int, tuple, 'valid', 'same') -> ((before, after), ...) per spatial dim."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding != "same":
            raise ValueError(f"{name}: padding must be an int, a tuple, 'valid' or 'same', "
                             f"got {padding!r}")
        if any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' is not supported for strided "
                             f"convolutions (stride={stride})")
        total = [d * (kk - 1) for d, kk in zip(dilation, k)]
        return tuple((t // 2, t - t // 2) for t in total)  # extra on the right, as PyTorch
    p = _pair(padding, n, name, "padding")
    if any(v < 0 for v in p):
        raise ValueError(f"{name}: negative padding {p} is not supported")
    return tuple((v, v) for v in p)


def _conv_nd(name, nd, x, w, b, stride, padding, dilation, groups):
    _check(name, x, w, b, groups, nd)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    k = tuple(w.shape[2:])
    stride = _pair(stride, nd, name, "stride")
    dilation = _pair(dilation, nd, name, "dilation")
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{name}: stride {stride} and dilation {dilation} must be positive")
    pads = _padding(name, padding, k, stride, dilation, nd)
    if nd == 1:  # a height-1 image
        x, w, k = x.unsqueeze(2), w.unsqueeze(2), (1,) + k
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    H, W = x.shape[2:]
    geom = Geom(H, W, k[0], k[1], stride, pads[0] + pads[1], dilation, groups)
    if geom.oh < 1 or geom.ow < 1:
        raise ValueError(f"{name}: input of shape {tuple(x.shape)} (padded by {pads}) is "
                         f"smaller than the dilated kernel of shape {tuple(w.shape)} "
                         f"(dilation={dilation})")
    # The columns are kept for the weight gradient only when one will be asked for: inference
    # reuses one cache-sized buffer for every chunk.
    y = Conv2d.apply(x, w, b, geom=geom, keep=is_grad_enabled() and w.requires_grad)
    if nd == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as PyTorch).

    padding: an int, a pair, 'valid' (none) or 'same' (output size = input size; stride 1).

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in / groups, kH, kW);
        bias (C_out,); output (N, C_out, H_out, W_out) with
        H_out = (H + 2 * padding - dilation * (kH - 1) - 1) // stride + 1.
    """
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution.

    Shape:
        input (N, C_in, L) or (C_in, L); weight (C_out, C_in / groups, k); output
        (N, C_out, L_out), L_out = (L + 2 * padding - dilation * (k - 1) - 1) // stride + 1.
    """
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose_nd(name, nd, x, w, b, stride, padding, output_padding, groups, dilation):
    _check(name, x, w, b, groups, nd, transposed=True)
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    k = tuple(w.shape[2:])
    stride = _pair(stride, nd, name, "stride")
    dilation = _pair(dilation, nd, name, "dilation")
    pad = _pair(padding, nd, name, "padding")
    opad = _pair(output_padding, nd, name, "output_padding")
    if any(s < 1 for s in stride) or any(d < 1 for d in dilation) or any(p < 0 for p in pad):
        raise ValueError(f"{name}: stride {stride} and dilation {dilation} must be positive "
                         f"and padding {pad} non-negative")
    if any(op >= max(s, d) or op < 0 for op, s, d in zip(opad, stride, dilation)):
        raise ValueError(f"{name}: output_padding {opad} must be smaller than either stride "
                         f"{stride} or dilation {dilation}")
    if nd == 1:
        x, w, k = x.unsqueeze(2), w.unsqueeze(2), (1,) + k
        stride, dilation, pad, opad = (1,) + stride, (1,) + dilation, (0,) + pad, (0,) + opad
    size = [(n - 1) * s - 2 * p + d * (kk - 1) + op + 1
            for n, s, p, d, kk, op in zip(x.shape[2:], stride, pad, dilation, k, opad)]
    if min(size) < 1:
        raise ValueError(f"{name}: the output size {tuple(size)} computed from input shape "
                         f"{tuple(x.shape)} and weight shape {tuple(w.shape)} is too small")
    geom = Geom(size[0], size[1], k[0], k[1], stride, (pad[0], pad[0], pad[1], pad[1]),
                dilation, groups)
    y = ConvTranspose2d.apply(x, w, b, geom=geom)
    if nd == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input).

    Shape:
        input (N, C_in, H, W); weight (C_in, C_out / groups, kH, kW); output
        (N, C_out, H_out, W_out) with H_out = (H - 1) * stride - 2 * padding
        + dilation * (kH - 1) + output_padding + 1.
    """
    return _conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 1-D convolution.

    Shape:
        input (N, C_in, L); weight (C_in, C_out / groups, k); output (N, C_out, L_out),
        L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
    """
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding,
                              output_padding, groups, dilation)
