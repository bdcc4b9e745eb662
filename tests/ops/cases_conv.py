"""Registry cases for convolution, pooling and resizing (collected by cases.all_cases()).

The primitives that only appear in backward passes (ConvTranspose2d as conv2d's input
gradient, Conv2dGradW, MaxPoolScatter/MaxPoolGather, AvgPoolScatter) get cases of their own:
a gradient taken with create_graph=True, seen as a function of the upstream gradient.
Shapes are tiny: every case runs a float64 finite-difference check.
"""
from __future__ import annotations

import torch
import torch.nn.functional as TF

import brique as B
from brique.ops import conv as BC
from brique.ops import adaptive_pool as BA
from brique.ops import pool as BP
from brique.ops import upsample as BU
from cases import Arg, Case as C, Const, Distinct, U  # noqa: F401


def _leaf(x, lib):
    """A fresh leaf with x's values that requires grad (brique or torch)."""
    return x.detach().requires_grad_(True) if lib is torch else B.tensor(x.detach()._data,
                                                                      requires_grad=True)


def _grad(lib):
    return torch.autograd.grad if lib is torch else B.grad


def _recording(lib, fn):
    """fn with grad mode on, so the case also runs under no_grad (as the gradgrad test does)."""
    enable = torch.enable_grad if lib is torch else B.enable_grad

    def run(*args):
        with enable():
            return fn(*args)
    return run


def _weight_grad(conv, lib, w_shape, **kw):
    """(x, v) -> d<conv(x, w), v>/dw: the weight gradient as an op (Conv2dGradW)."""
    def fn(x, v):
        w = (torch.zeros if lib is torch else B.zeros)(*w_shape, dtype=x.dtype,
                                                       requires_grad=True)
        return _grad(lib)(conv(x, w, **kw), w, v, create_graph=True)[0]
    return _recording(lib, fn)


def _input_grad(pool, lib, **kw):
    """(x, v) -> d<pool(x), v>/dx at a fixed x, as a function of v (the pools' scatters)."""
    def fn(x, v):
        x = _leaf(x, lib)
        return _grad(lib)(pool(x, **kw), x, v, create_graph=True)[0]
    return _recording(lib, fn)


def _input_grad_adjoint(pool, lib, out_shape, **kw):
    """(x, u) -> the gradient of <scatter(v), u> with respect to v: MaxPoolGather."""
    def fn(x, u):
        x = _leaf(x, lib)
        v = (torch.zeros if lib is torch else B.zeros)(*out_shape, dtype=x.dtype,
                                                       requires_grad=True)
        s = _grad(lib)(pool(x, **kw), x, v, create_graph=True)[0]
        return _grad(lib)(s, v, u, create_graph=True)[0]
    return _recording(lib, fn)


def _unpool(lib):
    pool = TF.max_pool2d if lib is torch else BP.max_pool2d
    unpool = TF.max_unpool2d if lib is torch else BP.max_unpool2d

    def fn(y, x):
        _, idx = pool(x, 2, return_indices=True)
        return unpool(y, idx, 2, output_size=(5, 5))
    return fn


def Fixed(*shape):
    """A distinct-valued input that is not differentiated (the point a gradient is taken at)."""
    return Arg(Distinct(*shape).make, grad=False)


