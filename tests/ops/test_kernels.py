"""The compiled kernels (brique/ops/_kernels.py, _kernels_rnn.py; numba) against the NumPy
code they replace: same values and gradients on random inputs, across stride, padding,
dilation, groups, dtypes, large and small images. Skipped when numba is not installed."""
import numpy as np
import pytest

pytest.importorskip("numba")

import brique  # noqa: E402
import brique.nn.functional as F  # noqa: E402
from brique.ops import _columns, _kernels, _kernels_conv, conv  # noqa: E402


def run(enabled, monkeypatch, fn, arrays, grads=True):
    """fn's output and the gradients of sum(output * r) for its inputs, kernels on or off."""
    monkeypatch.setattr(_kernels, "ENABLED", enabled)
    ts = [brique.tensor(a, requires_grad=grads) for a in arrays]
    out = fn(*ts)
    out = out[0] if isinstance(out, tuple) else out
    if not grads:
        return [out.detach().numpy()]
    r = np.random.default_rng(1).standard_normal(out.shape).astype(arrays[0].dtype)
    (out * brique.tensor(r)).sum().backward()
    return [out.detach().numpy()] + [t.grad.numpy() for t in ts]


def assert_same(fn, arrays, monkeypatch, exact=False, grads=True, scaled=False):
    """scaled: float32 tolerances as the PyTorch comparisons' (rtol 1e-4, atol 1e-5 times the
    largest value), for kernels whose own tanh differs from NumPy's by a few ulp and whose
    gradients go through a recurrence."""
    fast = run(True, monkeypatch, fn, arrays, grads)
    slow = run(False, monkeypatch, fn, arrays, grads)
    tol = 0 if exact else (1e-5 if arrays[0].dtype == np.float32 else 1e-12)
    for a, b in zip(fast, slow):
        if scaled:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(b).max()))
        else:
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


CONVS = [  # x shape, w shape, kwargs
    ((2, 3, 9, 11), (4, 3, 3, 3), {}),
    ((2, 3, 9, 11), (4, 3, 3, 2), dict(stride=2, padding=1)),
    ((2, 3, 10, 10), (4, 3, 2, 3), dict(padding="same", dilation=(2, 1))),  # uneven padding
    ((2, 4, 12, 9), (6, 2, 3, 3), dict(stride=(1, 2), padding=(2, 0), dilation=2, groups=2)),
    ((3, 1, 28, 28), (6, 1, 5, 5), dict(padding=2)),    # LeNet conv1: per-image GEMMs
    ((3, 6, 14, 14), (16, 6, 5, 5), {}),                 # LeNet conv2: one GEMM
    ((2, 4, 20, 20), (4, 1, 3, 3), dict(padding=1, groups=4)),  # depthwise, large image
    # channels-last columns (kw * C > 2 ow): both gradients from gy's columns, stride,
    # dilation (windows not inside the image), uneven padding
    ((2, 32, 6, 5), (32, 32, 3, 3), dict(padding=1)),
    ((2, 32, 7, 7), (8, 32, 3, 3), dict(stride=2, padding=1)),
    ((1, 32, 9, 8), (4, 32, 3, 2), dict(dilation=2, padding=(2, 1))),
    ((2, 40, 5, 4), (40, 40, 2, 3), dict(padding="same")),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs, ws, kw", CONVS)
def test_conv2d_kernels_match_numpy(xs, ws, kw, dtype, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in (xs, ws, ws[:1])]
    # channels-last columns sum the products in another order: float32 tolerances
    assert_same(lambda x, w, b: F.conv2d(x, w, b, **kw), arrays, monkeypatch,
                scaled=dtype == np.float32)


@pytest.mark.parametrize("xs, ws", [((2, 4, 7, 6), (4, 3, 3, 3)),
                                    ((2, 8, 5, 4), (8, 32, 3, 3))])  # channels-last
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_transpose2d_kernels_match_numpy(xs, ws, dtype, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in (xs, ws, ws[1:2])]
    assert_same(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                   output_padding=1), arrays, monkeypatch,
                scaled=dtype == np.float32)


