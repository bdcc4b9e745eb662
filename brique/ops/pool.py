"""Pooling primitives. Each loops over the kh*kw kernel offsets with strided slices of the
(padded) input, so a 2x2/2 max-pool is four strided compares on quarter-size arrays.

Max-pool keeps, per output, the kernel offset of its maximum; its backward scatters the
gradient to those offsets and the scatter's backward gathers from them, so the pair is each
other's derivative and any order of gradient works. Average pooling and its scatter are each
other's adjoint in the same way. Adaptive pooling is in adaptive_pool.py.
"""
from __future__ import annotations

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from . import _kernels
from .conv import Geom, _pair

xp_of = backend.get_array_module


def _pad(x, g, value):
    if not g.padded():
        return x
    xp = xp_of(x)
    N, C = x.shape[:2]
    out = xp.full((N, C, g.H + g.pt + g.pb, g.W + g.pl + g.pr), value, dtype=x.dtype)
    out[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x
    return out


def _crop(xpad, g):
    if not g.padded():
        return xpad
    return xp_of(xpad).ascontiguousarray(xpad[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W])


def _overlaps(g):
    """Do windows of different outputs share input elements (then scatters must add)?"""
    return g.sh < g.dh * (g.kh - 1) + 1 or g.sw < g.dw * (g.kw - 1) + 1


def _lowest(dtype, xp):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _scatter(g_out, arg, geom, weights=None):
    """zeros of the input's shape with each output's gradient added at its chosen offset
    (arg is None: at every offset, times `weights`)."""
    xp = xp_of(g_out)
    N, C = g_out.shape[:2]
    out = xp.zeros((N, C, geom.H + geom.pt + geom.pb, geom.W + geom.pl + geom.pr),
                   dtype=g_out.dtype)
    add = _overlaps(geom)
    if weights is not None:
        g_out = g_out * weights
    for i, j, rs, cs in geom.windows():
        part = g_out if arg is None else g_out * (arg == i * geom.kw + j)
        if add:
            out[:, :, rs, cs] += part
        else:
            out[:, :, rs, cs] = part
    return _crop(out, geom)


class MaxPool2d(Function):
    """Window maxima by np.maximum over the kernel offsets; the offset of each maximum (for the
    backward and return_indices) is found afterwards, only when needed."""

    def forward(self, x, geom=None, sink=None):
        self.geom = geom
        self.xpad = self.arg = None
        found = _kernels.max_pool(x, geom, _arg_dtype(geom)) if _kernels.usable(x) else None
        if found is not None:  # one compiled pass found the maxima and their offsets
            best, self.arg = found
            if sink is not None:
                sink.append(self.arg)
            return best
        xp = xp_of(x)
        self.xpad = xpad = _pad(x, geom, _lowest(x.dtype, xp))
        best = None
        for _, _, rs, cs in geom.windows():
            v = xpad[:, :, rs, cs]
            best = v.copy() if best is None else xp.maximum(best, v, out=best)
        if sink is not None:  # return_indices asks for the offsets
            sink.append(_argmax_offsets(xpad, best, geom))
        return best

    def backward(self, gy):
        self.saved  # checks that x was not modified in place
        arg = self.arg
        if arg is None:
            arg = _argmax_offsets(self.xpad, self.saved_output._data, self.geom)
        return MaxPoolScatter.apply(gy, arg=arg, geom=self.geom)


def _argmax_offsets(xpad, best, g):
    """Per output, the kernel offset of its window's maximum: the first one in scan order, as
    PyTorch. Without NaN that is the number of leading offsets whose value differs from the
    maximum: ne_0 * (1 + ne_1 * (1 + ...)), a Horner sum on small integers."""
    xp = xp_of(best)
    if bool(xp.isnan(best).any()):
        return _argmax_offsets_nan(xpad, g)
    dtype = _arg_dtype(g)
    windows = list(g.windows())
    acc = xp.zeros(best.shape, dtype=dtype)
    for _, _, rs, cs in reversed(windows[:-1]):
        acc += 1
        acc *= xpad[:, :, rs, cs] != best
    return acc


def _argmax_offsets_nan(xpad, g):
    """PyTorch's scan (a later value wins when greater, or when NaN), for inputs with NaN."""
    xp = xp_of(xpad)
    best = arg = None
    for i, j, rs, cs in g.windows():
        v = xpad[:, :, rs, cs]
        if best is None:
            best, arg = v.copy(), xp.zeros(v.shape, dtype=backend.int32)
            continue
        take = (v > best) | (v != v)
        xp.copyto(best, v, where=take)
        xp.copyto(arg, i * g.kw + j, where=take)
    return arg


def _arg_dtype(g):
    return backend.uint8 if g.kh * g.kw < 255 else backend.int32


class MaxPoolScatter(Function):
    """The gradient of max-pool: each output gradient goes to its window's maximum."""

    def forward(self, gy, arg=None, geom=None):
        self.arg, self.geom = arg, geom
        if _kernels.usable(gy):
            return _kernels.max_pool_scatter(gy, arg, geom)
        return _scatter(gy, arg, geom)

    def backward(self, ggx):
        return MaxPoolGather.apply(ggx, arg=self.arg, geom=self.geom)


class MaxPoolGather(Function):
    """Reads each window at its stored maximum: the adjoint of MaxPoolScatter."""

    def forward(self, x, arg=None, geom=None):
        self.arg, self.geom = arg, geom
        xp = xp_of(x)
        xpad = _pad(x, geom, 0)
        out = xp.zeros(arg.shape, dtype=x.dtype)
        for i, j, rs, cs in geom.windows():
            xp.copyto(out, xpad[:, :, rs, cs], where=arg == i * geom.kw + j)
        return out

    def backward(self, gy):
        return MaxPoolScatter.apply(gy, arg=self.arg, geom=self.geom)


class AvgPool2d(Function):
    """Window sums times `inv` (1 / divisor, shape (oh, ow)); its gradient is AvgPoolScatter."""

    def forward(self, x, geom=None, inv=None):
        self.geom, self.inv = geom, inv
        xpad = _pad(x, geom, 0)
        total = None
        for _, _, rs, cs in geom.windows():
            v = xpad[:, :, rs, cs]
            total = v.copy() if total is None else total.__iadd__(v)
        total *= inv
        return total

    def backward(self, gy):
        return AvgPoolScatter.apply(gy, geom=self.geom, inv=self.inv)


class AvgPoolScatter(Function):
    def forward(self, gy, geom=None, inv=None):
        self.geom, self.inv = geom, inv
        return _scatter(gy, None, geom, weights=inv)

    def backward(self, ggx):
        return AvgPool2d.apply(ggx, geom=self.geom, inv=self.inv)


class MaxUnpool2d(Function):
    """Places each input value at its flat index in a zero (H_out, W_out) plane."""

    def forward(self, x, indices=None, size=()):
        xp = xp_of(x)
        N, C = x.shape[:2]
        self.indices = indices.reshape(N, C, -1)
        out = xp.zeros((N * C, size[0] * size[1]), dtype=x.dtype)
        rows = xp.arange(N * C).reshape(-1, 1)
        out[rows, indices.reshape(N * C, -1)] = x.reshape(N * C, -1)
        return out.reshape((N, C) + tuple(size))

    def backward(self, gy):
        N, C = gy.shape[:2]
        picked = gy.reshape(N, C, -1).gather(2, Tensor._make(self.indices))
        return picked.reshape(self.saved[0].shape)


def _flat_indices(arg, g):
    """PyTorch's return_indices: flat positions in each (H, W) input plane (int64)."""
    xp = xp_of(arg)
    arg = arg.astype(backend.int64)
    rows = xp.arange(g.oh).reshape(-1, 1) * g.sh - g.pt + (arg // g.kw) * g.dh
    cols = xp.arange(g.ow) * g.sw - g.pl + (arg % g.kw) * g.dw
    return rows * g.W + cols


# ----------------------------------------------------------------- public functions


def _out_size(L, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length (ceil_mode drops a last window starting in padding)."""
    span = L + 2 * p - d * (k - 1) - 1
    n = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (n - 1) * s >= L + p:
        n -= 1
    return n


def _pool_geom(name, x, kernel_size, stride, padding, dilation, ceil_mode, nd=2):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{name}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                         f"input, got input of shape {tuple(x.shape)}")
    k = _pair(kernel_size, nd, name, "kernel_size")
    s = k if stride is None or stride == () or stride == [] else _pair(stride, nd, name,
                                                                      "stride")
    p = _pair(padding, nd, name, "padding")
    d = _pair(dilation, nd, name, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise ValueError(f"{name}: kernel_size {k}, stride {s} and dilation {d} must be "
                         "positive")
    if any(pp < 0 or 2 * pp > kk for pp, kk in zip(p, k)):
        raise ValueError(f"{name}: padding {p} should be non-negative and at most half of "
                         f"kernel_size {k}")
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    H, W = (1, x.shape[-1]) if nd == 1 else x.shape[-2:]
    out = [_out_size(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip((H, W), k, s,
                                                                                 p, d)]
    if min(out) < 1:
        raise ValueError(f"{name}: input of shape {tuple(x.shape)} is too small for "
                         f"kernel_size {k[nd == 1:]} (padding {p[nd == 1:]}, dilation "
                         f"{d[nd == 1:]}): the output would be empty")
    # Extra padding after the input so that the ceil_mode windows fit.
    after = [max(pp, (o - 1) * ss + dd * (kk - 1) + 1 - n - pp)
             for o, ss, dd, kk, n, pp in zip(out, s, d, k, (H, W), p)]
    return Geom(H, W, k[0], k[1], s, (p[0], after[0], p[1], after[1]), d, 1)


def _batched(x, nd):
    """(unbatched?, x as (N, C, H, W))."""
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    if nd == 1:
        x = x.unsqueeze(2)
    return unbatched, x


def _unbatch(y, unbatched, nd):
    if nd == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def _max_pool(name, nd, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    geom = _pool_geom(name, x, kernel_size, stride, padding, dilation, ceil_mode, nd)
    unbatched, x4 = _batched(x, nd)
    sink = [] if return_indices else None
    y = _unbatch(MaxPool2d.apply(x4, geom=geom, sink=sink), unbatched, nd)
    if not return_indices:
        return y
    return y, _unbatch(Tensor._make(_flat_indices(sink[0], geom)), unbatched, nd)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling; with return_indices, also the flat (H * W) index of each maximum.

    Shape:
        input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
        H_out = (H + 2 * padding - dilation * (kH - 1) - 1) // stride + 1 (rounded up with
        ceil_mode).
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling. Shape: input (N, C, L) or (C, L); output (N, C, L_out)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _divisor(L, k, s, p, n_out, include_pad, xp):
    start = xp.arange(n_out) * s - p
    end = xp.minimum(start + k, L + p)
    if include_pad:
        return end - start
    return xp.minimum(end, L) - xp.maximum(start, 0)


def _avg_pool(name, nd, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override=None):
    geom = _pool_geom(name, x, kernel_size, stride, padding, 1, ceil_mode, nd)
    unbatched, x4 = _batched(x, nd)
    xp = xp_of(x4._data)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError(f"{name}: divisor_override must be non-zero")
        inv = xp.full((geom.oh, geom.ow), 1.0 / divisor_override)
    else:
        p_h, p_w = geom.pt, geom.pl
        dh = _divisor(geom.H, geom.kh, geom.sh, p_h, geom.oh, count_include_pad, xp)
        dw = _divisor(geom.W, geom.kw, geom.sw, p_w, geom.ow, count_include_pad, xp)
        inv = 1.0 / (dh.reshape(-1, 1) * dw).astype(backend.float64)
    inv = inv.astype(x4.dtype)
    return _unbatch(AvgPool2d.apply(x4, geom=geom, inv=inv), unbatched, nd)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling. count_include_pad: whether zero padding counts in the divisor.

    Shape:
        input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
        H_out = (H + 2 * padding - kH) // stride + 1 (rounded up with ceil_mode).
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling. Shape: input (N, C, L) or (C, L); output (N, C, L_out)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: values go back to the positions in `indices`
    (from max_pool2d(..., return_indices=True)); everything else is zero.

    Shape:
        input and indices (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
        H_out = (H - 1) * stride - 2 * padding + kH unless output_size is given.
    """
    k = _pair(kernel_size, 2, "max_unpool2d", "kernel_size")
    s = k if stride is None else _pair(stride, 2, "max_unpool2d", "stride")
    p = _pair(padding, 2, "max_unpool2d", "padding")
    if input.ndim not in (3, 4) or tuple(indices.shape) != tuple(input.shape):
        raise ValueError(f"max_unpool2d: expected a 3-D or 4-D input and indices of the same "
                         f"shape, got {tuple(input.shape)} and {tuple(indices.shape)}")
    H, W = input.shape[-2:]
    size = [(n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip((H, W), s, p, k)]
    if output_size is not None:
        size = list(output_size)[-2:]
    idx = indices._data if isinstance(indices, Tensor) else indices
    if idx.dtype.kind not in "iu":
        raise TypeError(f"max_unpool2d: indices must be an integer tensor, got {idx.dtype}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size[0] * size[1]):
        raise ValueError(f"max_unpool2d: found an index out of range for output size "
                         f"{tuple(size)} (indices in [{int(idx.min())}, {int(idx.max())}])")
    unbatched, x4 = _batched(input, 2)
    idx4 = idx.reshape(x4.shape)
    return _unbatch(MaxUnpool2d.apply(x4, indices=idx4, size=tuple(size)), unbatched, 2)