CASES = [
    # ---------------------------------------------------------- convolution
    C("conv2d", BC.conv2d, TF.conv2d, [U(2, 3, 5, 5), U(4, 3, 3, 3), U(4)]),
    C("conv2d_stride_pad", BC.conv2d, TF.conv2d, [U(2, 2, 6, 5), U(3, 2, 3, 2), U(3)],
      {"stride": (2, 1), "padding": (1, 2)}),
    C("conv2d_dilation_groups", BC.conv2d, TF.conv2d, [U(1, 4, 6, 6), U(6, 2, 2, 3)],
      {"dilation": (2, 1), "groups": 2, "padding": 1}),
    C("conv2d_same", BC.conv2d, TF.conv2d, [U(1, 2, 5, 4), U(2, 2, 2, 3), U(2)],
      {"padding": "same"}),
    # fewer output than input channels, stride 1: computed as the transpose of its full
    # convolution, whose own input gradient is a full convolution again
    C("conv2d_narrowing", BC.conv2d, TF.conv2d, [U(2, 4, 5, 6), U(2, 4, 3, 2), U(2)],
      {"padding": (2, 0)}, gradgrad=True),
    # 32 input channels, 2x2 kernel, 2 output columns: channels-last columns (_kernels_conv.py)
    C("conv2d_channels_last", BC.conv2d, TF.conv2d, [U(1, 32, 3, 3), U(2, 32, 2, 2), U(2)],
      {"stride": 2, "padding": 1}),
    C("conv2d_gradgrad", BC.conv2d, TF.conv2d, [U(1, 2, 4, 4), U(2, 2, 2, 2), U(2)],
      {"stride": 2, "padding": 1}, gradgrad=True),
    C("conv1d", BC.conv1d, TF.conv1d, [U(2, 2, 7), U(4, 1, 3), U(4)],
      {"stride": 2, "padding": 1, "groups": 2}),
    C("conv_transpose2d", BC.conv_transpose2d, TF.conv_transpose2d,
      [U(2, 2, 3, 3), U(2, 3, 3, 2), U(3)],
      {"stride": (2, 1), "padding": 1, "output_padding": (1, 0)}),
    # stride 1, widening: its forward is the full-convolution path of conv's input gradient
    C("conv_transpose2d_stride1", BC.conv_transpose2d, TF.conv_transpose2d,
      [U(2, 2, 4, 4), U(2, 3, 3, 3), U(3)], {"padding": 1}),
    C("conv_transpose2d_groups_dilation", BC.conv_transpose2d, TF.conv_transpose2d,
      [U(1, 4, 3, 3), U(4, 1, 2, 2)], {"groups": 2, "dilation": 2, "stride": 2},
      gradgrad=True),
    C("conv_transpose1d", BC.conv_transpose1d, TF.conv_transpose1d,
      [U(2, 2, 4), U(2, 3, 3), U(3)], {"stride": 2, "output_padding": 1}),
    C("conv2d_weight_grad", _weight_grad(BC.conv2d, B, (3, 2, 2, 2), stride=2, padding=1),
      _weight_grad(TF.conv2d, torch, (3, 2, 2, 2), stride=2, padding=1),
      [U(2, 2, 4, 4), U(2, 3, 3, 3)], gradgrad=True),
    # ---------------------------------------------------------- pooling
    C("max_pool2d", BP.max_pool2d, TF.max_pool2d, [Distinct(2, 2, 4, 6)], {"kernel_size": 2},
      gradgrad=True),
    C("max_pool2d_overlap_pad", BP.max_pool2d, TF.max_pool2d, [Distinct(1, 2, 5, 5)],
      {"kernel_size": 3, "stride": 2, "padding": 1, "return_indices": True}),
    C("max_pool2d_ceil_dilation", BP.max_pool2d, TF.max_pool2d, [Distinct(1, 2, 6, 7)],
      {"kernel_size": (2, 3), "stride": 2, "dilation": (2, 1), "ceil_mode": True}),
    C("max_pool1d", BP.max_pool1d, TF.max_pool1d, [Distinct(2, 2, 7)],
      {"kernel_size": 3, "stride": 2, "padding": 1}),
    C("max_pool2d_input_grad", _input_grad(BP.max_pool2d, B, kernel_size=3, stride=2),
      _input_grad(TF.max_pool2d, torch, kernel_size=3, stride=2),
      [Fixed(1, 2, 5, 5), U(1, 2, 2, 2)], gradgrad=True),
    C("max_pool2d_input_grad_adjoint",
      _input_grad_adjoint(BP.max_pool2d, B, (1, 2, 2, 2), kernel_size=3, stride=2),
      _input_grad_adjoint(TF.max_pool2d, torch, (1, 2, 2, 2), kernel_size=3, stride=2),
      [Fixed(1, 2, 5, 5), U(1, 2, 5, 5)]),
    C("avg_pool2d", BP.avg_pool2d, TF.avg_pool2d, [U(2, 2, 4, 6)], {"kernel_size": 2}),
    C("avg_pool2d_pad_ceil", BP.avg_pool2d, TF.avg_pool2d, [U(1, 2, 5, 6)],
      {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
       "count_include_pad": False}, gradgrad=True),
    C("avg_pool1d", BP.avg_pool1d, TF.avg_pool1d, [U(2, 2, 7)],
      {"kernel_size": 3, "stride": 2, "padding": 1}),
    C("avg_pool2d_input_grad", _input_grad(BP.avg_pool2d, B, kernel_size=3, stride=2, padding=1),
      _input_grad(TF.avg_pool2d, torch, kernel_size=3, stride=2, padding=1),
      [Fixed(1, 2, 5, 5), U(1, 2, 3, 3)]),
    C("adaptive_avg_pool2d", BA.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, [U(1, 2, 5, 7)],
      {"output_size": (3, 2)}),
    C("adaptive_avg_pool2d_global", BA.adaptive_avg_pool2d, TF.adaptive_avg_pool2d,
      [U(2, 3, 3, 3)], {"output_size": 1}),
    C("max_unpool2d", _unpool(B), _unpool(torch), [U(1, 2, 2, 2), Fixed(1, 2, 5, 5)]),
    # ---------------------------------------------------------- resizing
    C("interpolate_nearest", BU.interpolate, TF.interpolate, [U(1, 2, 3, 4)],
      {"scale_factor": 2}, gradgrad=True),  # 2 x 2: compiled (_kernels.nearest_up_2x2)
    C("interpolate_nearest_size", BU.interpolate, TF.interpolate, [U(1, 2, 3, 4)],
      {"size": (5, 3)}),
    # integer factors: one NearestUp primitive, BlockSum its derivative and the reverse
    C("interpolate_nearest_factors", BU.interpolate, TF.interpolate, [U(2, 2, 3, 4)],
      {"scale_factor": (3, 2)}, gradgrad=True),
    C("interpolate_nearest_1d", BU.interpolate, TF.interpolate, [U(2, 3, 4)],
      {"size": 12}),
    C("interpolate_nearest_one_dim", BU.interpolate, TF.interpolate, [U(1, 2, 3, 4)],
      {"size": (6, 3)}),
    C("block_sum", lambda a: BU.BlockSum.apply(a, factors=(2, 3)),
      lambda a: a.reshape(2, 2, 2, 2, 3, 3).sum((3, 5)), [U(2, 2, 4, 9)], gradgrad=True),
    C("block_sum_2x2", lambda a: BU.BlockSum.apply(a, factors=(2, 2)),
      lambda a: a.reshape(2, 2, 2, 2, 3, 2).sum((3, 5)), [U(2, 2, 4, 6)], gradgrad=True),
    C("interpolate_bilinear", BU.interpolate, TF.interpolate, [U(1, 2, 3, 4)],
      {"size": (5, 7), "mode": "bilinear", "align_corners": False}),
    C("interpolate_bilinear_corners", BU.interpolate, TF.interpolate, [U(1, 2, 3, 4)],
      {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}),
    C("pixel_shuffle", BU.pixel_shuffle, TF.pixel_shuffle, [U(1, 8, 2, 3)],
      {"upscale_factor": 2}),
]


