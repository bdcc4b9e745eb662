"""The array work of a convolution, the three products behind conv.py's primitives: the
conv itself (_conv), its input gradient (_conv_input_grad, also conv_transpose's forward) and
its weight gradient (_conv_weight_grad), on NumPy or CuPy arrays, through im2col columns built
chunk by chunk over the batch: channels-first (C, kh, kw, n, oh, ow), or channels-last
(n, oh, ow, kh, kw, C) where _columns_last.use says so (CPU, compiled kernels).
"""
from __future__ import annotations

from .. import backend
from . import _columns_last, _kernels, _kernels_conv, _threads

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
        return _kernels_conv.im2col(x, g, out)
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
        return _kernels_conv.col2im(cols, g, out)
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
# 1 MB of L2 per core, 32 MB of L3) for ResNet-20's 3x3 convs on 128 images, forward, 2 MB
# chunks against the whole batch at once: 16 channels at 32x32 15.6 -> 8.1 ms, 32 at 16x16
# 9.3 -> 5.2 ms, 64 at 8x8 4.1 -> 3.3 ms. On an Intel Xeon (2 MB of L2 per core, where a 2 MB
# copy already runs at a quarter of the speed of a 0.5 MB one), a ResNet-20 step with 2 MB
# chunks 336-345 ms, 1 MB 313-320 ms, 768 KB 310-315 ms, 256 KB 341 ms. On the GPU one chunk
# takes the whole batch.
_CHUNK_BYTES = 1 << 20


# A conv whose columns for the whole batch take at least this many bytes runs its chunks on
# every core (ops/_threads.py) and keeps none of them for the weight gradient: the backward
# builds them again, on every core, in cache, which is faster than reading kept ones back from
# memory. Measured on 2 cores (Intel Xeon, 2 MB of L2 per core), a ResNet-20 step on 128
# images: 520-530 -> 402-409 ms on 2 threads, -> 372 ms without the kept columns (and 1 GB
# less memory); a LeNet-5 epoch (4-5 MB of columns per conv for 64 images) 344 -> 305 ms.
_PARALLEL_BYTES = 1 << 20


