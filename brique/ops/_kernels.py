"""Compiled CPU kernels for the hot loops of convs, pooling, batch norm and a few
elementwise ops (numba, an optional extra; _kernels_rnn.py holds the recurrent layers',
_kernels_conv.py the conv columns' and optim/_fused.py the optimizers', compiled by `_jit`
here).

With numba installed (`pip install brique[fast]`), im2col, col2im (_kernels_conv.py), 2x2
max-pool and the max-pool gradient scatter run as compiled loops: one pass over memory each,
no padded copies, no temporaries (2-4x faster than the NumPy loops over kernel offsets that
conv.py and pool.py fall back to); so do batch norm over channels (norm.py), (leaky) ReLU, an
embedding's gradient (rows added at indices) and nearest 2x upsampling, where NumPy needs
several passes or strided ones.
Without numba, or with the environment variable BRIQUE_NO_NUMBA=1, nothing here is compiled
and `usable()` answers False, so the NumPy/CuPy code runs unchanged. This is the one place that
chooses; the ops ask `usable(array)` (or `usable_float32`, `usable_flat`) before calling a
kernel.

numba is imported on the first kernel call, not with brique (its import takes ~0.3 s), and
kernels are compiled with cache=True: the compile (0.3-0.7 s per kernel and array type) is paid
once per machine; later processes load machine code from __pycache__ (~0.3 s for the first
kernel, a few ms for each other).

The kernels are written below as plain Python functions (readable reference loops) and jitted
on first use. This module is CPU-only by nature, so it imports numpy by name: DESIGN rule 4
(no `import numpy` in op code) is about ops that must also run on CuPy, and `usable()` sends
every CuPy array (and every dtype but float32/float64) to the xp code instead.

Layouts: images (N, C, H, W); columns as _kernels_conv.py says. Padding is handled by bounds
checks (reads outside the image are 0 for conv and -inf for max-pool; writes outside are
dropped).
"""
from __future__ import annotations

import importlib.util
import math
import os

import numpy

from . import _threads

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


def usable_float32(*arrays):
    """Can the float32-only kernels (the recurrent loops: _kernels_rnn.usable) take these arrays?"""
    return usable(*arrays) and all(a.dtype == _FLOATS[0] for a in arrays)


def usable_flat(*arrays):
    """Can the kernels that see arrays as flat vectors take these (usable, one dtype,
    C-contiguous)?"""
    return (usable(*arrays) and all(a.dtype == arrays[0].dtype and a.flags.c_contiguous
                                    for a in arrays))


def _jit(fn, fastmath=False):
    """The compiled version of fn (numba imported and fn compiled on first call).
    error_model="numpy": a division by zero gives inf/nan instead of raising, which keeps the
    per-element branch out of the loops so that LLVM can vectorize them."""
    k = _jitted.get(fn.__name__)
    if k is None:
        import numba
        jit = numba.njit(cache=True, fastmath=fastmath, nogil=True, error_model="numpy")
        scope = fn.__globals__  # the helpers its module lists: compiled first, inlined
        for name in scope.get("_INLINED", ()):
            if name not in _jitted:
                scope[name] = _jitted[name] = numba.njit(
                    inline="always", error_model="numpy")(scope[name])
        k = _jitted[fn.__name__] = jit(fn)
    return k


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
    kernel = _jit(_max_pool_2x2)
    _threads.over_batch(lambda s, e: kernel(x[s:e], out[s:e], arg[s:e]), x)
    return out, arg


def max_pool_scatter(gy, arg, g):
    """zeros (N, C, H, W) with each gy added at its window's maximum (offset `arg`)."""
    N, C = gy.shape[:2]
    out = numpy.empty((N, C, g.H, g.W), dtype=gy.dtype)
    gy, arg, kernel = (numpy.ascontiguousarray(gy), numpy.ascontiguousarray(arg),
                       _jit(_max_pool_scatter))
    _threads.over_batch(lambda s, e: kernel(gy[s:e], arg[s:e], g.kh, g.kw, g.sh, g.sw, g.pt,
                                            g.pl, g.dh, g.dw, out[s:e]), out)
    return out


