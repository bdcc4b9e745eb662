"""Transforms, TransformedDistribution, Multinomial and constraints.cat/stack against
torch.distributions on the same float64 values: forward, inverse, log|det J| and its gradients,
domains and shapes, caching, and the errors for bad arguments. (HalfNormal, HalfCauchy, Gumbel,
Weibull and LogNormal also run through the SPECS of test_distributions_vs_torch.py.)"""
import numpy as np
import pytest
import torch

import brique as B
import brique.distributions as D
from brique.distributions import constraints as C
from brique.distributions import transforms as T

TD = torch.distributions
R = np.random.default_rng(3)


def _close(b, t, what, rtol=1e-7, atol=1e-9):
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert b.shape == t.shape, f"{what}: shape {b.shape} vs torch {t.shape}"
    np.testing.assert_allclose(b, t, rtol=rtol, atol=atol, err_msg=what)


def _pair(v, grad=False):
    v = np.asarray(v, dtype=np.float64)
    return B.tensor(v, requires_grad=grad), torch.tensor(v, requires_grad=grad)


SCALE = R.uniform(0.5, 2.0, (2, 3)) * np.array([1, -1, 1])
# name, brique transform, torch transform, input values (in the domain)
CASES = {
    "exp": (lambda p: T.ExpTransform(), lambda p: TD.ExpTransform(), R.normal(size=(2, 3))),
    "sigmoid": (lambda p: T.SigmoidTransform(), lambda p: TD.SigmoidTransform(),
                R.normal(size=(2, 3)) * 3),
    "tanh": (lambda p: T.TanhTransform(), lambda p: TD.TanhTransform(),
             np.array([[-30.0, -2.0, 0.1], [0.5, 3.0, 25.0]])),
    "affine": (lambda p: T.AffineTransform(p[0], p[1]), lambda p: TD.AffineTransform(p[0], p[1]),
               R.normal(size=(2, 3)), R.normal(size=(2, 3)), SCALE),
    "affine_ev1": (lambda p: T.AffineTransform(p[0], p[1], event_dim=1),
                   lambda p: TD.AffineTransform(p[0], p[1], event_dim=1),
                   R.normal(size=(4, 2, 3)), R.normal(size=(3,)), R.uniform(0.5, 2.0, (3,))),
    "affine_number": (lambda p: T.AffineTransform(1.5, -2.0),
                      lambda p: TD.AffineTransform(1.5, -2.0), R.normal(size=(3,))),
    "power": (lambda p: T.PowerTransform(p[0]), lambda p: TD.PowerTransform(p[0]),
              R.uniform(0.2, 3.0, (2, 3)), R.uniform(-2.0, 3.0, (3,))),
    "stick": (lambda p: T.StickBreakingTransform(), lambda p: TD.StickBreakingTransform(),
              R.normal(size=(2, 4))),
    "compose": (lambda p: T.ComposeTransform([T.AffineTransform(p[0], 0.5), T.ExpTransform(),
                                             T.AffineTransform(1.0, p[1])]),
                lambda p: TD.ComposeTransform([TD.AffineTransform(p[0], 0.5), TD.ExpTransform(),
                                               TD.AffineTransform(1.0, p[1])]),
                R.normal(size=(2, 3)), R.normal(size=(3,)), R.uniform(0.5, 2.0, (2, 3))),
    "compose_vector": (lambda p: T.ComposeTransform([T.AffineTransform(0.0, 2.0),
                                                    T.StickBreakingTransform()]),
                       lambda p: TD.ComposeTransform([TD.AffineTransform(0.0, 2.0),
                                                      TD.StickBreakingTransform()]),
                       R.normal(size=(5, 3))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_transform_matches_torch(name):
    make_b, make_t, x, *params = CASES[name]
    bp, tp = zip(*[_pair(p, grad=True) for p in params]) if params else ((), ())
    bt, tt = make_b(bp), make_t(tp)
    bx, tx = _pair(x, grad=True)
    by, ty = bt(bx), tt(tx)
    _close(by, ty, f"{name} forward")
    _close(bt.inv(by), tt.inv(ty), f"{name} inverse", rtol=1e-6, atol=1e-8)
    lb, lt = bt.log_abs_det_jacobian(bx, by), tt.log_abs_det_jacobian(tx, ty)
    _close(lb, lt, f"{name} log_abs_det_jacobian")
    w = R.uniform(0.5, 1.5, tuple(lt.shape))
    ((lb * B.tensor(w)).sum() + by.sum()).backward()
    ((lt * torch.tensor(w)).sum() + ty.sum()).backward()
    _close(bx.grad, tx.grad, f"{name} grad x", rtol=1e-6, atol=1e-8)
    for i, (b, t) in enumerate(zip(bp, tp)):
        _close(b.grad, t.grad, f"{name} grad param {i}", rtol=1e-6, atol=1e-8)
    assert bt.bijective == tt.bijective
    assert bt.domain.event_dim == tt.domain.event_dim, name
    assert bt.codomain.event_dim == tt.codomain.event_dim, name
    assert bt.inv.domain.event_dim == tt.codomain.event_dim
    assert tuple(bt.forward_shape(x.shape)) == tuple(tt.forward_shape(torch.Size(x.shape)))
    assert tuple(bt.inverse_shape(ty.shape)) == tuple(tt.inverse_shape(ty.shape))
    assert bool(bt.codomain.check(by).all())
    if name not in ("stick", "compose_vector", "power"):
        _close(B.as_tensor(bt.sign) * 1.0, torch.as_tensor(tt.sign) * 1.0, f"{name} sign")


def test_tanh_log_det_is_stable_and_abs_softmax():
    x = B.tensor([-40.0, 40.0], dtype=B.float64)
    ladj = T.TanhTransform().log_abs_det_jacobian(x, x.tanh()).numpy()
    np.testing.assert_allclose(ladj, 2 * (np.log(2) - 40 - np.log1p(np.exp(-80))), rtol=1e-12)
    bx, tx = _pair(R.normal(size=(2, 4)))
    _close(T.SoftmaxTransform()(bx), TD.SoftmaxTransform()(tx), "softmax")
    _close(T.SoftmaxTransform().inv(bx.softmax(-1)), TD.SoftmaxTransform().inv(tx.softmax(-1)),
           "softmax inverse")
    _close(T.AbsTransform()(bx), TD.AbsTransform()(tx), "abs")
    assert not T.AbsTransform().bijective and not T.SoftmaxTransform().bijective
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform().inv == T.ExpTransform().inv
    assert T.ExpTransform().inv.inv == T.ExpTransform()
    assert T.identity_transform(bx) is bx


def test_cache_returns_the_exact_preimage():
    t = T.TanhTransform(cache_size=1)
    x = B.tensor([30.0, -0.3], dtype=B.float32)  # tanh(30) rounds to 1: atanh would be inf
    y = t(x)
    assert t.inv(y) is x and t(x) is y
    assert not np.isfinite(T.TanhTransform().inv(y).numpy()[0])
    assert t.with_cache(0)._cache_size == 0 and T.ExpTransform().with_cache(1)._cache_size == 1
    c = T.ComposeTransform([T.AffineTransform(0.0, 2.0), T.TanhTransform()], cache_size=1)
    assert all(p._cache_size == 1 for p in c.parts) and c.inv(c(x)) is x


def test_bad_transform_arguments():
    with pytest.raises(ValueError, match="cache_size"):
        T.TanhTransform(cache_size=2)
    with pytest.raises(TypeError, match="AffineTransform: scale"):
        T.AffineTransform(0.0, "2")
    with pytest.raises(TypeError, match="ComposeTransform"):
        T.ComposeTransform([T.ExpTransform(), "exp"])
    with pytest.raises(ValueError, match="too few dimensions"):
        T.StickBreakingTransform().forward_shape(())
    with pytest.raises(ValueError, match="transforms must be"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "tanh")
    with pytest.raises(ValueError, match="at least 1 dimensions"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), [T.StickBreakingTransform()])


def _flows():
    mu, sd = R.normal(size=(4, 3)), R.uniform(0.5, 1.5, (4, 3))
    return {
        "sac_tanh": ((mu, sd), lambda m, s, X: [X.TanhTransform(cache_size=1)],
                     np.tanh(R.normal(size=(2, 4, 3)))),
        "affine_sigmoid": ((mu, sd), lambda m, s, X: [X.AffineTransform(m[0], s[0]),
                                                      X.SigmoidTransform()],
                           R.uniform(0.05, 0.95, (4, 3))),
        "neg_affine_exp": ((mu, sd), lambda m, s, X: [X.AffineTransform(1.0, -2.0),
                                                      X.ExpTransform()],
                           R.uniform(0.1, 3.0, (4, 3))),
        "stick": ((mu, sd), lambda m, s, X: [X.StickBreakingTransform()],
                  R.dirichlet(np.ones(4), (2, 4))),
    }


@pytest.mark.parametrize("name", sorted(_flows()))
def test_transformed_distribution_matches_torch(name):
    (mu, sd), make, v = _flows()[name]
    bm, tm = _pair(mu, True)
    bs, ts = _pair(sd, True)
    b = D.TransformedDistribution(D.Normal(bm, bs), make(bm, bs, T))
    t = TD.TransformedDistribution(TD.Normal(tm, ts), make(tm, ts, TD))
    assert tuple(b.batch_shape) == tuple(t.batch_shape), name
    assert tuple(b.event_shape) == tuple(t.event_shape), name
    assert b.has_rsample and b.support.event_dim == t.support.event_dim
    lb, lt = b.log_prob(B.tensor(v)), t.log_prob(torch.tensor(v))
    _close(lb, lt, f"{name} log_prob", rtol=1e-7, atol=1e-8)
    lb.sum().backward()
    lt.sum().backward()
    _close(bm.grad, tm.grad, f"{name} grad loc", rtol=1e-6, atol=1e-8)
    _close(bs.grad, ts.grad, f"{name} grad scale", rtol=1e-6, atol=1e-8)
    B.manual_seed(0)
    s = b.rsample((2,))
    assert tuple(s.shape) == (2,) + tuple(t.batch_shape) + tuple(t.event_shape)
    assert bool(b.support.check(s.detach()).all())
    assert tuple(b.log_prob(s).shape) == (2,) + tuple(t.batch_shape)
    if name != "stick":
        u = R.uniform(0.05, 0.95, (4, 3))
        _close(b.cdf(B.tensor(v)), t.cdf(torch.tensor(v)), f"{name} cdf")
        _close(b.icdf(B.tensor(u)), t.icdf(torch.tensor(u)), f"{name} icdf", rtol=1e-6)
    e = b.expand((2, 4, 3) if name != "stick" else (2, 4))
    assert tuple(e.sample().shape) == (2,) + tuple(t.batch_shape) + tuple(t.event_shape)


def test_sac_tanh_policy_gradient_through_rsample():
    bm, tm = _pair(R.normal(size=(5, 2)), True)
    b = D.TransformedDistribution(D.Normal(bm, 1.0), [T.TanhTransform(cache_size=1)])
    B.manual_seed(1)
    a = b.rsample()
    eps = torch.tensor(np.arctanh(a.detach().numpy()) - bm.detach().numpy())
    tanh = TD.TanhTransform(cache_size=1)
    t = TD.TransformedDistribution(TD.Normal(tm, 1.0), [tanh])
    ta = tanh(tm + eps)  # through the cache, as torch's rsample would
    (b.log_prob(a).sum() + a.sum()).backward()
    (t.log_prob(ta).sum() + ta.sum()).backward()
    _close(bm.grad, tm.grad, "sac grad", rtol=1e-5, atol=1e-7)


def test_lognormal_is_a_transformed_normal():
    d = D.LogNormal(B.tensor([0.0, 1.0]), B.tensor([1.0, 0.5]))
    assert isinstance(d, D.TransformedDistribution) and isinstance(d.base_dist, D.Normal)
    assert isinstance(d.transforms[0], T.ExpTransform)
    assert tuple(d.expand((3, 2)).batch_shape) == (3, 2)


def _multinomial(grad=False):
    p = R.uniform(0.2, 1.0, (2, 4))
    bp, tp = _pair(p, grad)
    return D.Multinomial(6, probs=bp), TD.Multinomial(6, probs=tp), bp, tp


def test_multinomial_matches_torch():
    b, t, bp, tp = _multinomial(grad=True)
    assert tuple(b.batch_shape) == (2,) and tuple(b.event_shape) == (4,)
    v = np.array([[[6, 0, 0, 0], [1, 2, 0, 3]], [[2, 2, 1, 1], [0, 0, 6, 0]]], dtype=np.float64)
    lb, lt = b.log_prob(B.tensor(v)), t.log_prob(torch.tensor(v))
    _close(lb, lt, "multinomial log_prob")
    _close(b.mean, t.mean, "mean")
    _close(b.variance, t.variance, "variance")
    # torch computes lgamma(n + 1) in float32: agreement to ~1e-7 only.
    _close(b.entropy(), t.entropy(), "entropy", rtol=1e-6, atol=1e-6)
    (lb.sum() + b.entropy().sum()).backward()
    (lt.sum() + t.entropy().sum()).backward()
    _close(bp.grad, tp.grad, "grad probs", rtol=1e-5, atol=1e-6)
    B.manual_seed(0)
    s = b.sample((500,))
    assert tuple(s.shape) == (500, 2, 4) and s.dtype == B.float64
    assert bool((s.sum(-1) == 6).all()) and bool(b.support.check(s).all())
    np.testing.assert_allclose(s.numpy().mean(0), b.mean.detach().numpy(), atol=0.3)
    e = b.expand((3, 2))
    assert tuple(e.sample().shape) == (3, 2, 4)
    lg = D.Multinomial(3, logits=B.tensor([0.0, -float("inf"), 1.0]))
    assert np.isfinite(lg.log_prob(B.tensor([2.0, 0.0, 1.0])).item())


def test_multinomial_bad_arguments():
    with pytest.raises(NotImplementedError, match="total_count"):
        D.Multinomial(B.tensor([2, 3]), probs=B.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="non-negative"):
        D.Multinomial(-1, probs=B.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="either `probs` or `logits`"):
        D.Multinomial(2)
    with pytest.raises(ValueError, match="support"):
        D.Multinomial(2, probs=B.tensor([0.5, 0.5])).log_prob(B.tensor([2.0, 1.0]))


def test_constraints_cat_and_stack():
    v = R.normal(size=(2, 3))
    bc = C.cat([C.positive, C.real], dim=-1, lengths=[1, 2])
    tc = TD.constraints.cat([TD.constraints.positive, TD.constraints.real], dim=-1,
                            lengths=[1, 2])
    _close(bc.check(B.tensor(v)), tc.check(torch.tensor(v)), "cat check")
    bs = C.stack([C.positive, C.real, C.unit_interval], dim=1)
    ts = TD.constraints.stack([TD.constraints.positive, TD.constraints.real,
                               TD.constraints.unit_interval], dim=1)
    _close(bs.check(B.tensor(v)), ts.check(torch.tensor(v)), "stack check")
    assert bs.event_dim == ts.event_dim and bc.event_dim == tc.event_dim
    with pytest.raises(ValueError, match="lengths"):
        C.cat([C.positive, C.real], dim=-1, lengths=[1, 1]).check(B.tensor(v))
    with pytest.raises(ValueError, match="2 constraints"):
        C.stack([C.positive, C.real], dim=1).check(B.tensor(v))
    with pytest.raises(IndexError, match="out of range"):
        C.stack([C.positive], dim=3).check(B.tensor(v))


def test_low_rank_normal_matrices_and_errors():
    loc, w, d = R.normal(size=(2, 4)), R.normal(size=(4, 2)), R.uniform(0.5, 2.0, (2, 4))
    b = D.LowRankMultivariateNormal(B.tensor(loc), B.tensor(w), B.tensor(d))
    t = TD.LowRankMultivariateNormal(torch.tensor(loc), torch.tensor(w), torch.tensor(d))
    for what in ("covariance_matrix", "precision_matrix", "scale_tril", "variance"):
        _close(getattr(b, what), getattr(t, what), f"low rank {what}", rtol=1e-6, atol=1e-9)
    B.manual_seed(0)
    s = b.sample((4000,)).numpy()
    np.testing.assert_allclose(np.cov(s[:, 1].T), t.covariance_matrix[1].numpy(), atol=0.35)
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices"):
        D.LowRankMultivariateNormal(B.tensor(loc), B.tensor(w[:3]), B.tensor(d))
    with pytest.raises(ValueError, match="cov_diag must be a batch of vectors"):
        D.LowRankMultivariateNormal(B.tensor(loc), B.tensor(w), B.tensor(d[:, :3]))
    with pytest.raises(ValueError, match="cov_diag"):
        D.LowRankMultivariateNormal(B.tensor(loc), B.tensor(w), B.tensor(-d))