def _chunking(xp, N, C, g, dtype):
    """(spans, parallel): the (start, stop) of the batch's chunks, and whether they run on
    every core. Run on every core, each core's part of the batch (_threads.over_batch's) is
    cut into chunks of even sizes: the cores get as many chunks and as many images (LeNet-5's
    first conv on 64 images: 13-image chunks made 26 images against 38) and each writes the
    part of the output that the ops after the conv will read on it."""
    per_image = C * g.kh * g.kw * g.oh * g.ow * backend.as_dtype(dtype).itemsize
    if xp is not backend.numpy:
        return [(0, N)], False
    step = max(1, min(N, _CHUNK_BYTES // max(per_image, 1)))
    parallel = N > step and per_image * N >= _PARALLEL_BYTES
    spans = []
    for s, e in _threads.bounds(N) if parallel else [(0, N)]:
        k = -(-(e - s) // step)
        spans += [(s + (e - s) * i // k, s + (e - s) * (i + 1) // k) for i in range(k)]
    return spans, parallel


def _run(xp, fn, spans, parallel):
    """[fn(spans)], or on NumPy arrays with `parallel` fn over parts of spans on every core:
    a list of the results (ops/_threads.py)."""
    return _threads.run(fn, spans, parallel) if xp is backend.numpy else [fn(spans)]


def _column_chunks(xp, spans, C, g, dtype, keep=False):
    """(start, stop, columns buffer (C, kh, kw, stop - start, oh, ow)) for each span: one
    buffer reused by every chunk, or with `keep` a buffer of its own for each."""
    per_image = C * g.kh * g.kw * g.oh * g.ow
    buf = None
    for s, e in spans:
        n = e - s
        if keep or buf is None:  # a kept buffer is sized to its chunk
            size = n if keep else max(e - s for s, e in spans)
            buf = xp.empty(per_image * size, dtype=dtype)
        yield s, e, buf[:per_image * n].reshape(C, g.kh, g.kw, n, g.oh, g.ow)


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
    if _columns_last.use(x.shape[1], g, x, w):
        return _columns_last.conv(x, w, g), None
    xp = xp_of(x)
    (N, C), G, O, P = x.shape[:2], g.groups, w.shape[0], g.oh * g.ow
    K = C // G * g.kh * g.kw
    wg, single = _grouped(w, G), _single_gemm(O // G, K)
    y = xp.empty((N, O, g.oh, g.ow), dtype=x.dtype)

    def run(spans):
        kept = []
        for s, e, cols in _column_chunks(xp, spans, C, g, x.dtype, keep):
            n = e - s
            c = im2col(x[s:e], g, cols).reshape(G, K, n, P)
            if single and n > 1:  # one image: the per-image GEMM writes y in place
                yc = (wg @ c.reshape(G, K, n * P)).reshape(O, n, g.oh, g.ow)
                y[s:e] = yc.transpose(1, 0, 2, 3)
            else:
                xp.matmul(wg, c.transpose(2, 0, 1, 3), out=y[s:e].reshape(n, G, O // G, P))
            kept.append((s, e, cols))
        return kept

    spans, parallel = _chunking(xp, N, C, g, x.dtype)
    keep = keep and not parallel
    kept = _run(xp, run, spans, parallel)
    return y, ([c for part in kept for c in part] if keep else None)


def _full_conv_geom(g):
    """For a stride-1, undilated, ungrouped conv whose padding is below the kernel size: the
    geometry of the full convolution that maps its output gradient to its input gradient."""
    pads = (g.kh - 1 - g.pt, g.kh - 1 - g.pb, g.kw - 1 - g.pl, g.kw - 1 - g.pr)
    if (g.sh, g.sw, g.dh, g.dw, g.groups) != (1, 1, 1, 1, 1) or min(pads) < 0:
        return None
    return Geom(g.oh, g.ow, g.kh, g.kw, (1, 1), pads, (1, 1), 1)


def _full_input_grad(w_shape, g):
    """Does the conv's input gradient come from the full convolution of its output gradient
    (a stride-1 conv that does not widen the channels: see _conv_input_grad)? Then the columns
    of that full convolution also give its weight gradient (_conv_grads)."""
    return w_shape[0] <= w_shape[1] * g.groups and _full_conv_geom(g) is not None


def _sum_parts(parts):
    """The partial weight gradients of the threads' parts (_run), added into the first."""
    total = parts[0]
    for p in parts[1:]:
        total += p
    return total


def _conv_input_grad(gy, w, g):
    """x-gradient of conv given y-gradient gy: col2im(W^T gy). Also conv_transpose's forward.
    When the conv does not widen the channels (O <= C, e.g. an autoencoder's last layer,
    16 -> 1), the full convolution of gy with the flipped kernel is faster: it builds O*kh*kw
    rows of columns instead of C*kh*kw and skips col2im's scattered adds (16 -> 1: 10x less
    memory traffic; 8 -> 8 at 16x16: 0.46 ms instead of 1.1 ms for 32 images)."""
    xp = xp_of(gy)
    N, O = gy.shape[:2]
    G, P, C = g.groups, g.oh * g.ow, w.shape[1] * g.groups
    if _full_input_grad(w.shape, g):
        return _conv(gy, _flip_t(w), _full_conv_geom(g))[0]
    if _columns_last.use(C, g, gy, w):
        return _columns_last.input_grad(gy, w, g)
    wt = _grouped(w, G).transpose(0, 2, 1)                   # (G, C/G*kh*kw, O/G)
    K = wt.shape[1]
    gx = xp.empty((N, C, g.H, g.W), dtype=gy.dtype)

    def run(spans):
        for s, e, cols in _column_chunks(xp, spans, C, g, gy.dtype):
            n = e - s
            if P < _BATCHED_GEMM_P:
                xp.matmul(wt, _channels_first(gy[s:e], G), out=cols.reshape(G, K, n * P))
            else:
                per_image = cols.reshape(n, G, K, P)  # the buffer, laid out image by image
                xp.matmul(wt, gy[s:e].reshape(n, G, O // G, P), out=per_image)
                cols = per_image.reshape(n, C, g.kh, g.kw, g.oh, g.ow).transpose(
                    1, 2, 3, 0, 4, 5)
            col2im(cols, g, gx[s:e])

    _run(xp, run, *_chunking(xp, N, C, g, gy.dtype))
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
    if not chunks and _columns_last.use(C, g, x, gy):
        return _columns_last.weight_grad(x, gy, w_shape, g)
    G, P = g.groups, g.oh * g.ow
    K = C // G * g.kh * g.kw
    single = _single_gemm(O // G, K)
    spans, parallel = _chunking(xp, N, C, g, x.dtype)

    def run(part):
        gw = xp.zeros((G, K, O // G) if single else (G, O // G, K), dtype=x.dtype)
        bufs = _column_chunks(xp, [(s, e) for s, e, c in part if c is None], C, g, x.dtype)
        for s, e, cols in part:
            n = e - s
            if cols is None:
                cols = im2col(x[s:e], g, next(bufs)[2])
            c = cols.reshape(G, K, n, P)
            if single:
                gw += c.reshape(G, K, n * P) @ _channels_first(gy[s:e], G).transpose(0, 2, 1)
            else:
                gw += (gy[s:e].reshape(n, G, O // G, P) @ c.transpose(2, 0, 3, 1)).sum(0)
        return gw

    parts = _run(xp, run, chunks or [(s, e, None) for s, e in spans], parallel and not chunks)
    gw = _sum_parts(parts)
    if single:
        gw = gw.transpose(0, 2, 1)                            # (G, O/G, C/G*kh*kw)
    return gw.reshape(w_shape)


def _conv_grads(x, gy, w, g):
    """(input gradient, weight gradient) of a conv with a _full_input_grad, from one set of
    columns per chunk: those of gy's full convolution. The input gradient is that full
    convolution; the weight gradient is x times the same columns, W[o, c, i, j] =
    sum x[c, q] cols[(o, kh-1-i, kw-1-j), q] (the flipped kernel's offsets), instead of gy
    times the columns of x built again. ResNet-20's 3x3 convs on 128 images, both gradients,
    16 channels at 32x32 11.0 -> 9.1 ms, 32 at 16x16 8.2 -> 7.0 ms, 64 at 8x8 6.6 -> 5.6 ms;
    the conv autoencoder's 16 -> 1 at 28x28 on 64 images 0.71 -> 0.45 ms (per-image GEMMs
    where _single_gemm says so)."""
    xp, full = xp_of(gy), _full_conv_geom(g)
    (N, O), C, P = gy.shape[:2], x.shape[1], g.H * g.W
    if _columns_last.use(O, full, gy, x, w):
        return _columns_last.grads(x, gy, w, full)
    wf = _flip_t(w).reshape(C, -1)                            # (C, O*kh*kw)
    K = wf.shape[1]
    single = _single_gemm(C, K)
    gx = xp.empty(x.shape, dtype=gy.dtype)

    def run(spans):
        gw = xp.zeros((K, C), dtype=gy.dtype)
        for s, e, cols in _column_chunks(xp, spans, O, full, gy.dtype):
            n = e - s
            c = im2col(gy[s:e], full, cols).reshape(K, n * P)
            if single and n > 1:
                gx[s:e] = (wf @ c).reshape(C, n, g.H, g.W).transpose(1, 0, 2, 3)
                gw += c @ _channels_first(x[s:e], 1)[0].T
            else:  # per image, as _conv and _conv_weight_grad choose (gx written in place)
                per_image = c.reshape(K, n, P).transpose(1, 0, 2)
                xp.matmul(wf, per_image, out=gx[s:e].reshape(n, C, P))
                gw += (per_image @ x[s:e].reshape(n, C, P).transpose(0, 2, 1)).sum(0)
        return gw

    gw = _sum_parts(_run(xp, run, *_chunking(xp, N, O, full, gy.dtype)))
    O, C, kh, kw = w.shape
    gw = gw.reshape(O, kh, kw, C)[:, ::-1, ::-1].transpose(0, 3, 1, 2)
    return gx, xp.ascontiguousarray(gw)