@pytest.mark.parametrize("xs, ws, kw", CONVS)
def test_im2col_col2im_exact_and_adjoint(xs, ws, kw, monkeypatch):
    """The compiled copies are exact; col2im is im2col's adjoint: <im2col x, c> = <x, col2im c>."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs)
    stride, dilation = _pair(kw.get("stride", 1)), _pair(kw.get("dilation", 1))
    pads = conv._padding("t", kw.get("padding", 0), ws[2:], stride, dilation, 2)
    g = conv.Geom(xs[2], xs[3], ws[2], ws[3], stride, pads[0] + pads[1], dilation,
                  kw.get("groups", 1))
    cols_shape = (xs[1], ws[2], ws[3], xs[0], g.oh, g.ow)

    def im2col(x):
        return _columns.im2col(x, g, np.empty(cols_shape))

    def col2im(c):
        return _columns.col2im(c, g, np.empty(xs))

    monkeypatch.setattr(_kernels, "ENABLED", True)
    fast = im2col(x)
    c = rng.standard_normal(fast.shape)
    back_fast = col2im(c)
    back_view = col2im(np.ascontiguousarray(c.transpose(3, 0, 1, 2, 4, 5))
                       .transpose(1, 2, 3, 0, 4, 5))  # strided columns
    monkeypatch.setattr(_kernels, "ENABLED", False)
    np.testing.assert_array_equal(fast, im2col(x))
    np.testing.assert_allclose(back_fast, col2im(c), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(back_view, back_fast, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((fast * c).sum(), (x * back_fast).sum(), rtol=1e-10)
    if kw.get("groups", 1) == 1:  # the channels-last columns hold the same values, permuted
        last = _kernels_conv.im2col_last(x, g, np.empty(
            (xs[0], g.oh, g.ow, ws[2], ws[3], xs[1])))
        np.testing.assert_array_equal(last, fast.transpose(3, 4, 5, 1, 2, 0))
        c_last = np.ascontiguousarray(c.transpose(3, 4, 5, 1, 2, 0))
        np.testing.assert_allclose(_kernels_conv.col2im_last(c_last, g, np.empty(xs)),
                                   back_fast, rtol=1e-12, atol=1e-12)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


POOLS = [  # kwargs; only the first is the compiled forward, the others test the scatter
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=1, padding=1, dilation=2),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", POOLS)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_kernels_match_numpy(kw, dtype, ties, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 8)).astype(dtype)
    if ties:  # after a ReLU: whole windows of zeros, the first offset must win
        x = np.maximum(x, 0)
    assert_same(lambda t: F.max_pool2d(t, **kw), [x], monkeypatch)  # overlaps: sums reorder
    assert_same(lambda t: F.max_pool2d(t, return_indices=True, **kw)[1], [x], monkeypatch,
                exact=True, grads=False)


def test_max_pool_kernel_nan_and_inf(monkeypatch):
    """PyTorch's scan with NaN (a later NaN wins) and -inf windows, as the NumPy code."""
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 6)).astype(np.float32)
    x[0, 0, 0, 1] = x[0, 0, 1, 1] = np.nan
    x[0, 1, 2:4, 2:4] = -np.inf
    x[0, 1, 0, 0] = np.nan
    assert_same(lambda t: F.max_pool2d(t, 2), [x], monkeypatch, exact=True)
    assert_same(lambda t: F.max_pool2d(t, 2, return_indices=True)[1], [x], monkeypatch,
                exact=True, grads=False)


def test_switch_is_off_for_other_arrays():
    """float16 and integer arrays take the NumPy code (as would CuPy arrays)."""
    assert not _kernels.usable(np.zeros(3, np.float16))
    assert not _kernels.usable(np.zeros(3, np.int64))
    assert not _kernels.usable([1.0, 2.0])


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_step_kernels_match_numpy(reverse, monkeypatch):
    """The compiled float32 LSTM steps (their own tanh, within 3e-7 of tanh) against the
    NumPy loop: the hidden states, the final cell state and every input's gradient."""
    from brique.ops import recurrent
    rng = np.random.default_rng(0)
    L, N, H = 6, 5, 7
    arrays = [(rng.standard_normal(s) * 2).astype(np.float32)
              for s in ((L, N, 4 * H), (4 * H, H), (N, H), (N, H))]
    assert_same(lambda *ts: recurrent.LSTMLayer.apply(*ts, reverse=reverse), arrays,
                monkeypatch, scaled=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 3, 5, 4), (16, 6), (4, 5, 7)])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("parallel", [True, False])