# ----------------------------------------------------------------- shared by test_conv/test_pool
def check_against_torch(b_fn, t_fn, arrays, grad_mask=None, dtype="float64", kwargs=None,
                        seed=0):
    """Run both functions on the same inputs (cast to dtype) and compare outputs and input
    gradients (rtol 1e-6 in float64, 1e-4 in float32; atol scaled by the largest value, as
    float32 sums of thousands of terms cancel). Returns the brique outputs."""
    import numpy as np
    kwargs = kwargs or {}
    rtol, atol = (1e-6, 1e-9) if dtype == "float64" else (1e-4, 1e-5)

    def close(got, want, **kw):
        scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol * scale, **kw)

    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    mask = grad_mask or [a.dtype.kind == "f" for a in arrays]
    bt = [B.tensor(a, requires_grad=m) for a, m in zip(arrays, mask)]
    tt = [torch.tensor(a, requires_grad=m) for a, m in zip(arrays, mask)]
    bo, to = b_fn(*bt, **kwargs), t_fn(*tt, **kwargs)
    bo = list(bo) if isinstance(bo, (tuple, list)) else [bo]
    to = list(to) if isinstance(to, (tuple, list)) else [to]
    assert len(bo) == len(to)
    rng = np.random.default_rng(seed)
    live_b, live_t, vs = [], [], []
    for b, t in zip(bo, to):
        assert tuple(b.shape) == tuple(t.shape), f"shape {tuple(b.shape)} != {tuple(t.shape)}"
        assert str(b.dtype) == str(t.dtype).replace("torch.", ""), (b.dtype, t.dtype)
        close(b.detach().numpy(), t.detach().numpy())
        if t.requires_grad:
            v = rng.standard_normal(t.shape).astype(dtype)
            live_b.append(b), live_t.append(t), vs.append(v)
    if live_b:
        wb = [x for x, m in zip(bt, mask) if m]
        wt = [x for x, m in zip(tt, mask) if m]
        gb = B.grad(live_b, wb, [B.tensor(v) for v in vs], allow_unused=True)
        gt = torch.autograd.grad(live_t, wt, [torch.tensor(v) for v in vs], allow_unused=True)
        for i, (g1, g2) in enumerate(zip(gb, gt)):
            if g2 is None:
                assert g1 is None or not g1.numpy().any()
                continue
            assert str(g1.dtype) == dtype
            close(g1.numpy(), g2.numpy(), err_msg=f"gradient of input {i}")
    return bo