# ----------------------------------------------------------------- (leaky) ReLU
# g where a > 0, else g * slope, in one pass: ReLU's backward (slope 0) without the mask NumPy
# builds first, LeakyReLU's forward (g = a) and backward without numpy.where's passes.
# 128 x 16 x 32 x 32 float32 on 2 cores, ReLU's backward 0.89 -> 0.51 ms (a ResNet-20 step's
# 19: 14.5 -> 7.9 ms); 64 x 64 x 16 x 16, LeakyReLU's forward 4.4 -> 0.21 ms, its backward
# 4.8 -> 0.29 ms.


def _leaky(g, a, slope, out):
    for i in range(g.size):
        v = g[i]
        out[i] = v if a[i] > 0 else v * slope  # v * 0: NaN stays NaN, -v gives -0, as NumPy


def _relu_grad(g, a, out):
    zero = out.dtype.type(0)
    for i in range(g.size):
        out[i] = g[i] if a[i] > 0 else zero  # a mask: NaN or inf in g stays out, as PyTorch


def relu_grad(g, a, out=None):
    """g where a > 0, else 0 (PyTorch's threshold_backward), for g and a as in `leaky`."""
    if out is None:
        out = numpy.empty_like(g)
    _jit(_relu_grad)(g.reshape(-1), a.reshape(-1), out.reshape(-1))
    return out


def _clamp_min(a, floor, out):
    for i in range(a.size):
        v = a[i]
        out[i] = v if v > floor or v != v else floor  # NaN stays NaN, as numpy.maximum


def clamp_min(a, floor, out=None):
    """numpy.maximum(a, floor) for a float array a (usable_flat) and a number floor: ReLU's
    forward. NumPy's loop takes 66 us for LeNet-5's 64 x 6 x 28 x 28 float32, this one 52."""
    if out is None:
        out = numpy.empty_like(a)
    _jit(_clamp_min)(a.reshape(-1), a.dtype.type(floor), out.reshape(-1))
    return out


def leaky(g, a, slope, out=None):
    """g where a > 0, else g * slope, for g and a of one shape and dtype (usable_flat)."""
    if out is None:
        out = numpy.empty_like(g)
    _jit(_leaky)(g.reshape(-1), a.reshape(-1), g.dtype.type(slope), out.reshape(-1))
    return out


# ----------------------------------------------------------------- softmax cross-entropy
# The loss of class indices on (N, C) logits: one pass per row instead of NumPy's ~16 calls
# (max, exp, sum, log, gather, the target checks...), which cost more than the arithmetic
# on the usual batch of 64 x 10. numba's exp is a scalar libm call, so the loss takes these
# loops only up to SOFTMAX_XENT_MAX values; NumPy's vectorized exp wins beyond.

SOFTMAX_XENT_MAX = 1 << 14


def _softmax_xent(x, target, ignore_index, logp, losses):
    # Writes log_softmax(x) and each row's loss (0 where the target is ignore_index); returns
    # the number of rows counted, or -1 - i for the first row i whose target is out of range.
    N, C = x.shape
    count = 0
    for i in range(N):
        t = target[i]
        keep = t != ignore_index
        if keep and (t < 0 or t >= C):
            return -1 - i
        row, lp = x[i], logp[i]
        m = row[0]
        for c in range(1, C):
            v = row[c]
            m = v if v > m or v != v else m  # NaN wins, as in numpy.max
        s = 0.0
        for c in range(C):
            s += math.exp(row[c] - m)
        log_s = math.log(s)
        for c in range(C):
            lp[c] = (row[c] - m) - log_s
        losses[i] = -lp[t] if keep else 0
        count += keep
    return count


def _softmax_xent_grad(logp, target, ignore_index, scale, out):
    # (softmax - onehot(target)) * scale per row, 0 on ignored rows; scale has one value per
    # row or one for all.
    N, C = logp.shape
    step = 1 if scale.size == N else 0
    for i in range(N):
        t = target[i]
        o, lp = out[i], logp[i]
        if t == ignore_index:
            for c in range(C):
                o[c] = 0
            continue
        s = scale[i * step]
        for c in range(C):
            o[c] = math.exp(lp[c]) * s
        o[t] = (math.exp(lp[t]) - 1) * s


