"""Convolution primitives: conv2d, its transpose and its weight gradient, each the others'
derivative (Chainer's Convolution2D / Deconvolution2D / Convolution2DGradW triangle), so any
order of derivative is a convolution again.

conv2d is a fused primitive for speed. The batch goes through it in chunks of images whose
columns fit in the CPU's cache (see _CHUNK_BYTES): for each chunk, one im2col copy into a
(C, kh, kw, n, oh, ow) buffer (a loop over the kh*kw kernel offsets copying strided slices, or
a compiled loop when numba is installed, see _kernels.py), then BLAS products whose output is
NCHW: one GEMM over (C*kh*kw, n*oh*ow), or a batch of per-image GEMMs on strided views of the
same columns when the weights are few (see _single_gemm). The columns are kept for the weight
gradient. The input gradient is W^T x grad
followed by col2im, a loop over kernel offsets adding strided slices, or, for stride-1 convs
that do not widen the channels, a full convolution of the gradient.
conv1d and conv_transpose1d are conv2d on a height-1 image.
"""
from __future__ import annotations

from .. import backend
from . import _kernels
from ..autograd import Function
from ..tensor import Tensor

xp_of = backend.get_array_module


class Geom:
    """The geometry of one convolution, seen from the conv's side: input (H, W), kernel,
    stride, padding (top, bottom, left, right), dilation, groups, output (oh, ow)."""

    __slots__ = ("H", "W", "kh", "kw", "sh", "sw", "pt", "pb", "pl", "pr", "dh", "dw",
                 "groups", "oh", "ow")

    def __init__(self, H, W, kh, kw, stride, padding, dilation, groups):
        self.H, self.W, self.kh, self.kw = H, W, kh, kw
        (self.sh, self.sw), (self.dh, self.dw), self.groups = stride, dilation, groups
        self.pt, self.pb, self.pl, self.pr = padding
        self.oh = (H + self.pt + self.pb - self.dh * (kh - 1) - 1) // self.sh + 1
        self.ow = (W + self.pl + self.pr - self.dw * (kw - 1) - 1) // self.sw + 1

    def windows(self):
        """(i, j, row slice, column slice) of the padded input seen by each kernel offset."""
        rows = self.sh * (self.oh - 1) + 1
        cols = self.sw * (self.ow - 1) + 1
        for i in range(self.kh):
            r = i * self.dh
            for j in range(self.kw):
                c = j * self.dw
                yield i, j, slice(r, r + rows, self.sh), slice(c, c + cols, self.sw)

    def padded(self):
        return self.pt or self.pb or self.pl or self.pr