def test_batch_norm_kernels_match_numpy(shape, affine, dtype, parallel, monkeypatch):
    """The compiled per-channel batch norm against the NumPy code: output, the gradients of
    input, weight and bias, and the running statistics it updates; its channels on one
    thread, or split between the cores."""
    monkeypatch.setattr(_kernels, "_PARALLEL_BN_BYTES", 0 if parallel else 1 << 62)
    rng = np.random.default_rng(0)
    C = shape[1]
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    params = [rng.standard_normal(C).astype(dtype) for _ in range(2)] if affine else []

    def fn(x, *wb):
        stats = [brique.zeros(C, dtype=x.dtype), brique.ones(C, dtype=x.dtype)]
        return F.batch_norm(x, *stats, *(wb or (None, None)), training=True), stats

    assert_same(fn, [x] + params, monkeypatch)  # compares the output and the gradients
    for on in (True, False):
        monkeypatch.setattr(_kernels, "ENABLED", on)
        running = fn(brique.tensor(x), *map(brique.tensor, params))[1]
        if on:
            fast = [r.numpy() for r in running]
    for a, b in zip(fast, running):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_step_kernels_match_numpy(reverse, bias, monkeypatch):
    """The compiled float32 GRU steps against the NumPy loop: hidden states and gradients."""
    from brique.ops import recurrent
    rng = np.random.default_rng(0)
    L, N, H = 6, 5, 7
    shapes = [(L, N, 3 * H), (3 * H, H)] + [(3 * H,)] * bias + [(N, H)]
    arrays = [(rng.standard_normal(s) * 2).astype(np.float32) for s in shapes]

    def gru(xproj, w_hh, *rest):
        b_hh, h0 = rest if bias else (None, rest[0])
        return recurrent.GRULayer.apply(xproj, w_hh, b_hh, h0, reverse=reverse)
    assert_same(gru, arrays, monkeypatch, scaled=True)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_loop_kernels_match_numpy(reverse, nonlinearity, monkeypatch):
    """The compiled float32 RNN loop against the NumPy one: hidden states and gradients."""
    from brique.ops import recurrent
    rng = np.random.default_rng(0)
    L, N, H = 6, 5, 7
    arrays = [(rng.standard_normal(s) * 2).astype(np.float32)
              for s in ((L, N, H), (H, H), (N, H))]
    arrays[1] *= 0.3  # ReLU states that neither die nor blow up
    assert_same(lambda *ts: recurrent.RNNLayer.apply(*ts, reverse=reverse,
                                                     nonlinearity=nonlinearity),
                arrays, monkeypatch, scaled=True)


@pytest.mark.parametrize("shape", [(4, 16, 64, 64), (4, 4, 16, 16)], ids=["split", "one_core"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", [F.relu, lambda x: F.leaky_relu(x, 0.2), F.leaky_relu],
                         ids=["relu", "leaky_0.2", "leaky_default"])
def test_leaky_kernel_matches_numpy_bit_for_bit(fn, dtype, shape, monkeypatch):
    """ReLU's forward (_kernels.clamp_min) and backward and LeakyReLU's forward and backward
    (_kernels.leaky), on arrays big enough for the kernels, split between the cores or not,
    with zeros, NaN and infinities."""
    from brique.ops import elementwise, _threads
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    x.reshape(-1)[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, -1e-30]
    assert x.size >= elementwise._LEAKY_MIN
    assert (x.nbytes >= _threads.ELEMENTWISE_BYTES) == (shape[1] == 16)
    with np.errstate(invalid="ignore"):
        assert_same(fn, [x], monkeypatch, exact=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_softmax_cross_entropy_kernels_match_numpy(reduction, dtype, monkeypatch):
    """The compiled loss and gradient (_kernels.softmax_xent, up to SOFTMAX_XENT_MAX logits)
    against the NumPy code: ignored targets, a large logit, NaN and -inf rows, targets of
    another integer dtype; and the same error for a target out of range or no classes."""
    x = np.random.default_rng(3).standard_normal((64, 10)).astype(dtype) * 3
    x[1, 2], x[2, 4], x[3] = 80.0, np.nan, -np.inf
    x[3, 5] = 0.0
    t = np.random.default_rng(4).integers(0, 10, 64).astype(np.int32)
    t[[0, 7]] = -100
    assert x.size <= _kernels.SOFTMAX_XENT_MAX

    def loss(x):
        return F.cross_entropy(x, brique.tensor(t), reduction=reduction)
    with np.errstate(invalid="ignore"):
        assert_same(loss, [x], monkeypatch, scaled=dtype == np.float32)
    for enabled in (True, False):
        monkeypatch.setattr(_kernels, "ENABLED", enabled)
        with pytest.raises(IndexError, match="cross_entropy: target 10 is out of bounds for 10 "
                                             r"classes \(ignore_index=-100\)"):
            F.cross_entropy(brique.tensor(x), brique.tensor(np.where(t == 4, 10, t)))
        with pytest.raises(IndexError, match="out of bounds for 0 classes"):  # no row to read
            F.cross_entropy(brique.tensor(x[:, :0]), brique.tensor(np.full(64, -100)))
