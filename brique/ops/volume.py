"""3-D (volumetric) convolution and pooling as composites of the 2-D primitives: depth is
folded into the batch (conv) or channels (pooling), one 2-D op per kernel offset along depth,
and the offsets are summed (conv, average) or maxed (max pooling). Autograd comes free; the
cost is k_D 2-D ops, each over the whole volume."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .adaptive_pool import _adaptive_matrix, _adaptive_size
from .conv import _check, _pair, _padding, conv2d, conv_transpose2d
from .elementwise import maximum
from .movement import cat, pad
from .pool import _divisor, _out_size, avg_pool2d, max_pool2d


def _batched(x):
    return (x.unsqueeze(0), True) if x.ndim == 4 else (x, False)


def _refuse_dtypes(name, x, refused):
    """PyTorch's CPU kernels for these ops exist for some dtypes only: refuse the others."""
    if isinstance(x, Tensor) and str(x.dtype) in refused:
        raise RuntimeError(f"{name}: not implemented for {x.dtype} input (shape "
                           f"{tuple(x.shape)})")


def _integer_conv(fn, input, weight, bias, *args):
    """Integer convolution as PyTorch computes it (exact, wrapping), through float64: exact
    while the sums stay below 2**53."""
    dtypes = {t.dtype for t in (input, weight, bias) if isinstance(t, Tensor)}
    if len(dtypes) > 1:
        raise TypeError(f"{fn.__name__}: expected input, weight and bias of the same dtype, "
                        f"got {', '.join(str(d) for d in dtypes)}")
    f = [None if t is None else t.double() for t in (input, weight, bias)]
    return fn(*f, *args).to(backend.int64).to(input.dtype)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation, as PyTorch).

    Shape: input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in / groups, kD, kH,
    kW); bias (C_out,) -> (N, C_out, D_out, H_out, W_out), D_out = (D + 2 padding - dilation
    (kD - 1) - 1) // stride + 1 (likewise H, W); padding may be 'valid' or 'same'.
    """
    _refuse_dtypes("conv3d", input, ("bool",))
    if isinstance(input, Tensor) and input.dtype.kind in "iu":
        return _integer_conv(conv3d, input, weight, bias, stride, padding, dilation, groups)
    _check("conv3d", input, weight, bias, groups, 3)
    x, unbatched = _batched(input)
    k = tuple(weight.shape[2:])
    stride, dilation = _pair(stride, 3, "conv3d", "stride"), _pair(dilation, 3, "conv3d",
                                                                    "dilation")
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"conv3d: stride {stride} and dilation {dilation} must be positive")
    pads = _padding("conv3d", padding, k, stride, dilation, 3)
    if any(a != b for a, b in pads[1:]):   # 'same' with an even kernel: pad H, W explicitly
        x = pad(x, (pads[2][0], pads[2][1], pads[1][0], pads[1][1], 0, 0))
        pads = (pads[0], (0, 0), (0, 0))
    if pads[0] != (0, 0):
        x = pad(x, (0, 0, 0, 0) + pads[0])
    n, c, depth = x.shape[:3]
    sd, dd, kd = stride[0], dilation[0], k[0]
    d_out = (depth - dd * (kd - 1) - 1) // sd + 1
    if d_out < 1:
        raise ValueError(f"conv3d: input of shape {tuple(input.shape)} (padded by {pads}) is "
                         f"smaller than the dilated kernel of shape {tuple(weight.shape)}")
    out = None
    for i in range(kd):
        start = i * dd
        part = x[:, :, start:start + (d_out - 1) * sd + 1:sd]          # (N, C, D_out, H, W)
        part = part.permute(0, 2, 1, 3, 4).reshape((n * d_out, c) + tuple(x.shape[3:]))
        y = conv2d(part, weight[:, :, i], None, stride[1:], (pads[1][0], pads[2][0]),
                   dilation[1:], groups)
        out = y if out is None else out + y
    out = out.reshape((n, d_out) + tuple(out.shape[1:])).permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-D convolution (the adjoint of conv3d): one conv_transpose2d per depth
    offset of the kernel over the depth-folded planes, each spread along depth with `stride`
    and shifted by its offset, then summed and cropped by `padding`.

    Shape: input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_in, C_out / groups, kD, kH,
    kW) -> (N, C_out, D_out, H_out, W_out), D_out = (D - 1) stride - 2 padding + dilation
    (kD - 1) + output_padding + 1 (likewise H, W)."""
    name = "conv_transpose3d"
    _refuse_dtypes(name, input, ("bool", "uint8"))
    if isinstance(input, Tensor) and input.dtype.kind in "iu":
        return _integer_conv(conv_transpose3d, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)
    _check(name, input, weight, bias, groups, 3, transposed=True)
    s, p = _pair(stride, 3, name, "stride"), _pair(padding, 3, name, "padding")
    op, d = _pair(output_padding, 3, name, "output_padding"), _pair(dilation, 3, name,
                                                                   "dilation")
    if min(s) < 1 or min(d) < 1 or min(p) < 0:
        raise ValueError(f"{name}: stride {s} and dilation {d} must be positive and padding "
                         f"{p} non-negative")
    if op[0] < 0 or op[0] >= max(s[0], d[0]):
        raise ValueError(f"{name}: output_padding {op} must be smaller than either stride {s} "
                         f"or dilation {d}")
    x, unbatched = _batched(input)
    n, c, depth = x.shape[:3]
    kd = weight.shape[2]
    full = (depth - 1) * s[0] + d[0] * (kd - 1) + 1
    d_out = full - 2 * p[0] + op[0]
    if d_out < 1:
        raise ValueError(f"{name}: the output depth {d_out} computed from input shape "
                         f"{tuple(input.shape)} and weight shape {tuple(weight.shape)} is too "
                         f"small")
    planes = x.permute(0, 2, 1, 3, 4).reshape((n * depth, c) + tuple(x.shape[3:]))
    out = None
    for i in range(kd):
        y = conv_transpose2d(planes, weight[:, :, i], None, s[1:], p[1:], op[1:], groups, d[1:])
        y = y.reshape((n, depth) + tuple(y.shape[1:]))                   # (N, D, C_out, H, W)
        if s[0] > 1:  # stride - 1 zero planes after each plane, the last ones dropped
            spread = pad(y.unsqueeze(2), (0, 0, 0, 0, 0, 0, 0, s[0] - 1))
            y = spread.reshape((n, depth * s[0]) + tuple(y.shape[2:]))[:, :full - d[0] * (kd - 1)]
        y = pad(y, (0, 0, 0, 0, 0, 0, i * d[0], full - i * d[0] - y.shape[1]))
        out = y if out is None else out + y
    out = pad(out, (0, 0, 0, 0, 0, 0, 0, op[0]))[:, p[0]:p[0] + d_out].permute(0, 2, 1, 3, 4)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def _geometry(name, x, kernel_size, stride, padding, dilation, ceil_mode):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim not in (4, 5):
        raise ValueError(f"{name}: expected a 4-D (unbatched) or 5-D (batched) input, got "
                         f"input of shape {tuple(x.shape)}")
    k = _pair(kernel_size, 3, name, "kernel_size")
    s = k if stride is None or stride == () or stride == [] else _pair(stride, 3, name,
                                                                      "stride")
    p, d = _pair(padding, 3, name, "padding"), _pair(dilation, 3, name, "dilation")
    if min(k) < 1 or min(s) < 1 or min(d) < 1:
        raise ValueError(f"{name}: kernel_size {k}, stride {s} and dilation {d} must be "
                         "positive")
    if p[0] < 0 or 2 * p[0] > k[0]:
        raise ValueError(f"{name}: padding {p} should be non-negative and at most half of "
                         f"kernel_size {k}")
    depth = x.shape[-3]
    d_out = _out_size(depth, k[0], s[0], p[0], d[0], ceil_mode)
    if d_out < 1:
        raise ValueError(f"{name}: input of shape {tuple(x.shape)} is too small for "
                         f"kernel_size {k} (padding {p}, dilation {d})")
    after = max(p[0], (d_out - 1) * s[0] + d[0] * (k[0] - 1) + 1 - depth - p[0])
    return k, s, p, d, d_out, after