def im2col(x, g, out):
    """Fill `out` (C, kh, kw, N, oh, ow) with the columns of x (N, C, H, W): laid out so that
    the conv is a single GEMM over (C*kh*kw, N*oh*ow)."""
    xp = xp_of(x)
    if _kernels.usable(x, out):
        return _kernels.im2col(x, g, out)
    N, C = x.shape[:2]
    if g.padded():
        xpad = xp.zeros((N, C, g.H + g.pt + g.pb, g.W + g.pl + g.pr), dtype=x.dtype)
        xpad[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x
    else:
        xpad = x
    xpad = xpad.transpose(1, 0, 2, 3)
    for i, j, rs, cs in g.windows():
        out[:, i, j] = xpad[:, :, rs, cs]
    return out


def col2im(cols, g, out):
    """The adjoint of im2col: `out` (N, C, H, W) = cols (C, kh, kw, N, oh, ow) put back in
    place, overlaps summed."""
    xp = xp_of(cols)
    if _kernels.usable(cols, out):
        return _kernels.col2im(cols, g, out)
    C, N = cols.shape[0], cols.shape[3]
    full = xp.zeros((N, C, g.H + g.pt + g.pb, g.W + g.pl + g.pr), dtype=cols.dtype)
    view = full.transpose(1, 0, 2, 3)
    for i, j, rs, cs in g.windows():
        view[:, :, rs, cs] += cols[:, i, j]
    out[...] = full[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W]
    return out


# The batch goes through a conv in chunks of images whose columns take about this many bytes:
# each chunk's columns are written and multiplied while they are in the CPU's cache instead of
# going through memory at 9x the activations (a 3x3 kernel). Measured on 2 cores (AMD EPYC,
# 1 MB of L2 per core, 32 MB of L3) for ResNet-20's 3x3 convs on 128 images, forward: 16
# channels at 32x32 15.6 -> 8.1 ms, 32 at 16x16 9.3 -> 5.2 ms, 64 at 8x8 4.1 -> 3.3 ms; the
# weight gradient from the kept chunks, 16 channels: 5.2 -> 2.9 ms. On the GPU one chunk takes
# the whole batch.
_CHUNK_BYTES = 2 << 20


def _column_chunks(xp, N, C, g, dtype, keep=False):
    """(start, stop, columns buffer (C, kh, kw, stop - start, oh, ow)) over the batch: one
    buffer reused by every chunk, or with `keep` a buffer of its own for each."""
    per_image = C * g.kh * g.kw * g.oh * g.ow
    itemsize = backend.as_dtype(dtype).itemsize
    step = N if xp is not backend.numpy else max(1, _CHUNK_BYTES // (per_image * itemsize))
    step = max(1, min(N, step))
    buf = None
    for s in range(0, N, step):
        n = min(N, s + step) - s
        if keep or buf is None:
            buf = xp.empty(per_image * step, dtype=dtype)
        yield s, s + n, buf[:per_image * n].reshape(C, g.kh, g.kw, n, g.oh, g.ow)


# Each GEMM of a conv runs either once over the chunk (columns (K, n*oh*ow)) or as a batch of
# per-image GEMMs on strided views of the same columns. Measured with OpenBLAS on 2 cores, the
# choice follows the size of the weight-shaped operand, O/G x K (K = C/G*kh*kw): with few of
# them OpenBLAS handles the long n*oh*ow dimension badly and the per-image GEMMs are 2-4x
# faster (LeNet's 1 -> 6 5x5 conv, 64 images: forward 0.18 ms instead of 0.57 ms, weight
# gradient 0.16 ms instead of 0.69 ms); from ResNet-20's 16 -> 16 3x3 up the single GEMM is
# faster (at 32x32, 128 images: forward 6.2 ms instead of 7.0 ms, weight gradient 6.5 ms
# instead of 10.0 ms).
_SINGLE_GEMM_WEIGHTS = 2048
# The input gradient's GEMM, W^T gy, writes columns (K, n*oh*ow); for it the image size
# decides: per-image GEMMs from this many output positions per image.
_BATCHED_GEMM_P = 256


def _single_gemm(O, K):
    # One output channel makes the per-image products matrix-vector ones: the conv
    # autoencoder's last 16 -> 1 layer's weight gradient takes 0.33 ms as one GEMM, 0.77 ms
    # per image (its forward is even).
    return O * K >= _SINGLE_GEMM_WEIGHTS or O == 1


def _grouped(w, G):
    """(O, C/G, kh, kw) -> (G, O/G, C/G*kh*kw)."""
    return w.reshape(G, w.shape[0] // G, -1)


def _channels_first(gy, G):
    """(N, O, oh, ow) -> (G, O/G, N*oh*ow): the output gradient in the columns' layout."""
    N, O = gy.shape[:2]
    xp = xp_of(gy)
    P = gy.shape[2] * gy.shape[3]  # explicit sizes: -1 is undetermined for a batch of 0
    gy = xp.ascontiguousarray(gy.reshape(N, G, O // G, P).transpose(1, 2, 0, 3))
    return gy.reshape(G, O // G, N * P)


def _narrowing(w_shape, g):
    """For a conv with fewer output than input channels that has a full-convolution
    transpose: that transpose's geometry. Such a conv is computed as the transpose of its
    full convolution, W^T x then col2im, which builds O*kh*kw rows of columns instead of
    C*kh*kw (the conv autoencoder's last layer, 16 -> 1 at 28x28, 64 images: forward 1.9 ->
    0.4 ms, weight gradient 0.8 -> 0.2 ms)."""
    return _full_conv_geom(g) if w_shape[0] < w_shape[1] * g.groups else None


def _flip_t(w):
    """(O, C, kh, kw) -> (C, O, kh, kw) flipped in both spatial dims: the weights of the
    full convolution that is a stride-1 conv's transpose, and back."""
    return xp_of(w).ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])


def _conv(x, w, g, keep=False):
    """y = conv(x, w), no bias; returns (y, the columns of each chunk if `keep` else None)."""
    if (full := _narrowing(w.shape, g)) is not None:
        return _conv_input_grad(x, _flip_t(w), full), None
    xp = xp_of(x)
    (N, C), G, O, P = x.shape[:2], g.groups, w.shape[0], g.oh * g.ow
    K = C // G * g.kh * g.kw
    wg, single = _grouped(w, G), _single_gemm(O // G, K)
    y = xp.empty((N, O, g.oh, g.ow), dtype=x.dtype)
    kept = []
    for s, e, cols in _column_chunks(xp, N, C, g, x.dtype, keep):
        n = e - s
        c = im2col(x[s:e], g, cols).reshape(G, K, n, P)
        if single:
            yc = (wg @ c.reshape(G, K, n * P)).reshape(O, n, g.oh, g.ow)
            y[s:e] = yc.transpose(1, 0, 2, 3)
        else:
            xp.matmul(wg, c.transpose(2, 0, 1, 3), out=y[s:e].reshape(n, G, O // G, P))
        kept.append((s, e, cols))
    return y, (kept if keep else None)


def _full_conv_geom(g):
    """For a stride-1, undilated, ungrouped conv whose padding is below the kernel size: the
    geometry of the full convolution that maps its output gradient to its input gradient."""
    pads = (g.kh - 1 - g.pt, g.kh - 1 - g.pb, g.kw - 1 - g.pl, g.kw - 1 - g.pr)
    if (g.sh, g.sw, g.dh, g.dw, g.groups) != (1, 1, 1, 1, 1) or min(pads) < 0:
        return None
    return Geom(g.oh, g.ow, g.kh, g.kw, (1, 1), pads, (1, 1), 1)


def _conv_input_grad(gy, w, g):
    """x-gradient of conv given y-gradient gy: col2im(W^T gy). Also conv_transpose's forward.
    When the conv does not widen the channels (O <= C, e.g. an autoencoder's last layer,
    16 -> 1), the full convolution of gy with the flipped kernel is faster: it builds O*kh*kw
    rows of columns instead of C*kh*kw and skips col2im's scattered adds (16 -> 1: 10x less
    memory traffic; 8 -> 8 at 16x16: 0.46 ms instead of 1.1 ms for 32 images)."""
    xp = xp_of(gy)
    N, O = gy.shape[:2]
    G, P, C = g.groups, g.oh * g.ow, w.shape[1] * g.groups
    if O <= C and (full := _full_conv_geom(g)) is not None:
        return _conv(gy, _flip_t(w), full)[0]
    wt = _grouped(w, G).transpose(0, 2, 1)                   # (G, C/G*kh*kw, O/G)
    K = wt.shape[1]
    gx = xp.empty((N, C, g.H, g.W), dtype=gy.dtype)
    for s, e, cols in _column_chunks(xp, N, C, g, gy.dtype):
        n = e - s
        if P < _BATCHED_GEMM_P:
            xp.matmul(wt, _channels_first(gy[s:e], G), out=cols.reshape(G, K, n * P))
        else:
            per_image = cols.reshape(n, G, K, P)  # the buffer, laid out image by image
            xp.matmul(wt, gy[s:e].reshape(n, G, O // G, P), out=per_image)
            cols = per_image.reshape(n, C, g.kh, g.kw, g.oh, g.ow).transpose(1, 2, 3, 0, 4, 5)
        col2im(cols, g, gx[s:e])
    return gx


def _conv_weight_grad(x, gy, w_shape, g, chunks=None):
    """w-gradient of conv: gy x cols^T summed over the batch and the output positions; from
    the forward's column chunks when given, else from columns built again chunk by chunk
    (for a narrowing conv, see _narrowing: those of its transpose, built from gy)."""
    if (full := _narrowing(w_shape, g)) is not None:
        O, C, kh, kw = w_shape
        return _flip_t(_conv_weight_grad(gy, x, (C, O, kh, kw), full))
    xp = xp_of(x)
    (N, C), O = x.shape[:2], gy.shape[1]
    G, P = g.groups, g.oh * g.ow
    K = C // G * g.kh * g.kw
    single = _single_gemm(O // G, K)
    gw = xp.zeros((G, K, O // G) if single else (G, O // G, K), dtype=x.dtype)
    if chunks is None:
        chunks = ((s, e, im2col(x[s:e], g, cols))
                  for s, e, cols in _column_chunks(xp, N, C, g, x.dtype))
    for s, e, cols in chunks:
        n = e - s
        c = cols.reshape(G, K, n, P)
        if single:
            gw += c.reshape(G, K, n * P) @ _channels_first(gy[s:e], G).transpose(0, 2, 1)
        else:
            gw += (gy[s:e].reshape(n, G, O // G, P) @ c.transpose(2, 0, 3, 1)).sum(0)
    if single:
        gw = gw.transpose(0, 2, 1)                            # (G, O/G, C/G*kh*kw)
    return gw.reshape(w_shape)


def _needs(t):
    return getattr(t, "requires_grad", False)


def _bias_grad(g):
    return g.sum((0, 2, 3))


class Conv2d(Function):
    """y = conv(x, w) + b. Fused for speed (see the module docstring)."""

    def forward(self, x, w, b=None, geom=None):
        self.geom = geom
        y, self.chunks = _conv(x, w, geom, keep=True)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(self, gy):
        x, w, b = self.saved
        g = self.geom
        gx = ConvTranspose2d.apply(gy, w, None, geom=g) if _needs(x) else None
        gw = Conv2dGradW.apply(x, gy, geom=g, w_shape=w.shape, chunks=self.chunks) \
            if _needs(w) else None
        self.chunks = None  # freed; built again from x if the graph is walked again
        gb = _bias_grad(gy) if _needs(b) else None
        return gx, gw, gb


class ConvTranspose2d(Function):
    """y = conv^T(x, w) + b: the input gradient of the conv described by `geom` (whose output
    has x's shape and whose input has y's shape)."""

    def forward(self, x, w, b=None, geom=None):
        self.geom = geom
        y = _conv_input_grad(x, w, geom)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
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

    def forward(self, x, gy, geom=None, w_shape=None, chunks=None):
        self.geom = geom
        return _conv_weight_grad(x, gy, w_shape, geom, chunks)

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
    y = Conv2d.apply(x, w, b, geom=geom)
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
