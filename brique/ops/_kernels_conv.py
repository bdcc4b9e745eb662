"""Compiled kernels for conv columns (_columns.py and _columns_last.py, float32/float64),
compiled by _kernels._jit; _kernels.usable and _columns_last.use decide when they run.

Channels-first columns, (C, kh, kw, N, oh, ow): one row of ow values per channel, kernel offset,
image and output row; the conv is a single GEMM over (C*kh*kw, N*oh*ow) (col2im also takes a
strided view of that shape).

Channels-last columns, (N, oh, ow, kh, kw, C): an output position's row holds, for each kernel
row, kw pixels of C channels, which in a channels-last image are kw * C contiguous values: one
copy per kernel row (96 values for 32 channels and a 3x3 kernel), where channels-first columns
copy rows of ow (8-32) values, C * kh * kw of them per image. The image is made channels-last
first, one pass over it.
"""
from __future__ import annotations

import numpy

from ._kernels import _jit


# ----------------------------------------------------------------- conv: im2col / col2im


def _im2col(x, kh, kw, sh, sw, pt, pl, dh, dw, cols):
    N, C, H, W = x.shape
    oh, ow = cols.shape[4], cols.shape[5]
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                # With stride 1 across, a row inside the image is a plain copy from a slice
                # that starts at the offset: indexed by the loop's own variable, it has no
                # wraparound check and vectorizes (rows of 8-32 values: 10-35% faster).
                off = j * dw - pl
                inside = sw == 1 and off >= 0 and off + ow <= W
                for n in range(N):
                    for y in range(oh):
                        r = y * sh - pt + i * dh
                        dst = cols[c, i, j, n, y]
                        if r < 0 or r >= H:
                            dst[:] = 0
                            continue
                        src = x[n, c, r]
                        if inside:
                            row = src[off:]
                            for xo in range(ow):
                                dst[xo] = row[xo]
                            continue
                        for xo in range(ow):
                            q = xo * sw + off
                            dst[xo] = src[q] if 0 <= q < W else 0


def _col2im(cols, sh, sw, pt, pl, dh, dw, out):
    C, kh, kw, N, oh, ow = cols.shape
    H, W = out.shape[2], out.shape[3]
    out[:] = 0
    for n in range(N):
        for c in range(C):
            plane = out[n, c]
            for i in range(kh):
                for j in range(kw):
                    off = j * dw - pl
                    inside = sw == 1 and off >= 0 and off + ow <= W  # as in _im2col
                    for y in range(oh):
                        r = y * sh - pt + i * dh
                        if r < 0 or r >= H:
                            continue
                        src = cols[c, i, j, n, y]
                        if inside:
                            row = plane[r, off:]
                            for xo in range(ow):
                                row[xo] += src[xo]
                            continue
                        row = plane[r]
                        for xo in range(ow):
                            q = xo * sw + off
                            if 0 <= q < W:
                                row[q] += src[xo]


def im2col(x, g, cols):
    """Fill cols (C, kh, kw, N, oh, ow) from x (N, C, H, W) for the conv geometry g."""
    _jit(_im2col)(numpy.ascontiguousarray(x), g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw,
                  cols)
    return cols


def col2im(cols, g, out):
    """out (N, C, H, W) = the adjoint of im2col applied to cols (C, kh, kw, N, oh, ow), which
    may be a strided view."""
    _jit(_col2im)(cols, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, out)
    return out


# ----------------------------------------------------------------- channels-last columns


def _to_channels_last(x, out):
    # Writes in order, reads a value from each channel plane: faster than the reverse order
    # for 16-64 channels (32 channels at 16x16, 3 images: 6.5 against 9.5 us).
    N, C, H, W = x.shape
    for n in range(N):
        for r in range(H):
            for q in range(W):
                dst = out[n, r, q]
                for c in range(C):
                    dst[c] = x[n, c, r, q]


