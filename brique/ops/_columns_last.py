"""Convolutions through channels-last columns, (n, oh, ow, kh, kw, C) (_kernels_conv.py): the
conv (`conv`), its input gradient (`input_grad`), its weight gradient (`weight_grad`) and both
gradients from the columns of the output gradient's full convolution (`grads`), each the
channels-last twin of _columns.py's product of the same role, which calls it where `use` says.
"""
from __future__ import annotations

from . import _columns as cf, _kernels, _kernels_conv
from .. import backend

xp_of = backend.get_array_module


# A conv's columns are built channels-last (_kernels_conv.py) when a kernel row's kw pixels of
# C channels, kw * C contiguous values there, are more than twice the output width ow, the
# length of a channels-first row: the copies are longer and fewer, and the GEMM's long
# dimension is its rows (N*oh*ow x K by K x O). Measured on 2 cores (Intel Xeon), 64 images,
# same-padded convs, forward and both gradients, channels-last / channels-first time:
# 32 channels 3x3 at 7x7 0.54 / 0.70, at 28x28 0.97 / 0.95; 16 at 14x14 0.73 / 0.83;
# 8 at 7x7 0.69 / 0.73, at 14x14 (kw * C = 1.7 ow) 1.03 / 1.14; 16 at 32x32 (1.5 ow)
# 1.22; 4 at 28x28 (0.4 ow) 2.1 / 2.5. ResNet-20's 32- and 64-channel convs, forward:
# 55 -> 47 and 47 -> 36 us per image on one core.
def use(C, g, *arrays):
    """Does a conv whose columns come from C channels build them channels-last?"""
    span = g.kw * C if g.dw == 1 else C  # dilated: each pixel's C values are a copy
    return g.groups == 1 and span > 2 * g.ow and _kernels.usable(*arrays)


def _columns(x, g, cols):
    """x's channels-last columns (n*oh*ow, kh*kw*C) in the chunk buffer `cols`."""
    n, C = x.shape[:2]
    cols = cols.reshape(n, g.oh, g.ow, g.kh, g.kw, C)
    return _kernels_conv.im2col_last(x, g, cols).reshape(n * g.oh * g.ow, -1)


def conv(x, w, g):
    """y = conv(x, w) through channels-last columns (see use)."""
    xp = xp_of(x)
    (N, C), O, P = x.shape[:2], w.shape[0], g.oh * g.ow
    wr = xp.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(-1, O)  # rows (kh, kw, C)
    y = xp.empty((N, O, g.oh, g.ow), dtype=x.dtype)

    def run(spans):
        for s, e, cols in cf._column_chunks(xp, spans, C, g, x.dtype):
            n = e - s
            _kernels_conv.to_channels_first((_columns(x[s:e], g, cols) @ wr).reshape(
                n, P, O), y[s:e].reshape(n, O, P))

    cf._run(xp, run, *cf._chunking(xp, N, C, g, x.dtype))
    return y


def input_grad(gy, w, g):
    """_columns._conv_input_grad through channels-last columns: gy (n*oh*ow, O) times the kernel's
    O x (kh, kw, C) matrix, put back in place by col2im_last."""
    xp = xp_of(gy)
    (N, O), (_, C, kh, kw) = gy.shape[:2], w.shape
    wr = xp.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(O, -1)
    gx = xp.empty((N, C, g.H, g.W), dtype=gy.dtype)

    def run(spans):
        for s, e, cols in cf._column_chunks(xp, spans, C, g, gy.dtype):
            n = e - s
            c = cols.reshape(n * g.oh * g.ow, -1)
            xp.matmul(_kernels_conv.to_channels_last(gy[s:e]).reshape(-1, O), wr, out=c)
            _kernels_conv.col2im_last(c.reshape(n, g.oh, g.ow, kh, kw, C), g, gx[s:e])

    cf._run(xp, run, *cf._chunking(xp, N, C, g, gy.dtype))
    return gx


def weight_grad(x, gy, w_shape, g):
    """_columns._conv_weight_grad through channels-last columns of x: gy (O, n*oh*ow) times
    them."""
    xp = xp_of(x)
    (N, C), (O, _, kh, kw) = x.shape[:2], w_shape

    def run(spans):
        gw = xp.zeros((O, kh * kw * C), dtype=x.dtype)
        for s, e, cols in cf._column_chunks(xp, spans, C, g, x.dtype):
            gw += cf._channels_first(gy[s:e], 1)[0] @ _columns(x[s:e], g, cols)
        return gw

    gw = cf._sum_parts(cf._run(xp, run, *cf._chunking(xp, N, C, g, x.dtype)))
    return xp.ascontiguousarray(gw.reshape(O, kh, kw, C).transpose(0, 3, 1, 2))


def grads(x, gy, w, full):
    """_columns._conv_grads through channels-last columns of gy's full convolution `full`: the
    input gradient is those columns times the flipped kernel's (kh, kw, O) x C matrix, the
    weight gradient x (C, n*H*W) times the columns."""
    xp = xp_of(gy)
    (N, O), C, P = gy.shape[:2], x.shape[1], full.oh * full.ow
    wf = xp.ascontiguousarray(cf._flip_t(w).transpose(2, 3, 1, 0)).reshape(-1, C)
    gx = xp.empty(x.shape, dtype=gy.dtype)

    def run(spans):
        gw = xp.zeros((C, wf.shape[0]), dtype=gy.dtype)
        for s, e, cols in cf._column_chunks(xp, spans, O, full, gy.dtype):
            n = e - s
            c = _columns(gy[s:e], full, cols)
            _kernels_conv.to_channels_first((c @ wf).reshape(n, P, C), gx[s:e].reshape(n, C, P))
            gw += cf._channels_first(x[s:e], 1)[0] @ c
        return gw

    gw = cf._sum_parts(cf._run(xp, run, *cf._chunking(xp, N, O, full, gy.dtype)))
    kh, kw = full.kh, full.kw
    gw = gw.reshape(C, kh, kw, O)[:, ::-1, ::-1].transpose(3, 0, 1, 2)
    return gx, xp.ascontiguousarray(gw)
