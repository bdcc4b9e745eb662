"""nn.utils weight_norm / spectral_norm (hooks and parametrizations), parametrize, BatchNorm
fusion, get_total_norm / clip_grads_with_norm_, and nn.init dirac_ / sparse_ / the deprecated
names, against PyTorch with its state dicts loaded."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.utils as TU
from torch.nn.utils import parametrizations as TP
from torch.nn.utils import parametrize as TPZ

import brique
import brique.nn as nn
import brique.nn.utils as U
from brique.nn.utils import parametrizations as P
from brique.nn.utils import parametrize as PZ

RNG = np.random.default_rng(0)


def load(b, t):
    b.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return b


def same_step(b, t, x, grads):
    """One forward+backward of both; outputs and the named gradients must agree."""
    bo, to = b(brique.tensor(x)), t(torch.tensor(x))
    bo.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(bo.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-5)
    for get in grads:
        np.testing.assert_allclose(get(b).grad.numpy(), get(t).grad.numpy(), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_hook_like_torch(dim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        t = TU.weight_norm(torch.nn.Conv2d(3, 4, 3), dim=dim)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        b = U.weight_norm(nn.Conv2d(3, 4, 3), dim=dim)
    assert list(b.state_dict()) == list(t.state_dict()) == ["bias", "weight_g", "weight_v"]
    x = RNG.normal(size=(2, 3, 5, 5)).astype(np.float32)
    same_step(load(b, t), t, x, [lambda m: m.weight_g, lambda m: m.weight_v])
    U.remove_weight_norm(b)
    TU.remove_weight_norm(t)
    assert list(b.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(b.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="not found"):
        U.remove_weight_norm(b)


@pytest.mark.parametrize("make", [lambda m: m.Linear(5, 4), lambda m: m.ConvTranspose2d(3, 4, 2)])
def test_spectral_norm_hook_like_torch(make):
    t = TU.spectral_norm(make(torch.nn), n_power_iterations=2)
    b = U.spectral_norm(make(nn), n_power_iterations=2)
    assert list(b.state_dict()) == list(t.state_dict())
    load(b, t)
    x = RNG.normal(size=(2, 5) if isinstance(b, nn.Linear) else (2, 3, 3, 3)).astype(np.float32)
    for training in (True, True, False):
        b.train(training)
        t.train(training)
        same_step(b, t, x, [lambda m: m.weight_orig])
        np.testing.assert_allclose(b.weight_u.numpy(), t.weight_u.numpy(), atol=1e-5)
    U.remove_spectral_norm(b)
    TU.remove_spectral_norm(t)
    np.testing.assert_allclose(b.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="n_power_iterations"):
        U.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(-1, -2)

    def right_inverse(self, a):
        return a.triu()


class TSymmetric(torch.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(-1, -2)

    def right_inverse(self, a):
        return a.triu()


def test_parametrize_register_assign_cache_remove():
    b, t = nn.Linear(3, 3), torch.nn.Linear(3, 3)
    original = b.weight
    PZ.register_parametrization(b, "weight", Symmetric())
    TPZ.register_parametrization(t, "weight", TSymmetric())
    assert list(b.state_dict()) == list(t.state_dict())
    assert b.parametrizations.weight.original is original
    assert PZ.is_parametrized(b) and PZ.is_parametrized(b, "weight")
    assert not PZ.is_parametrized(b, "bias")
    assert PZ.type_before_parametrizations(b) is nn.Linear and isinstance(b, nn.Linear)
    x = RNG.normal(size=(2, 3)).astype(np.float32)
    same_step(load(b, t), t, x, [lambda m: m.parametrizations.weight.original])
    sym = RNG.normal(size=(3, 3)).astype(np.float32)
    b.weight = brique.tensor(sym + sym.T)
    np.testing.assert_allclose(b.weight.detach().numpy(), sym + sym.T, rtol=1e-6)
    with PZ.cached():
        assert b.weight is b.weight
    assert b.weight is not b.weight
    PZ.remove_parametrizations(b, "weight")
    assert type(b) is nn.Linear and b.weight is original
    assert list(b.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(original.detach().numpy(), sym + sym.T, rtol=1e-6)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        PZ.remove_parametrizations(b, "weight")
    with pytest.raises(ValueError, match="shape"):
        PZ.register_parametrization(nn.Linear(3, 3), "weight", _Slice())


class _Slice(nn.Module):
    def forward(self, x):
        return x[:1]


@pytest.mark.parametrize("dim", [0, 1, None])
def test_parametrizations_weight_norm_like_torch(dim):
    b, t = P.weight_norm(nn.Conv1d(3, 4, 3), dim=dim), TP.weight_norm(torch.nn.Conv1d(3, 4, 3),
                                                                      dim=dim)
    assert list(b.state_dict()) == list(t.state_dict())
    x = RNG.normal(size=(2, 3, 6)).astype(np.float32)
    same_step(load(b, t), t, x, [lambda m: m.parametrizations.weight.original0,
                                 lambda m: m.parametrizations.weight.original1])
    PZ.remove_parametrizations(b, "weight")
    TPZ.remove_parametrizations(t, "weight")
    np.testing.assert_allclose(b.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-5)


def test_parametrizations_spectral_norm_like_torch():
    torch.manual_seed(0)  # how close 2 power steps get to sigma depends on the weights
    brique.manual_seed(0)
    b = P.spectral_norm(nn.Linear(5, 4), n_power_iterations=2)
    t = TP.spectral_norm(torch.nn.Linear(5, 4), n_power_iterations=2)
    assert list(b.state_dict()) == list(t.state_dict())
    load(b, t)
    x = RNG.normal(size=(2, 5)).astype(np.float32)
    for training in (True, True, False):
        b.train(training)
        t.train(training)
        same_step(b, t, x, [lambda m: m.parametrizations.weight.original])
    assert abs(np.linalg.svd(b.weight.detach().numpy())[1][0] - 1) < 1e-4
    fresh = P.spectral_norm(nn.Linear(6, 3))  # 15 power steps at creation: sigma already close
    assert abs(np.linalg.svd(fresh.weight.detach().numpy())[1][0] - 1) < 0.05
    with pytest.raises(ValueError, match="no parameter or buffer"):
        P.spectral_norm(nn.Linear(2, 2), name="kernel")


def test_fuse_conv_and_linear_with_batch_norm():
    tc, tb = torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)
    with torch.no_grad():
        tb.running_mean.uniform_(-1, 1)
        tb.running_var.uniform_(0.5, 2)
        tb.weight.uniform_(0.5, 2)
        tb.bias.uniform_(-1, 1)
    bc, bb = load(nn.Conv2d(3, 4, 3), tc).eval(), load(nn.BatchNorm2d(4), tb).eval()
    fused = U.fuse_conv_bn_eval(bc, bb)
    x = brique.tensor(RNG.normal(size=(2, 3, 5, 5)).astype(np.float32))
    np.testing.assert_allclose(fused(x).detach().numpy(), bb(bc(x)).detach().numpy(),
                               atol=1e-5)
    tf = TU.fuse_conv_bn_eval(tc.eval(), tb.eval())
    np.testing.assert_allclose(fused.weight.detach().numpy(), tf.weight.detach().numpy(),
                               atol=1e-6)
    bl, bn1 = nn.Linear(3, 4).eval(), nn.BatchNorm1d(4).eval()
    with brique.no_grad():
        bn1.running_var.fill_(2.0)
    y = brique.randn(2, 3)
    np.testing.assert_allclose(U.fuse_linear_bn_eval(bl, bn1)(y).detach().numpy(),
                               bn1(bl(y)).detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="eval"):
        U.fuse_conv_bn_eval(nn.Conv2d(3, 4, 3), bb)
    with pytest.raises(ValueError, match="out_features"):
        U.fuse_linear_bn_eval(nn.Linear(3, 5).eval(), bn1)


def test_total_norm_and_clipping_like_torch():
    grads = [RNG.normal(size=(3, 4)), RNG.normal(size=(5,))]
    bp = [brique.tensor(g, requires_grad=True) for g in grads]
    tp = [torch.tensor(g, requires_grad=True) for g in grads]
    for p, q, g in zip(bp, tp, grads):
        p.grad, q.grad = brique.tensor(g * 3), torch.tensor(g * 3)
    for norm_type in (2.0, 1, float("inf")):
        assert np.isclose(float(U.get_total_norm([p.grad for p in bp], norm_type)),
                          float(TU.get_total_norm([q.grad for q in tp], norm_type)))
    U.clip_grads_with_norm_(bp, 1.0, U.get_total_norm([p.grad for p in bp]))
    TU.clip_grads_with_norm_(tp, 1.0, TU.get_total_norm([q.grad for q in tp]))
    np.testing.assert_allclose(bp[0].grad.numpy(), tp[0].grad.numpy())
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        U.clip_grad_norm(bp, 0.5)
    with pytest.raises(RuntimeError, match="non-finite"):
        U.get_total_norm([brique.tensor([float("nan")])], error_if_nonfinite=True)


def test_init_dirac_sparse_and_deprecated_names():
    w, tw = brique.empty(6, 4, 3, 3), torch.empty(6, 4, 3, 3)
    nn.init.dirac_(w, 2)
    torch.nn.init.dirac_(tw, 2)
    np.testing.assert_array_equal(w.numpy(), tw.numpy())
    k = nn.init.dirac_(brique.empty(4, 4, 3))
    x = brique.randn(2, 4, 5)
    np.testing.assert_allclose(nn.functional.conv1d(x, k, padding=1).numpy(), x.numpy())
    s = nn.init.sparse_(brique.empty(10, 5), 0.3)
    assert ((s.numpy() == 0).sum(0) == 3).all()
    with pytest.raises(ValueError, match="3, 4, or 5"):
        nn.init.dirac_(brique.empty(3, 3))
    with pytest.raises(ValueError, match="divisible"):
        nn.init.dirac_(brique.empty(5, 3, 3), groups=2)
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.sparse_(brique.empty(3), 0.5)
    for old in ("uniform", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
                "kaiming_normal", "orthogonal", "eye"):
        with pytest.warns(FutureWarning, match=f"nn.init.{old}_"):
            getattr(nn.init, old)(brique.empty(3, 4))
    with pytest.warns(FutureWarning, match="constant_"):
        assert (nn.init.constant(brique.empty(2), 0.5).numpy() == 0.5).all()


@pytest.mark.parametrize("shape,orthogonal_map,trivial", [
    ((4, 4), None, True), ((5, 3), None, True), ((3, 5), "cayley", True),
    ((5, 3), "householder", False)])
def test_parametrizations_orthogonal_like_torch(shape, orthogonal_map, trivial):
    b, t = nn.Linear(shape[1], shape[0]), torch.nn.Linear(shape[1], shape[0])
    P.orthogonal(b, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    TP.orthogonal(t, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    assert list(b.state_dict()) == list(t.state_dict())
    w = b.weight.detach().numpy()
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)
    with torch.no_grad():
        t.parametrizations.weight.original.add_(0.3 * torch.randn(shape))
    x = RNG.normal(size=(2, shape[1])).astype(np.float32)
    same_step(load(b, t), t, x, [lambda m: m.parametrizations.weight.original])
    q = np.linalg.qr(RNG.normal(size=(max(shape),) * 2))[0][:shape[0], :shape[1]]
    b.weight = brique.tensor(q.astype(np.float32))
    np.testing.assert_allclose(b.weight.detach().numpy(), q, atol=1e-5)
    with pytest.raises(ValueError, match="matrix"):
        P.orthogonal(nn.Linear(3, 3), name="bias")
