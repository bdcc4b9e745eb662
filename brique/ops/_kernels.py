"""Compiled CPU kernels for the conv and pool hot loops (numba, an optional extra).

With numba installed (`pip install brique[fast]`), im2col, col2im, 2x2 max-pool and the
max-pool gradient scatter run as compiled loops: one pass over memory each, no padded copies,
no temporaries (2-4x faster than the NumPy loops over kernel offsets that conv.py and pool.py
fall back to).
Without numba, or with the environment variable BRIQUE_NO_NUMBA=1, nothing here is compiled
and `usable()` answers False, so the NumPy/CuPy code runs unchanged. This is the one place that
chooses; conv.py and pool.py ask `usable(array)` before calling a kernel.

numba is imported on the first kernel call, not with brique (its import takes ~0.3 s), and
kernels are compiled with cache=True: the compile (0.3-0.7 s per kernel and array type) is paid
once per machine; later processes load machine code from __pycache__ (~0.3 s for the first
kernel, a few ms for each other).

The kernels are written below as plain Python functions (readable reference loops) and jitted
on first use. This module is CPU-only by nature, so it imports numpy by name: DESIGN rule 4
(no `import numpy` in op code) is about ops that must also run on CuPy, and `usable()` sends
every CuPy array (and every dtype but float32/float64) to the xp code instead.

Layouts: images (N, C, H, W); columns (C, kh, kw, N, oh, ow), as conv.py multiplies them
(col2im also takes a strided view of that shape). Padding is handled by bounds checks (reads outside the
image are 0 for conv and -inf for max-pool; writes outside are dropped).
"""
from __future__ import annotations

import importlib.util
import os

import numpy

ENABLED = not os.environ.get("BRIQUE_NO_NUMBA") and importlib.util.find_spec("numba") is not None
_FLOATS = (numpy.dtype("float32"), numpy.dtype("float64"))
_jitted = {}


def usable(*arrays):
    """Can the compiled kernels take these arrays (numba on; NumPy float32/float64 arrays)?"""
    if not ENABLED:
        return False
    for a in arrays:
        if type(a) is not numpy.ndarray or a.dtype not in _FLOATS:
            return False
    return True


def _jit(fn):
    """The compiled version of fn (numba imported and fn compiled on first call)."""
    k = _jitted.get(fn.__name__)
    if k is None:
        import numba
        jit = numba.njit(cache=True, fastmath=False, nogil=True)
        k = _jitted[fn.__name__] = jit(fn)
    return k


# ----------------------------------------------------------------- conv: im2col / col2im


def _im2col(x, kh, kw, sh, sw, pt, pl, dh, dw, cols):
    N, C, H, W = x.shape
    oh, ow = cols.shape[4], cols.shape[5]
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                for n in range(N):
                    for y in range(oh):
                        r = y * sh - pt + i * dh
                        dst = cols[c, i, j, n, y]
                        if r < 0 or r >= H:
                            dst[:] = 0
                            continue
                        src = x[n, c, r]
                        for xo in range(ow):
                            q = xo * sw - pl + j * dw
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
                    for y in range(oh):
                        r = y * sh - pt + i * dh
                        if r < 0 or r >= H:
                            continue
                        src = cols[c, i, j, n, y]
                        row = plane[r]
                        for xo in range(ow):
                            q = xo * sw - pl + j * dw
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


# ----------------------------------------------------------------- max-pool


def _max_pool_2x2(x, out, arg):
    # PyTorch's scan: a later value wins when greater or NaN, so the first maximum is kept.
    # The window's size is a constant so that LLVM unrolls and vectorizes it (with runtime
    # sizes this loop is no faster than NumPy's strided slices, which serve other windows).
    N, C = x.shape[0], x.shape[1]
    oh, ow = out.shape[2], out.shape[3]
    for n in range(N):
        for c in range(C):
            for y in range(oh):
                for xo in range(ow):
                    best = x[n, c, 2 * y, 2 * xo]
                    k = 0
                    for i in range(2):
                        for j in range(2):
                            v = x[n, c, 2 * y + i, 2 * xo + j]
                            take = (v > best) | (v != v)
                            best = v if take else best
                            k = (2 * i + j) if take else k
                    out[n, c, y, xo] = best
                    arg[n, c, y, xo] = k


def _max_pool_scatter(gy, arg, kh, kw, sh, sw, pt, pl, dh, dw, out):
    N, C, oh, ow = gy.shape
    H, W = out.shape[2], out.shape[3]
    rows = numpy.empty(kh * kw, numpy.int64)  # offset -> (row, column) shift, not k // kw
    cols = numpy.empty(kh * kw, numpy.int64)
    for i in range(kh):
        for j in range(kw):
            rows[i * kw + j] = i * dh - pt
            cols[i * kw + j] = j * dw - pl
    out[:] = 0
    for n in range(N):
        for c in range(C):
            for y in range(oh):
                for xo in range(ow):
                    k = arg[n, c, y, xo]
                    r = y * sh + rows[k]
                    q = xo * sw + cols[k]
                    if 0 <= r < H and 0 <= q < W:
                        out[n, c, r, q] += gy[n, c, y, xo]


def max_pool(x, g, arg_dtype):
    """(window maxima, offset of each maximum in its window) for x (N, C, H, W), or None when
    the geometry is not the compiled one (2x2 windows, stride 2, no padding or dilation)."""
    if (g.kh, g.kw, g.sh, g.sw, g.dh, g.dw) != (2, 2, 2, 2, 1, 1) or g.padded():
        return None
    x = numpy.ascontiguousarray(x)
    N, C = x.shape[:2]
    out = numpy.empty((N, C, g.oh, g.ow), dtype=x.dtype)
    arg = numpy.empty((N, C, g.oh, g.ow), dtype=arg_dtype)
    _jit(_max_pool_2x2)(x, out, arg)
    return out, arg


def max_pool_scatter(gy, arg, g):
    """zeros (N, C, H, W) with each gy added at its window's maximum (offset `arg`)."""
    N, C = gy.shape[:2]
    out = numpy.empty((N, C, g.H, g.W), dtype=gy.dtype)
    _jit(_max_pool_scatter)(numpy.ascontiguousarray(gy), numpy.ascontiguousarray(arg), g.kh,
                            g.kw, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, out)
    return out