def softmax_xent(x, target, ignore_index):
    """(log_softmax(x, 1), per-row losses, count) for (N, C) logits (usable, C-contiguous,
    at most SOFTMAX_XENT_MAX values) and (N,) integer targets; count is -1 - i when row i's
    target is out of range."""
    logp = numpy.empty_like(x)
    losses = numpy.empty(x.shape[0], x.dtype)
    count = _jit(_softmax_xent)(x, target, ignore_index, logp, losses)
    return logp, losses, count


def softmax_xent_grad(logp, target, ignore_index, scale):
    """The gradient of softmax_xent's losses in x, each row scaled by `scale`: a 0-d array
    or one per row, of logp's dtype."""
    out = numpy.empty_like(logp)
    _jit(_softmax_xent_grad)(logp, target, ignore_index, scale.reshape(-1), out)
    return out


# ----------------------------------------------------------------- rows added at indices
# An embedding's gradient: rows of g added into a table at (repeated) row indices. NumPy's
# add.at takes 845 us for the char LSTM's 4096 rows of 32 into 65; this loop 13 us.


def _index_add_rows(out, index, g):
    R = out.shape[0]
    for k in range(index.size):
        r = index[k]
        if r < 0:
            r += R
        if r < 0 or r >= R:
            raise IndexError("index_add: a row index is out of range")
        row, src = out[r], g[k]
        for j in range(row.size):
            row[j] += src[j]


def index_add_rows(shape, index, g):
    """zeros(shape) with g's rows (g: index.shape + shape[1:]) added at the row indices in
    `index` (an integer array; negative ones count from the end), repeated ones accumulating
    in order, as numpy.add.at does."""
    out = numpy.zeros(shape, dtype=g.dtype)
    D = out[0].size if shape[0] else 0
    _jit(_index_add_rows)(out.reshape(shape[0], D), index.reshape(-1),
                          numpy.ascontiguousarray(g).reshape(index.size, D))
    return out


# ----------------------------------------------------------------- nearest 2x upsampling
# NumPy writes a 2x upsampling as 4 copies with a stride of 2 elements, and its adjoint as 4
# strided adds, at about a tenth of the speed of contiguous ones: the conv autoencoder's
# 64 x 16 x 14 x 14 -> 28 x 28, forward 0.53 ms, backward 0.54 ms.


def _nearest_up_2x2(x, out):
    for b in range(x.shape[0]):
        for y in range(x.shape[1]):
            src, top, bottom = x[b, y], out[b, 2 * y], out[b, 2 * y + 1]
            for q in range(x.shape[2]):
                v = src[q]
                top[2 * q] = v
                top[2 * q + 1] = v
                bottom[2 * q] = v
                bottom[2 * q + 1] = v


def _block_sum_2x2(g, out):
    for b in range(out.shape[0]):
        for y in range(out.shape[1]):
            top, bottom, dst = g[b, 2 * y], g[b, 2 * y + 1], out[b, y]
            for q in range(out.shape[2]):  # in the order of NumPy's strided adds
                dst[q] = top[2 * q] + top[2 * q + 1] + bottom[2 * q] + bottom[2 * q + 1]


def nearest_up_2x2(x):
    """x (..., H, W) with each element repeated in a 2 x 2 block: (..., 2H, 2W)."""
    H, W = x.shape[-2:]
    out = numpy.empty(x.shape[:-2] + (2 * H, 2 * W), dtype=x.dtype)
    src, dst, kernel = (numpy.ascontiguousarray(x).reshape(-1, H, W),
                        out.reshape(-1, 2 * H, 2 * W), _jit(_nearest_up_2x2))
    _threads.over_batch(lambda s, e: kernel(src[s:e], dst[s:e]), dst)
    return out


def block_sum_2x2(g):
    """The sums of g (..., 2H, 2W) over its 2 x 2 blocks: (..., H, W)."""
    H, W = g.shape[-2] // 2, g.shape[-1] // 2
    out = numpy.empty(g.shape[:-2] + (H, W), dtype=g.dtype)
    src, dst, kernel = (numpy.ascontiguousarray(g).reshape(-1, 2 * H, 2 * W),
                        out.reshape(-1, H, W), _jit(_block_sum_2x2))
    _threads.over_batch(lambda s, e: kernel(src[s:e], dst[s:e]), src)
    return out


