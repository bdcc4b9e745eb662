"""Losses: every functional form, reduction and option against torch.nn.functional (value and
input gradient, float64 and float32), the loss modules, and the error messages."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import brique
import brique.nn as nn
import brique.nn.functional as F

TOL = {np.float64: (1e-6, 1e-10), np.float32: (1e-4, 1e-6)}
REDUCTIONS = ["none", "mean", "sum"]


def _convert(lib, a, dtype, grad=False):
    if not isinstance(a, np.ndarray):
        return a
    if a.dtype.kind == "f":
        a = a.astype(dtype)
    return lib.tensor(a, requires_grad=grad)


def _run(lib, fn, arrays, ngrad, kwargs, dtype, upstream_seed=0):
    ins = [_convert(lib, a, dtype, i < ngrad) for i, a in enumerate(arrays)]
    kw = {k: _convert(lib, v, dtype) for k, v in kwargs.items()}
    out = fn(*ins, **kw)
    g = np.random.default_rng(upstream_seed).uniform(0.5, 1.5, tuple(out.shape)).astype(dtype)
    out.backward(lib.tensor(g))
    value = out.detach().numpy()
    return value, [np.asarray(t.grad.numpy()) for t in ins[:ngrad]]


def check(name, arrays, ngrad=1, **kwargs):
    for dtype in (np.float64, np.float32):
        rtol, atol = TOL[dtype]
        bv, bg = _run(brique, getattr(F, name), arrays, ngrad, kwargs, dtype)
        tv, tg = _run(torch, getattr(TF, name), arrays, ngrad, kwargs, dtype)
        assert bv.dtype == tv.dtype, f"{name}: dtype {bv.dtype} != {tv.dtype}"
        np.testing.assert_allclose(bv, tv, rtol=rtol, atol=atol, err_msg=f"{name} {dtype}")
        for b, t in zip(bg, tg):
            np.testing.assert_allclose(b, t, rtol=rtol, atol=atol,
                                       err_msg=f"{name} grad {dtype}")


rng = np.random.default_rng(0)


def U(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, shape)


def away(a, points, margin=0.1):
    """Push values at least `margin` away from the kinks in `points`."""
    for p in points:
        near = np.abs(a - p) < margin
        a = np.where(near, p + np.where(a >= p, 1, -1) * 2 * margin, a)
    return a


def classes(shape, n, ignore=None, frac=0.25):
    t = rng.integers(0, n, shape)
    if ignore is not None:
        t = np.where(rng.uniform(size=shape) < frac, ignore, t)
    return t.astype(np.int64)


def probs(*shape, dim=1):
    e = np.exp(U(*shape))
    return e / e.sum(dim, keepdims=True)


# ----------------------------------------------------------------- regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_losses(name, reduction):
    x, y = U(4, 5), U(4, 5)
    x = y + away(x - y, [0.0])
    check(name, [x, y], reduction=reduction)
    check(name, [x, y], reduction=reduction, weight=U(4, 5, lo=0.1, hi=2.0))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1(reduction, beta):
    y = U(3, 4, 2)
    x = y + away(U(3, 4, 2), [0.0, beta, -beta])
    check("smooth_l1_loss", [x, y], reduction=reduction, beta=beta)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 2.5])
def test_huber(reduction, delta):
    y = U(6, 3)
    x = y + away(U(6, 3, lo=-4, hi=4), [0.0, delta, -delta])
    check("huber_loss", [x, y], reduction=reduction, delta=delta)
    check("huber_loss", [x, y], reduction=reduction, delta=delta, weight=U(6, 3, lo=0, hi=1))


# ----------------------------------------------------------------- classification losses
CE_CASES = {
    "plain": ([U(8, 10), classes(8, 10)], {}),
    "weight": ([U(8, 10), classes(8, 10)], {"weight": U(10, lo=0.2, hi=2.0)}),
    "ignore_default": ([U(8, 10), classes(8, 10, ignore=-100)], {}),
    "ignore_weight": ([U(8, 10), classes(8, 10, ignore=3)],
                      {"ignore_index": 3, "weight": U(10, lo=0.2, hi=2.0)}),
    "smoothing": ([U(8, 10), classes(8, 10)], {"label_smoothing": 0.1}),
    "smoothing_weight_ignore": ([U(8, 10), classes(8, 10, ignore=-1)],
                                {"label_smoothing": 0.2, "ignore_index": -1,
                                 "weight": U(10, lo=0.2, hi=2.0)}),
    "kdim": ([U(4, 5, 3, 2), classes((4, 3, 2), 5, ignore=-100)],
             {"weight": U(5, lo=0.2, hi=2.0), "label_smoothing": 0.05}),
    "kdim_1": ([U(3, 4, 6), classes((3, 6), 4)], {}),
    "unbatched": ([U(7), np.array(4, dtype=np.int64)], {"label_smoothing": 0.1}),
    "probabilities": ([U(8, 10), probs(8, 10)], {}),
    "probabilities_weight_smoothing": ([U(8, 10), probs(8, 10)],
                                       {"weight": U(10, lo=0.2, hi=2.0), "label_smoothing": 0.3}),
    "probabilities_kdim": ([U(2, 4, 3, 3), probs(2, 4, 3, 3)], {"weight": U(4, lo=0.2, hi=2)}),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CE_CASES))
def test_cross_entropy(case, reduction):
    arrays, kwargs = CE_CASES[case]
    check("cross_entropy", arrays, reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["plain", "weight", "ignore_default", "ignore_weight",
                                  "kdim_1", "unbatched"])
def test_nll_loss(case, reduction):
    arrays, kwargs = CE_CASES[case]
    kwargs = {k: v for k, v in kwargs.items() if k != "label_smoothing"}
    logp = np.log(probs(*arrays[0].shape, dim=1 if arrays[0].ndim > 1 else 0))
    check("nll_loss", [logp, arrays[1]], reduction=reduction, **kwargs)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_cross_entropy_with_all_targets_ignored_is_nan_like_pytorch():
    x, t = brique.randn(3, 4), brique.tensor([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0


def test_cross_entropy_is_stable_for_huge_logits():
    x = brique.tensor([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, brique.tensor([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    assert abs(loss.item() - 1000.0) < 1e-3


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    p, y = U(4, 5, lo=0.05, hi=0.95), U(4, 5, lo=0, hi=1)
    check("binary_cross_entropy", [p, y], reduction=reduction)
    check("binary_cross_entropy", [p, y], reduction=reduction, weight=U(4, 5, lo=0, hi=2))
    check("binary_cross_entropy", [p, (y > 0.5) * 1.0], reduction=reduction,
          weight=U(5, lo=0, hi=2))


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = brique.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    y = brique.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy(p, y, reduction="none")
    expected = TF.binary_cross_entropy(torch.tensor([0.0, 1.0, 0.0, 1.0]),
                                       torch.tensor([1.0, 0.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), expected.numpy())
    loss.sum().backward()
    assert np.isfinite(p.grad.numpy()).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    x = np.concatenate([U(3, 5, lo=-6, hi=6), [[-60.0, 60.0, -30.0, 35.0, 0.5]]])
    y = U(4, 5, lo=0, hi=1)
    check("binary_cross_entropy_with_logits", [x, y], reduction=reduction)
    check("binary_cross_entropy_with_logits", [x, y], reduction=reduction,
          pos_weight=U(5, lo=0.5, hi=3), weight=U(4, 5, lo=0, hi=2))
    check("binary_cross_entropy_with_logits", [x, y], reduction=reduction,
          pos_weight=U(5, lo=0.5, hi=3), weight=U(5, lo=0, hi=2))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    q = np.log(probs(5, 6))
    p = probs(5, 6)
    if log_target:
        p = np.log(p)
    else:
        p[0, :2] = 0.0  # 0 log 0 = 0
    check("kl_div", [q, p], reduction=reduction, log_target=log_target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.5])
def test_hinge_embedding(reduction, margin):
    x = away(U(6, 4), [margin])
    y = np.where(rng.uniform(size=(6, 4)) < 0.5, 1.0, -1.0)
    check("hinge_embedding_loss", [x, y], reduction=reduction, margin=margin)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding(reduction, margin):
    x1, x2 = U(8, 5), U(8, 5)
    x1[0] = x2[0] * 2.0  # cos = 1
    y = np.array([1, -1, 1, -1, -1, 1, -1, -1], dtype=np.int64)
    cos = (x1 * x2).sum(1) / np.sqrt((x1 * x1).sum(1) * (x2 * x2).sum(1))
    keep = np.abs(cos - margin) > 0.05  # away from the hinge
    check("cosine_embedding_loss", [x1[keep], x2[keep], y[keep]], ngrad=2,
          reduction=reduction, margin=margin)
    check("cosine_embedding_loss", [x1[1], x2[1], np.array(1.0)], ngrad=2,
          reduction=reduction, margin=margin)


def test_legacy_size_average_and_reduce_flags():
    x, y = brique.randn(3, 4), brique.randn(3, 4)
    assert F.mse_loss(x, y, size_average=False).item() == pytest.approx(
        F.mse_loss(x, y, reduction="sum").item())
    assert F.mse_loss(x, y, reduce=False).shape == (3, 4)


# ----------------------------------------------------------------- modules
MODULES = [
    ("MSELoss", {}, lambda: [U(3, 4), U(3, 4)]),
    ("L1Loss", {"reduction": "sum"}, lambda: [U(3, 4), U(3, 4)]),
    ("SmoothL1Loss", {"beta": 0.5}, lambda: [U(3, 4), U(3, 4)]),
    ("HuberLoss", {"delta": 0.7}, lambda: [U(3, 4), U(3, 4)]),
    ("CrossEntropyLoss", {"weight": U(5, lo=0.5, hi=1.5), "ignore_index": 0,
                          "label_smoothing": 0.1}, lambda: [U(6, 5), classes(6, 5)]),
    ("NLLLoss", {"weight": U(5, lo=0.5, hi=1.5), "reduction": "none"},
     lambda: [np.log(probs(6, 5)), classes(6, 5)]),
    ("BCELoss", {"weight": U(4, lo=0.5, hi=1.5)}, lambda: [U(3, 4, lo=0.1, hi=0.9),
                                                           U(3, 4, lo=0, hi=1)]),
    ("BCEWithLogitsLoss", {"pos_weight": U(4, lo=0.5, hi=2)}, lambda: [U(3, 4),
                                                                        U(3, 4, lo=0, hi=1)]),
    ("KLDivLoss", {"reduction": "batchmean"}, lambda: [np.log(probs(3, 4)), probs(3, 4)]),
    ("HingeEmbeddingLoss", {"margin": 0.5},
     lambda: [U(3, 4), np.where(U(3, 4) > 0, 1.0, -1.0)]),
    ("CosineEmbeddingLoss", {"margin": 0.2},
     lambda: [U(4, 3), U(4, 3), np.array([1, -1, 1, -1])]),
]


@pytest.mark.parametrize("name,kwargs,make", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules_match_torch(name, kwargs, make):
    arrays = make()
    ngrad = 2 if name == "CosineEmbeddingLoss" else 1
    for dtype in (np.float64, np.float32):
        rtol, atol = TOL[dtype]
        b_mod = getattr(nn, name)(**{k: _convert(brique, v, dtype) for k, v in kwargs.items()})
        t_mod = getattr(torch.nn, name)(**{k: _convert(torch, v, dtype)
                                           for k, v in kwargs.items()})
        bv, bg = _run(brique, b_mod, arrays, ngrad, {}, dtype)
        tv, tg = _run(torch, t_mod, arrays, ngrad, {}, dtype)
        np.testing.assert_allclose(bv, tv, rtol=rtol, atol=atol)
        for b, t in zip(bg, tg):
            np.testing.assert_allclose(b, t, rtol=rtol, atol=atol)
        assert list(b_mod.state_dict()) == list(t_mod.state_dict())


def test_loss_module_repr_and_bad_reduction():
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="mse_loss: reduction"):
        F.mse_loss(brique.ones(2), brique.ones(2), reduction="batchmean")


# ----------------------------------------------------------------- errors
def test_cross_entropy_target_shape_error():
    x = brique.randn(8, 10)
    with pytest.raises(ValueError) as e:
        F.cross_entropy(x, brique.zeros(8, 1, dtype=brique.long))
    assert str(e.value) == ("cross_entropy: target of shape (8, 1) does not match input (8, 10): "
                            "expected class indices of shape (8,) or probabilities of shape "
                            "(8, 10)")
    with pytest.raises(ValueError, match=r"nll_loss: target of shape \(7,\) does not match"):
        F.nll_loss(x, brique.zeros(7, dtype=brique.long))


def test_target_dtype_errors():
    x = brique.randn(8, 10)
    with pytest.raises(TypeError, match="cross_entropy: class-index target must be an integer"):
        F.cross_entropy(x, brique.zeros(8))
    with pytest.raises(TypeError, match="must be floating point"):
        F.cross_entropy(x, brique.zeros(8, 10, dtype=brique.long))
    with pytest.raises(TypeError, match="nll_loss: class-index target must be an integer"):
        F.nll_loss(x, brique.zeros(8))


def test_target_out_of_range():
    with pytest.raises(IndexError, match="cross_entropy: target 10 is out of bounds for 10"):
        F.cross_entropy(brique.randn(3, 10), brique.tensor([1, 10, 2]))
    with pytest.raises(IndexError, match="target -1 is out of bounds"):
        F.nll_loss(brique.randn(3, 10), brique.tensor([1, -1, 2]))


def test_weight_shape_errors():
    with pytest.raises(ValueError, match=r"cross_entropy: weight of shape \(3,\)"):
        F.cross_entropy(brique.randn(2, 4), brique.tensor([0, 1]), weight=brique.ones(3))
    with pytest.raises(ValueError, match="mse_loss: weight of shape"):
        F.mse_loss(brique.randn(2, 4), brique.randn(2, 4), weight=brique.ones(4))


def test_pointwise_shape_mismatch_is_an_error_not_a_broadcast():
    with pytest.raises(ValueError, match=r"mse_loss: target of shape \(4, 1\) does not match "
                                         r"input of shape \(4,\)"):
        F.mse_loss(brique.randn(4), brique.randn(4, 1))


def test_integer_regression_targets_are_converted():
    x = brique.tensor([1.0, 2.0, 3.0])
    assert F.mse_loss(x, brique.tensor([1, 2, 5])).item() == pytest.approx(4 / 3)


def test_bce_rejects_values_outside_unit_interval():
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input should "
                                         "be between 0 and 1"):
        F.binary_cross_entropy(brique.tensor([0.5, 1.5]), brique.tensor([0.0, 1.0]))


def test_cosine_embedding_shape_error():
    with pytest.raises(ValueError, match="cosine_embedding_loss: expected inputs"):
        F.cosine_embedding_loss(brique.randn(3, 4), brique.randn(3, 4), brique.ones(4))


def test_label_smoothing_range():
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(brique.randn(2, 3), brique.tensor([0, 1]), label_smoothing=1.5)


def test_second_derivative_of_cross_entropy_matches_torch():
    x = U(3, 4)
    t = classes(3, 4)
    bx = brique.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    (bg,) = brique.grad(F.cross_entropy(bx, brique.tensor(t), label_smoothing=0.1), bx,
                        create_graph=True)
    (tg,) = torch.autograd.grad(TF.cross_entropy(tx, torch.tensor(t), label_smoothing=0.1), tx,
                                create_graph=True)
    (bg * bg).sum().backward()
    (tg * tg).sum().backward()
    np.testing.assert_allclose(bx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-10)