def _columns_last(xt, kh, kw, sh, sw, pt, pl, dh, dw, cols):
    N, H, W, C = xt.shape
    oh, ow = cols.shape[1], cols.shape[2]
    span = kw * C
    for n in range(N):
        image = xt[n].reshape(H * W * C)
        for y in range(oh):
            for xo in range(ow):
                q0 = xo * sw - pl
                inside = dw == 1 and q0 >= 0 and q0 + kw <= W
                for i in range(kh):
                    dst = cols[n, y, xo, i]
                    r = y * sh - pt + i * dh
                    if r < 0 or r >= H:
                        dst[:] = 0
                    elif inside:  # the kernel row's kw pixels: one copy
                        src = image[(r * W + q0) * C:]
                        for k in range(span):
                            dst[k] = src[k]
                    else:
                        for j in range(kw):
                            seg = dst[j * C:]
                            q = q0 + j * dw
                            if 0 <= q < W:
                                src = image[(r * W + q) * C:]
                                for k in range(C):
                                    seg[k] = src[k]
                            else:
                                for k in range(C):
                                    seg[k] = 0


def _col2im_last(cols, kh, kw, sh, sw, pt, pl, dh, dw, xt):
    # The adjoint of _columns_last: each row's values added back to their pixels of xt
    N, H, W, C = xt.shape
    oh, ow = cols.shape[1], cols.shape[2]
    span = kw * C
    xt[:] = 0
    for n in range(N):
        image = xt[n].reshape(H * W * C)
        for y in range(oh):
            for xo in range(ow):
                q0 = xo * sw - pl
                inside = dw == 1 and q0 >= 0 and q0 + kw <= W
                for i in range(kh):
                    r = y * sh - pt + i * dh
                    if r < 0 or r >= H:
                        continue
                    src = cols[n, y, xo, i]
                    if inside:
                        dst = image[(r * W + q0) * C:]
                        for k in range(span):
                            dst[k] += src[k]
                        continue
                    for j in range(kw):
                        q = q0 + j * dw
                        if 0 <= q < W:
                            seg = src[j * C:]
                            dst = image[(r * W + q) * C:]
                            for k in range(C):
                                dst[k] += seg[k]


def _to_channels_first(y, out):
    # (N, P, O) -> (N, O, P)
    N, P, O = y.shape
    for n in range(N):
        for o in range(O):
            dst = out[n, o]
            for p in range(P):
                dst[p] = y[n, p, o]


def im2col_last(x, g, cols):
    """Fill cols (N, oh, ow, kh, kw, C) from x (N, C, H, W) for the conv geometry g (groups 1)."""
    xt = to_channels_last(x)
    N, oh, ow, kh, kw, C = cols.shape  # each kernel row's kw * C values as one dim
    _jit(_columns_last)(xt, kh, kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw,
                        cols.reshape(N, oh, ow, kh, kw * C))
    return cols


def to_channels_last(x):
    """x (N, C, H, W) as a new (N, H, W, C) array."""
    xt = numpy.empty((x.shape[0], x.shape[2], x.shape[3], x.shape[1]), dtype=x.dtype)
    _jit(_to_channels_last)(numpy.ascontiguousarray(x), xt)
    return xt


def col2im_last(cols, g, out):
    """out (N, C, H, W), C-contiguous, = the adjoint of im2col_last applied to cols
    (N, oh, ow, kh, kw, C)."""
    N, oh, ow, kh, kw, C = cols.shape
    xt = numpy.empty((N, g.H, g.W, C), dtype=cols.dtype)
    _jit(_col2im_last)(cols.reshape(N, oh, ow, kh, kw * C), kh, kw, g.sh, g.sw, g.pt, g.pl,
                       g.dh, g.dw, xt)
    to_channels_first(xt.reshape(N, g.H * g.W, C), out.reshape(N, C, g.H * g.W))
    return out


def to_channels_first(y, out):
    """out (N, O, P) = y (N, P, O) transposed (out a C-contiguous array or view)."""
    _jit(_to_channels_first)(y, out)
    return out