# ----------------------------------------------------------------- batch norm (per channel)
# Batch norm over (N, C, P), channel by channel: a channel's N x P values (512 KB for
# ResNet-20's first stage at batch 128) stay in the core's L2 across the passes over them,
# so memory sees one read of x and one write of the output, where the NumPy code walks
# about ten full-size arrays. Sums accumulate in float64, in whatever order LLVM vectorizes
# them (fastmath "reassoc"; without it, every add waits for the one before).

_REASSOC = {"reassoc"}


def _batch_norm_forward(x, w, b, eps, out, mean, var, c0, c1):
    N, C, P = x.shape
    count = N * P
    for c in range(c0, c1):
        s = 0.0
        for n in range(N):
            row = x[n, c]
            for p in range(P):
                s += row[p]
        m = s / count
        v = 0.0
        for n in range(N):
            row = x[n, c]
            for p in range(P):
                d = row[p] - m
                v += d * d
        v /= count
        scale = w[c] / numpy.sqrt(v + eps)
        shift = b[c] - m * scale
        sc, sh = out.dtype.type(scale), out.dtype.type(shift)
        for n in range(N):
            src, dst = x[n, c], out[n, c]
            for p in range(P):
                dst[p] = src[p] * sc + sh
        mean[c], var[c] = m, v


def _batch_norm_backward(x, g, w, mean, var, eps, dx, dw, db, c0, c1):
    N, C, P = x.shape
    count = N * P
    for c in range(c0, c1):
        m, inv = mean[c], 1.0 / numpy.sqrt(var[c] + eps)
        sg = 0.0
        sgx = 0.0
        for n in range(N):
            xr, gr = x[n, c], g[n, c]
            for p in range(P):
                sg += gr[p]
                sgx += gr[p] * (xr[p] - m)
        sgx *= inv  # sum of g * xhat
        coef = inv * w[c]
        # dx = coef * (g - xhat * sgx / count - sg / count), xhat = (x - m) * inv
        a = dx.dtype.type(coef)
        k = dx.dtype.type(coef * inv * sgx / count)
        q = dx.dtype.type(coef * sg / count - coef * inv * sgx / count * m)
        for n in range(N):
            xr, gr, dr = x[n, c], g[n, c], dx[n, c]
            for p in range(P):
                dr[p] = a * gr[p] - k * xr[p] - q
        dw[c], db[c] = sgx, sg


def batch_norm_forward(x, w, b, eps):
    """(out, mean, biased var) of batch norm over x (N, C, P) with per-channel w and b (C,);
    the statistics in float64."""
    C = x.shape[1]
    out = numpy.empty(x.shape, dtype=x.dtype)
    mean, var = numpy.empty(C), numpy.empty(C)
    kernel, x = _jit(_batch_norm_forward, _REASSOC), numpy.ascontiguousarray(x)
    _by_channels(lambda c0, c1: kernel(x, w, b, float(eps), out, mean, var, c0, c1), x)
    return out, mean, var


def batch_norm_backward(x, g, w, mean, var, eps):
    """(dx, sum of g * xhat, sum of g) per channel: the gradients of batch norm's input,
    weight and bias."""
    C = x.shape[1]
    dx = numpy.empty(x.shape, dtype=x.dtype)
    dw, db = numpy.empty(C), numpy.empty(C)
    kernel = _jit(_batch_norm_backward, _REASSOC)
    x, g = numpy.ascontiguousarray(x), numpy.ascontiguousarray(g)
    _by_channels(lambda c0, c1: kernel(x, g, w, mean, var, float(eps), dx, dw, db, c0, c1), x)
    return dx, dw, db


# Batch norm over this many bytes runs its channels on every core (_threads.py): a ResNet-20
# step's 19 batch norms on 2 cores (Intel Xeon), forward and backward: 49 -> 29 ms.
_PARALLEL_BN_BYTES = 1 << 20


def _by_channels(fn, x):
    """fn(c0, c1) over x's (N, C, P) channels: on every core, in ranges of channels, when x
    is big enough and has a channel per core."""
    C, workers = x.shape[1], _threads.WORKERS
    if x.nbytes < _PARALLEL_BN_BYTES or C < workers or workers == 1:
        return fn(0, C)
    bounds = [C * k // workers for k in range(workers + 1)]
    _threads.run(lambda part: [fn(*r) for r in part], list(zip(bounds, bounds[1:])), True)
