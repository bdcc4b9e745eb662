"""Pooling, unpooling, interpolate and pixel_shuffle against torch.nn.functional (float64 and
float32), tie and NaN behaviour of max-pool, and the error messages. Finite-difference checks
of the primitives live in the registry (cases_conv.py, run by test_gradcheck.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import brique as B
from brique.ops import adaptive_pool as BA
from brique.ops import pool as BP
from brique.ops import upsample as BU
from cases_conv import check_against_torch

DTYPES = ["float64", "float32"]
rng = np.random.default_rng(1)


def draw(*shape):
    return rng.standard_normal(shape)


MAX_POOL2D = [
    {"kernel_size": 2},
    {"kernel_size": 2, "stride": 2, "return_indices": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "return_indices": True},
    {"kernel_size": 3, "stride": 1, "padding": 1},
    {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True, "return_indices": True},
    {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "dilation": 2, "padding": 1, "ceil_mode": True},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", MAX_POOL2D)
def test_max_pool2d_matches_torch(kw, dtype):
    check_against_torch(BP.max_pool2d, TF.max_pool2d, [draw(2, 3, 9, 10)], dtype=dtype,
                        kwargs=kw)


@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1,
                                                     "return_indices": True, "ceil_mode": True}])
@pytest.mark.parametrize("shape", [(2, 3, 11), (3, 11)])
def test_max_pool1d_matches_torch(kw, shape):
    check_against_torch(BP.max_pool1d, TF.max_pool1d, [draw(*shape)], kwargs=kw)


def test_max_pool2d_unbatched():
    check_against_torch(BP.max_pool2d, TF.max_pool2d, [draw(3, 6, 6)],
                        kwargs={"kernel_size": 2, "return_indices": True})


def test_max_pool_ties_pick_the_first_maximum_as_torch():
    """After a ReLU most windows are all zeros: the gradient goes to one element per window,
    the first in scan order, as in PyTorch."""
    x = np.maximum(draw(2, 3, 8, 8), 0)
    x[0, 0, :2, :2] = 1.5
    for kw in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1}):
        check_against_torch(BP.max_pool2d, TF.max_pool2d, [x], kwargs=dict(kw, return_indices=True))


def test_max_pool_propagates_nan():
    x = draw(1, 1, 4, 4)
    x[0, 0, 1, 0] = np.nan
    y, idx = BP.max_pool2d(B.tensor(x), 2, return_indices=True)
    yt, it = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(np.isnan(y.numpy()), np.isnan(yt.numpy()))
    np.testing.assert_array_equal(idx.numpy(), it.numpy())


AVG_POOL2D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1), "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 2, "stride": 1, "divisor_override": 3},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", AVG_POOL2D)
def test_avg_pool2d_matches_torch(kw, dtype):
    check_against_torch(BP.avg_pool2d, TF.avg_pool2d, [draw(2, 3, 9, 10)], dtype=dtype,
                        kwargs=kw)


@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1,
                                                     "ceil_mode": True,
                                                     "count_include_pad": False}])
def test_avg_pool1d_matches_torch(kw):
    check_against_torch(BP.avg_pool1d, TF.avg_pool1d, [draw(2, 3, 11)], kwargs=kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, (3, 5), (4, 4), (None, 3), (9, 10), (2, 7)])
def test_adaptive_avg_pool2d_matches_torch(size, dtype):
    check_against_torch(BA.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, [draw(2, 3, 8, 10)],
                        dtype=dtype, kwargs={"output_size": size})


def test_adaptive_pools_1d_and_max():
    check_against_torch(BA.adaptive_avg_pool1d, TF.adaptive_avg_pool1d, [draw(2, 3, 10)],
                        kwargs={"output_size": 4})
    check_against_torch(BA.adaptive_max_pool2d, TF.adaptive_max_pool2d, [draw(2, 3, 8, 10)],
                        kwargs={"output_size": (4, 5), "return_indices": True})
    for n in (4, 5, 3):
        check_against_torch(BA.adaptive_max_pool1d, TF.adaptive_max_pool1d, [draw(2, 3, 10)],
                            kwargs={"output_size": n, "return_indices": True})
        check_against_torch(BA.adaptive_max_pool1d, TF.adaptive_max_pool1d, [draw(3, 10)],
                            kwargs={"output_size": n})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [3, (3, 7), (None, 4), (9, 10), (5, 1)])
def test_adaptive_max_pool2d_windows_that_do_not_divide(size, dtype):
    x = draw(2, 3, 7, 9)
    x[0, 0, :3, :4] = 0.0       # ties: the first maximum takes the gradient
    x[1, 2, 4, 5] = np.nan      # NaN wins its windows
    check_against_torch(BA.adaptive_max_pool2d, TF.adaptive_max_pool2d, [x], dtype=dtype,
                        kwargs={"output_size": size, "return_indices": True})
    check_against_torch(BA.adaptive_max_pool2d, TF.adaptive_max_pool2d, [draw(3, 7, 9)],
                        dtype=dtype, kwargs={"output_size": size})


@pytest.mark.parametrize("kw,out", [({"kernel_size": 2}, None),
                                    ({"kernel_size": 3, "stride": 2, "padding": 1}, (9, 10)),
                                    ({"kernel_size": 2}, (2, 3, 9, 11))])
def test_max_unpool2d_matches_torch(kw, out):
    x = draw(2, 3, 9, 10)
    y, idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    unpool_kw = {k: v for k, v in kw.items()}
    check_against_torch(lambda t, i: BP.max_unpool2d(t, i, output_size=out, **unpool_kw),
                        lambda t, i: TF.max_unpool2d(t, i, output_size=out, **unpool_kw),
                        [y.numpy(), idx.numpy()])


def test_max_pool_then_unpool_roundtrip():
    x = B.tensor(np.abs(draw(2, 3, 8, 8)) + 0.1)  # positive: the zeros stay below the maxima
    y, idx = BP.max_pool2d(x, 2, return_indices=True)
    back = BP.max_unpool2d(y, idx, 2)
    assert back.shape == x.shape
    np.testing.assert_array_equal(BP.max_pool2d(back, 2).numpy(), y.numpy())


INTERPOLATE = [
    {"scale_factor": 2},
    {"scale_factor": 3, "mode": "nearest"},
    {"size": (5, 13)},
    {"scale_factor": (1.5, 0.5)},
    {"size": (5, 13), "mode": "nearest-exact"},
    {"scale_factor": 2, "mode": "bilinear", "align_corners": False},
    {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
    {"size": (4, 13), "mode": "bilinear"},
    {"size": (11, 3), "mode": "bilinear", "align_corners": True},
    {"scale_factor": 0.6, "mode": "bilinear"},
    {"size": (3, 4), "mode": "area"},
    {"scale_factor": 2, "mode": "bicubic"},
    {"size": (11, 3), "mode": "bicubic", "align_corners": True},
    {"scale_factor": (1.7, 0.6), "mode": "bicubic"},
    {"size": (1, 4), "mode": "bicubic", "align_corners": True},
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", INTERPOLATE)
def test_interpolate_matches_torch(kw, dtype):
    check_against_torch(BU.interpolate, TF.interpolate, [draw(2, 3, 6, 7)], dtype=dtype,
                        kwargs=kw)


@pytest.mark.parametrize("kw", [{"scale_factor": 2}, {"size": 9, "mode": "linear"},
                                {"scale_factor": 1.7, "mode": "linear", "align_corners": True},
                                {"size": 4, "mode": "area"}])
def test_interpolate_1d_matches_torch(kw):
    check_against_torch(BU.interpolate, TF.interpolate, [draw(2, 3, 7)], kwargs=kw)


def test_upsample_aliases():
    x = draw(1, 2, 3, 4)
    check_against_torch(BU.upsample, TF.interpolate, [x], kwargs={"scale_factor": 2})
    check_against_torch(BU.upsample_bilinear, TF.upsample_bilinear, [x],
                        kwargs={"size": (5, 6)})
    check_against_torch(BU.upsample_nearest, TF.upsample_nearest, [x], kwargs={"size": (5, 6)})


@pytest.mark.parametrize("dtype", DTYPES)
def test_pixel_shuffle_and_unshuffle_match_torch(dtype):
    check_against_torch(BU.pixel_shuffle, TF.pixel_shuffle, [draw(2, 18, 3, 4)], dtype=dtype,
                        kwargs={"upscale_factor": 3})
    check_against_torch(BU.pixel_unshuffle, TF.pixel_unshuffle, [draw(2, 2, 6, 4)],
                        dtype=dtype, kwargs={"downscale_factor": 2})


# ----------------------------------------------------------------- errors


@pytest.mark.parametrize("call,exc,match", [
    (lambda: BP.max_pool2d(B.zeros(4, 4), 2), ValueError, "max_pool2d: expected a 3-D"),
    (lambda: BP.max_pool2d(B.zeros(1, 1, 4, 4), 2, padding=2), ValueError, "at most half"),
    (lambda: BP.max_pool2d(B.zeros(1, 1, 2, 2), 3), ValueError, "too small"),
    (lambda: BP.avg_pool1d(B.zeros(1, 1, 2, 2), 2), ValueError, "avg_pool1d: expected a 2-D"),
    (lambda: BP.max_unpool2d(B.zeros(1, 1, 2, 2), B.zeros(1, 1, 2, 2, dtype=B.int64) + 99, 2),
     ValueError, "out of range"),
    (lambda: BU.interpolate(B.zeros(1, 1, 4, 4)), ValueError, "exactly one of size"),
    (lambda: BU.interpolate(B.zeros(1, 1, 4, 4), scale_factor=2, mode="trilinear"),
     ValueError, "5-D input"),
    (lambda: BU.interpolate(B.zeros(1, 1, 4), scale_factor=2, mode="bicubic"), ValueError,
     "4-D input"),
    (lambda: BU.interpolate(B.zeros(1, 1, 4), scale_factor=2, mode="bilinear"), ValueError,
     "4-D input"),
    (lambda: BU.pixel_shuffle(B.zeros(1, 3, 2, 2), 2), ValueError, "divisible"),
])
def test_bad_arguments_raise(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# no grid point exactly on a pixel, where bilinear weights have a kink
THETA = np.array([[[0.9, 0.3, 0.13], [-0.2, 1.1, 0.07]], [[1.4, 0.0, -0.31], [0.1, 0.7, 0.41]]])


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_grid_sample_matches_torch(mode, padding, align):
    grid = np.random.default_rng(3).uniform(-1.6, 1.6, (2, 4, 7, 2))  # some points outside
    for dtype in DTYPES:
        check_against_torch(
            lambda x, g: BU.grid_sample(x, g, mode, padding, align),
            lambda x, g: TF.grid_sample(x, g, mode, padding, align),
            [draw(2, 3, 5, 6), grid], dtype=dtype)


@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_then_sample_matches_torch(align):
    size = (2, 3, 7, 4)
    check_against_torch(
        lambda t, x: BU.grid_sample(x, BU.affine_grid(t, size, align), align_corners=align),
        lambda t, x: TF.grid_sample(x, TF.affine_grid(t, size, align), align_corners=align),
        [THETA, draw(2, 3, 5, 6)])