def _depth_slices(x, k, s, d, d_out):
    """For each depth offset, the (N, C * D_out, H, W) planes it sees."""
    n, c = x.shape[:2]
    for i in range(k[0]):
        start = i * d[0]
        part = x[:, :, start:start + (d_out - 1) * s[0] + 1:s[0]]
        yield i, part.reshape((n, c * d_out) + tuple(x.shape[3:]))


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling; with return_indices, also the flat (D * H * W) index of each maximum.
    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out)."""
    _refuse_dtypes("max_pool3d", input, ("bool",))
    k, s, p, d, d_out, after = _geometry("max_pool3d", input, kernel_size, stride, padding,
                                         dilation, ceil_mode)
    x, unbatched = _batched(input)
    n, c, depth, h, w = x.shape
    xp = backend.get_array_module(x._data)
    low = float("-inf") if x.dtype.kind == "f" else int(xp.iinfo(x.dtype).min)
    x = pad(x, (0, 0, 0, 0, p[0], after), value=low)
    best, arg = None, None
    for i, planes in _depth_slices(x, k, s, d, d_out):
        y, idx = max_pool2d(planes, k[1:], s[1:], p[1:], d[1:], ceil_mode, True)
        if return_indices:
            rows = xp.arange(d_out).reshape(1, 1, d_out, 1, 1) * s[0] + i * d[0] - p[0]
            flat = rows * (h * w) + idx._data.reshape((n, c, d_out) + idx.shape[-2:])
            if arg is None:
                arg = flat
            else:   # a later offset wins only when strictly larger: the first maximum, as torch
                arg = xp.where(y._data.reshape(flat.shape) > best._data.reshape(flat.shape),
                               flat, arg)
        best = y if best is None else maximum(best, y)
    out = best.reshape((n, c, d_out) + tuple(best.shape[-2:]))
    out = out.squeeze(0) if unbatched else out
    if not return_indices:
        return out
    arg = Tensor._make(arg.astype(backend.int64))
    return out, (arg.squeeze(0) if unbatched else arg)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling. Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out,
    W_out)."""
    _refuse_dtypes("avg_pool3d", input, ("bool", "uint8"))
    k, s, p, _, d_out, after = _geometry("avg_pool3d", input, kernel_size, stride, padding, 1,
                                         ceil_mode)
    if any(n < kk for n, kk in zip(input.shape[-3:], k)):
        raise ValueError(f"avg_pool3d: input of shape {tuple(input.shape)} is smaller than "
                         f"kernel_size {k}")
    if divisor_override is not None and divisor_override == 0:
        raise ValueError("avg_pool3d: divisor_override must be non-zero")
    x, unbatched = _batched(input)
    n, c, depth, h, w = x.shape
    x = pad(x, (0, 0, 0, 0, p[0], after))
    total = None
    for _, planes in _depth_slices(x, k, s, (1, 1, 1), d_out):
        y = avg_pool2d(planes, k[1:], s[1:], p[1:], ceil_mode, True, divisor_override=1)
        total = y if total is None else total + y
    out = total.reshape((n, c, d_out) + tuple(total.shape[-2:]))
    xp = backend.get_array_module(x._data)
    if divisor_override is not None:
        inv = xp.full(out.shape[-3:], 1.0 / divisor_override)
    else:
        sizes = [_divisor(length, kk, ss, pp, o, count_include_pad, xp)
                 for length, kk, ss, pp, o in zip((depth, h, w), k, s, p, out.shape[-3:])]
        inv = 1.0 / (sizes[0].reshape(-1, 1, 1) * sizes[1].reshape(-1, 1) * sizes[2])
    if out.dtype.kind in "iu":  # integer means truncate toward zero, as in PyTorch
        out = Tensor._make(xp.trunc(out._data / xp.round(1.0 / inv)).astype(out.dtype))
    else:
        out = out * Tensor._make(inv.astype(out.dtype))
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed output size (None keeps that input size).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, *output_size)."""
    od, oh, ow = _adaptive_size("adaptive_avg_pool3d", input, output_size, 3)
    if not input.is_floating_point():
        raise RuntimeError(f"adaptive_avg_pool3d: not implemented for {input.dtype} input")
    depth, h, w = input.shape[-3:]
    xp = backend.get_array_module(input._data)
    if 0 not in (od, oh, ow) and not bool(xp.isfinite(input._data).all()):
        return _adaptive_by_windows(input, (od, oh, ow))
    a_d, a_h, a_w = (Tensor._make(_adaptive_matrix(length, o, input.dtype, xp))
                     for length, o in ((depth, od), (h, oh), (w, ow)))
    y = a_h @ (input @ a_w.t())                                       # (..., D, oh, ow)
    lead = tuple(y.shape[:-3])
    y = a_d @ y.reshape(lead + (depth, oh * ow))
    return y.reshape(lead + (od, oh, ow))


def _adaptive_by_windows(x, size):
    """adaptive_avg_pool3d one axis at a time with true window means: the averaging matrices
    would spread a nan or inf into every output (0 * inf), PyTorch keeps it in its windows."""
    for axis, o in zip((-3, -2, -1), size):
        n = x.shape[axis]
        starts = [(i * n) // o for i in range(o)]
        ends = [-(-(i + 1) * n // o) for i in range(o)]
        x = cat([x.narrow(axis, a, b - a).mean(axis, keepdim=True)
                 for a, b in zip(starts, ends)], axis)
    return x
