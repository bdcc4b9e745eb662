"""conv1d, conv2d, conv_transpose1d/2d against torch.nn.functional (float64 and float32), their
double backward against PyTorch's, and the error messages. Finite-difference checks of the
primitives live in the registry (cases_conv.py, run by test_gradcheck.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import brique as B
from brique.ops import _columns, _kernels, _threads, conv as BC
from cases_conv import CASES, check_against_torch

DTYPES = ["float64", "float32"]
rng = np.random.default_rng(0)


def draw(*shapes):
    return [rng.standard_normal(s) for s in shapes]


# (input shape, weight shape, bias?, kwargs)
CONV2D = [
    ((2, 3, 7, 8), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 8), (4, 3, 3, 2), False, {"stride": 2}),
    ((2, 3, 7, 8), (4, 3, 3, 3), True, {"stride": (2, 3), "padding": (1, 2)}),
    ((1, 2, 9, 9), (3, 2, 3, 3), True, {"dilation": 2, "padding": 2}),
    ((2, 4, 6, 7), (6, 2, 3, 3), True, {"groups": 2, "padding": 1}),
    ((2, 4, 6, 7), (4, 1, 3, 3), False, {"groups": 4, "stride": 2, "padding": 1}),  # depthwise
    ((2, 3, 6, 7), (4, 3, 4, 3), True, {"padding": "same"}),
    ((2, 4, 6, 7), (4, 2, 2, 3), True, {"padding": "same", "dilation": (3, 2), "groups": 2}),
    ((2, 3, 5, 6), (4, 3, 3, 3), True, {"padding": "valid"}),
    ((2, 3, 5, 6), (5, 3, 1, 1), True, {}),
    ((3, 7, 8), (4, 3, 3, 3), True, {"padding": 1}),  # unbatched
    ((4, 1, 28, 28), (6, 1, 5, 5), True, {"padding": 2}),  # LeNet's first layer
    ((4, 16, 28, 28), (1, 16, 3, 3), True, {"padding": 1}),  # conv AE's last: full-conv grad
    ((2, 8, 9, 7), (8, 8, 3, 3), True, {"padding": (2, 0)}),  # O == C, uneven padding
    ((2, 6, 7, 8), (4, 6, 3, 3), True, {"padding": 1}),  # O < C: computed as its transpose
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs,ws,bias,kw", CONV2D)
def test_conv2d_matches_torch(xs, ws, bias, kw, dtype):
    arrays = draw(xs, ws, (ws[0],)) if bias else draw(xs, ws)
    check_against_torch(BC.conv2d, TF.conv2d, arrays, dtype=dtype, kwargs=kw)


@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("xs,ws,bias,kw", [c for c in CONV2D if len(c[0]) == 4])
def test_conv2d_in_chunks_of_one_image_matches_torch(xs, ws, bias, kw, numba, parallel,
                                                      monkeypatch):
    """Batches go through a conv in chunks whose columns fit in the cache (_CHUNK_BYTES); with
    one image per chunk every chunk boundary is crossed, with and without the compiled
    kernels, on one thread (columns kept for the weight gradient) or on every core (columns
    built again; _PARALLEL_BYTES). The backward runs the input gradient (conv_transpose2d's
    forward) and the weight gradient in chunks too."""
    monkeypatch.setattr(_columns, "_CHUNK_BYTES", 1)
    monkeypatch.setattr(_columns, "_PARALLEL_BYTES", 0 if parallel else 1 << 62)
    monkeypatch.setattr(_kernels, "ENABLED", numba and _kernels.ENABLED)
    parts = []
    run = _threads.run
    monkeypatch.setattr(_threads, "run", lambda fn, items, parallel: parts.append(parallel) or
                        run(fn, items, parallel))
    arrays = draw(xs, ws, (ws[0],)) if bias else draw(xs, ws)
    check_against_torch(BC.conv2d, TF.conv2d, arrays, dtype="float64", kwargs=kw)
    assert any(parts) == (parallel and xs[0] > 1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("per_chunk", [1, 2])
@pytest.mark.parametrize("xs,ws,pad", [((3, 8, 9, 7), (8, 8, 3, 3), (1, 1)),
                                       ((3, 16, 6, 5), (16, 16, 3, 3), (1, 1)),  # one GEMM
                                       ((3, 6, 8, 8), (4, 6, 5, 5), (2, 2)),
                                       ((3, 5, 7, 6), (5, 5, 2, 3), (1, 0))])
def test_conv2d_gradients_from_shared_columns_match_torch(xs, ws, pad, per_chunk, dtype,
                                                          monkeypatch):
    """A stride-1 conv that does not widen the channels and keeps no columns (a big one: on
    every core) gets its input and weight gradients from one set of columns, those of the
    output gradient's full convolution (_columns._conv_grads), chunk by chunk: chunks of one
    image and of two, per-image GEMMs and (16 channels) one GEMM per chunk."""
    full_columns = ws[0] * ws[2] * ws[3] * xs[2] * xs[3] * np.dtype(dtype).itemsize
    monkeypatch.setattr(_columns, "_CHUNK_BYTES", per_chunk * full_columns)
    monkeypatch.setattr(_columns, "_PARALLEL_BYTES", 0)
    calls, real = [], BC._conv_grads
    monkeypatch.setattr(BC, "_conv_grads", lambda *a: calls.append(1) or real(*a))
    check_against_torch(BC.conv2d, TF.conv2d, draw(xs, ws, (ws[0],)), dtype=dtype,
                        kwargs={"padding": pad})
    assert calls


CONV1D = [
    ((2, 3, 9), (4, 3, 3), True, {}),
    ((2, 4, 10), (6, 2, 3), True, {"stride": 2, "padding": 1, "groups": 2}),
    ((2, 3, 9), (4, 3, 4), False, {"padding": "same", "dilation": 2}),
    ((3, 9), (4, 3, 3), True, {"padding": 1}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs,ws,bias,kw", CONV1D)
def test_conv1d_matches_torch(xs, ws, bias, kw, dtype):
    arrays = draw(xs, ws, (ws[0],)) if bias else draw(xs, ws)
    check_against_torch(BC.conv1d, TF.conv1d, arrays, dtype=dtype, kwargs=kw)


# (input shape, weight shape (C_in, C_out/groups, kh, kw), bias?, kwargs)
CONV_T2D = [
    ((2, 3, 4, 5), (3, 4, 3, 3), True, {}),
    ((2, 3, 4, 5), (3, 4, 3, 2), True, {"stride": 2, "padding": 1, "output_padding": 1}),
    ((2, 3, 4, 5), (3, 2, 3, 3), False, {"stride": (2, 3), "output_padding": (0, 2)}),
    ((2, 4, 4, 5), (4, 3, 3, 3), True, {"groups": 2, "stride": 2, "padding": 1}),
    ((1, 2, 4, 4), (2, 3, 2, 3), True, {"dilation": (2, 1), "stride": 3, "output_padding": 1}),
    ((2, 4, 4), (2, 3, 3, 3), True, {"padding": 1}),  # unbatched
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xs,ws,bias,kw", CONV_T2D)
def test_conv_transpose2d_matches_torch(xs, ws, bias, kw, dtype):
    groups = kw.get("groups", 1)
    arrays = draw(xs, ws, (ws[1] * groups,)) if bias else draw(xs, ws)
    check_against_torch(BC.conv_transpose2d, TF.conv_transpose2d, arrays, dtype=dtype,
                        kwargs=kw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_transpose1d_matches_torch(dtype):
    check_against_torch(BC.conv_transpose1d, TF.conv_transpose1d,
                        draw((2, 4, 5), (4, 3, 3), (6,)), dtype=dtype,
                        kwargs={"stride": 2, "padding": 1, "output_padding": 1, "groups": 2})


def test_input_without_grad_and_float32_stays_float32():
    x = B.tensor(rng.standard_normal((2, 1, 8, 8)).astype(np.float32))
    w = B.tensor(rng.standard_normal((3, 1, 3, 3)).astype(np.float32), requires_grad=True)
    y = BC.conv2d(x, w, padding=1)
    assert y.dtype == B.float32 and y.shape == (2, 3, 8, 8)
    y.sum().backward()
    assert w.grad.dtype == B.float32 and x.grad is None


@pytest.mark.parametrize("fn,kw", [
    (BC.conv2d, {"stride": 2, "padding": 1, "groups": 2}),
    (BC.conv_transpose2d, {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
])
def test_double_backward_matches_torch(fn, kw):
    """Second derivatives: the gradient of <(dx, dw, db), u> with respect to x, w, b and the
    upstream gradient v, against PyTorch's double backward."""
    tfn = {BC.conv2d: TF.conv2d, BC.conv_transpose2d: TF.conv_transpose2d}[fn]
    x, w, b = draw((2, 4, 5, 5), (4, 2, 3, 3), (4,))

    def run(lib, f):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = f(*ts, **kw)
        v = lib.tensor(np.cos(np.arange(np.prod(y.shape))).reshape(tuple(y.shape)),
                       requires_grad=True)
        grad = torch.autograd.grad if lib is torch else B.grad
        gs = grad([y], ts, [v], create_graph=True)
        s = sum((g * lib.tensor(np.sin(np.arange(np.prod(g.shape))).reshape(tuple(g.shape))))
                .sum() for g in gs)
        second = grad([s], ts + [v], allow_unused=True)  # none for b: the bias is linear
        return [0.0 if g is None else np.asarray(g.detach()) for g in second]

    for got, want in zip(run(B, fn), run(torch, tfn)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", ["float64"])
@pytest.mark.parametrize("case", [c for c in CASES if c.torch_fn is not None],
                         ids=lambda c: c.name)
def test_registry_cases_match_torch(case, dtype):
    arrays = case.draw(np.float64)
    check_against_torch(lambda *t: case.fn(*t, **case.kwargs),
                        lambda *t: case.torch_fn(*t, **case.kwargs),
                        arrays, grad_mask=case.grad_mask(arrays), dtype=dtype)


# ----------------------------------------------------------------- errors


def test_channel_mismatch_names_the_shapes():
    x, w = B.zeros(8, 1, 28, 28), B.zeros(16, 3, 5, 5)
    with pytest.raises(ValueError, match=r"conv2d: expected input with 3 channels \(weight "
                       r"shape \(16, 3, 5, 5\), groups=1\), got input of shape \(8, 1, 28, 28\)"):
        BC.conv2d(x, w)


@pytest.mark.parametrize("call,match", [
    (lambda: BC.conv2d(B.zeros(3, 8), B.zeros(4, 3, 3, 3)), "conv2d: expected a 3-D"),
    (lambda: BC.conv2d(B.zeros(1, 3, 8, 8), B.zeros(4, 3, 3)), "expected a 4-D weight"),
    (lambda: BC.conv2d(B.zeros(1, 4, 8, 8), B.zeros(6, 2, 3, 3), groups=4), "groups=4"),
    (lambda: BC.conv2d(B.zeros(1, 3, 8, 8), B.zeros(4, 3, 3, 3), B.zeros(3)), "bias of shape"),
    (lambda: BC.conv2d(B.zeros(1, 3, 8, 8), B.zeros(4, 3, 3, 3), stride=2, padding="same"),
     "'same' is not supported for strided"),
    (lambda: BC.conv2d(B.zeros(1, 3, 2, 2), B.zeros(4, 3, 3, 3)), "smaller than the dilated"),
    (lambda: BC.conv2d(B.zeros(1, 3, 8, 8), B.zeros(4, 3, 3, 3), padding="full"),
     "'valid' or 'same'"),
    (lambda: BC.conv1d(B.zeros(2, 3, 8), B.zeros(4, 2, 3)), "conv1d: expected input with 2"),
    (lambda: BC.conv_transpose2d(B.zeros(1, 3, 4, 4), B.zeros(2, 4, 3, 3)),
     "conv_transpose2d: expected input with 2 channels"),
    (lambda: BC.conv_transpose2d(B.zeros(1, 3, 4, 4), B.zeros(3, 4, 3, 3), stride=2,
                                 output_padding=2), "output_padding"),
])
def test_bad_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_dtype_mismatch_raises_type_error():
    with pytest.raises(TypeError, match="same floating dtype"):
        BC.conv2d(B.zeros(1, 3, 8, 8, dtype=B.float64), B.zeros(4, 3, 3, 3))
