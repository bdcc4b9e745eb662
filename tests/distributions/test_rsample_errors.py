"""rsample gradients against PyTorch with the same noise (brique's noise, replayed into the
torch formula), validation errors for bad arguments and values, and the constraints."""
import numpy as np
import pytest
import torch

import brique as B
import brique.distributions as D
from brique.distributions.utils import draw
from _pairs import build

TF = torch.distributions


def _noise(kind, shape, seed):
    """The draw rsample makes after brique.manual_seed(seed), as a torch tensor."""
    B.manual_seed(seed)
    return torch.tensor(draw(B.zeros(1, dtype=B.float64), shape, kind).numpy())


def _clamp(u):
    eps = torch.finfo(u.dtype).eps
    return u.clamp(min=eps, max=1 - eps)


# name, the noise rsample draws, torch's value from (torch distribution, noise)
REPARAM = {
    "Normal": ("standard_normal", lambda t, e: t.loc + e * t.scale),
    "LogNormal": ("standard_normal", lambda t, e: (t.loc + e * t.scale).exp()),
    "Uniform": ("random", lambda t, u: t.low + u * (t.high - t.low)),
    "Exponential": ("standard_exponential", lambda t, e: e / t.rate),
    "Laplace": ("uniform", lambda t, u: t.loc - t.scale * (2 * u - 1).sign()
                * (-(2 * u - 1).abs()).log1p()),
    "Cauchy": ("uniform", lambda t, u: t.loc + t.scale * (torch.pi * (u - 0.5)).tan()),
    "MultivariateNormal": ("standard_normal", lambda t, e: t.loc + (
        t.scale_tril @ e.unsqueeze(-1)).squeeze(-1)),
    "Independent": ("standard_normal", lambda t, e: t.base_dist.loc + e * t.base_dist.scale),
    "RelaxedBernoulli": ("uniform", lambda t, u: _clamp(
        ((_clamp(u).log() - (-_clamp(u)).log1p() + t.logits) / t.temperature).sigmoid())),
    "RelaxedOneHotCategorical": ("uniform", lambda t, u: (
        (t.logits - (-_clamp(u).log()).log()) / t.temperature).softmax(-1)),
}


@pytest.mark.parametrize("name", sorted(REPARAM))
def test_rsample_gradient_matches_torch_with_the_same_noise(name):
    b, t, bp, tp = build(name, requires_grad=True)
    kind, formula = REPARAM[name]
    shape = (3,) + tuple(t.batch_shape) + tuple(t.event_shape)
    B.manual_seed(7)
    xb = b.rsample((3,))
    xt = formula(t, _noise(kind, shape, 7))
    np.testing.assert_allclose(xb.detach().numpy(), xt.detach().numpy(), rtol=1e-9, atol=1e-12)
    w = np.random.default_rng(2).normal(size=shape)
    (xb.sin() * B.tensor(w)).sum().backward()
    (xt.sin() * torch.tensor(w)).sum().backward()
    for k in bp:
        if tp[k].grad is not None:
            np.testing.assert_allclose(bp[k].grad.numpy(), tp[k].grad.numpy(), rtol=1e-7,
                                       atol=1e-10, err_msg=f"{name} grad {k}")
    assert not b.sample().requires_grad


def test_sample_without_rsample():
    b, _, bp, _ = build("Categorical_logits", requires_grad=True)
    with pytest.raises(NotImplementedError, match="rsample"):
        b.rsample()
    assert not D.Gamma(B.tensor(2.0, requires_grad=True), 1.0).sample().requires_grad


def test_gamma_rsample_gradient_is_the_implicit_one():
    c = np.array([0.3, 0.8, 2.5, 7.0, 40.0])
    r = np.array([0.5, 1.0, 2.0, 1.5, 3.0])
    cb, rb = B.tensor(c, requires_grad=True), B.tensor(r, requires_grad=True)
    B.manual_seed(4)
    x = D.Gamma(cb, rb).rsample((3,))
    w = np.random.default_rng(0).normal(size=x.shape)
    (x * B.tensor(w)).sum().backward()
    g = torch.tensor(x.detach().numpy() * r)  # the standard gamma draws
    dg_dc = torch._standard_gamma_grad(torch.tensor(c).expand(3, 5), g).numpy()
    # torch's dg/dc is an approximation good to ~1e-3 (ours: a finite difference of P(a, x))
    np.testing.assert_allclose(cb.grad.numpy(), (w * dg_dc / r).sum(0), rtol=2e-3)
    np.testing.assert_allclose(rb.grad.numpy(), -(w * g.numpy() / r ** 2).sum(0), rtol=1e-10)


@pytest.mark.parametrize("family", ["Beta", "Dirichlet", "StudentT", "Chi2"])
def test_gamma_based_rsample_gradient_of_the_mean(family):
    # d/dtheta E[x] estimated from 20000 reparameterized draws against its closed form.
    B.manual_seed(5)
    if family == "Beta":
        a = B.tensor([2.0, 0.7], dtype=B.float64, requires_grad=True)
        x = D.Beta(a, B.tensor([3.0, 1.5], dtype=B.float64)).rsample((20000,))
        b = np.array([3.0, 1.5])
        expected = b / (a.detach().numpy() + b) ** 2
    elif family == "Dirichlet":
        a = B.tensor([1.0, 2.0, 3.0], dtype=B.float64, requires_grad=True)
        x = D.Dirichlet(a).rsample((20000,))[:, 0]
        expected = np.array([5 / 36, -1 / 36, -1 / 36])
    elif family == "StudentT":
        a = B.tensor([0.5, -1.0], dtype=B.float64, requires_grad=True)
        x = D.StudentT(5.0, a, 2.0).rsample((20000,))
        expected = np.ones(2)
    else:
        a = B.tensor([3.0], dtype=B.float64, requires_grad=True)
        x = D.Chi2(a).rsample((20000,))
        expected = np.ones(1)
    x.mean(0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=0.05, atol=0.005)


def test_bad_parameters_raise_like_torch():
    with pytest.raises(ValueError, match=r"parameter scale .*GreaterThan\(lower_bound=0.0\)"):
        D.Normal(0.0, -1.0)
    D.Normal(0.0, -1.0, validate_args=False)  # validation off: no check, as in PyTorch
    with pytest.raises(ValueError, match="probs.*Interval"):
        D.Bernoulli(probs=B.tensor([0.5, 1.5]))
    for kw in ({}, dict(probs=0.5, logits=0.0)):
        with pytest.raises(ValueError, match="either `probs` or `logits`"):
            D.Bernoulli(**kw)
    with pytest.raises(ValueError, match="probs.*Simplex"):
        D.Categorical(probs=B.tensor([-0.5, 1.5]))
    with pytest.raises(ValueError, match="one-dimensional"):
        D.Categorical(logits=B.tensor(1.0))
    with pytest.raises(ValueError, match="low >= high"):
        D.Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="concentration"):
        D.Gamma(B.tensor([1.0, -2.0]), 1.0)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        D.Independent(D.Normal(B.zeros(3), 1.0), 2)


def test_bad_multivariate_normal_arguments():
    loc, eye = B.zeros(2, dtype=B.float64), B.eye(2, dtype=B.float64)
    with pytest.raises(ValueError, match="Exactly one"):
        D.MultivariateNormal(loc)
    with pytest.raises(ValueError, match="Exactly one"):
        D.MultivariateNormal(loc, eye, scale_tril=eye)
    with pytest.raises(ValueError, match="at least one-dimensional"):
        D.MultivariateNormal(B.tensor(0.0), eye)
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(3,\)"):
        D.MultivariateNormal(B.zeros(3), eye)
    not_pd = B.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=B.float64)
    with pytest.raises(ValueError, match="covariance_matrix.*PositiveDefinite"):
        D.MultivariateNormal(loc, not_pd)
    with pytest.raises(RuntimeError, match="not positive-definite"):
        D.MultivariateNormal(loc, not_pd, validate_args=False)
    with pytest.raises(ValueError, match="scale_tril.*LowerCholesky"):
        D.MultivariateNormal(loc, scale_tril=-eye)


def test_bad_values_for_log_prob():
    with pytest.raises(ValueError, match="support"):
        D.Bernoulli(0.3).log_prob(B.tensor(0.5))
    with pytest.raises(ValueError, match="support.*IntegerInterval"):
        D.Categorical(logits=B.zeros(3)).log_prob(B.tensor(3))
    with pytest.raises(ValueError, match="support"):
        D.Exponential(1.0).log_prob(B.tensor(-1.0))
    with pytest.raises(ValueError, match="broadcastable"):
        D.Normal(B.zeros(3), 1.0).log_prob(B.zeros(2))
    with pytest.raises(ValueError, match="should be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    with pytest.raises(ValueError, match="event_shape"):
        D.MultivariateNormal(B.zeros(2), B.eye(2)).log_prob(B.zeros(3))
    # validation off: Bernoulli's formula scores a non-binary value, as PyTorch's does
    assert np.isfinite(float(D.Bernoulli(0.3, validate_args=False).log_prob(B.tensor(0.5))))


def test_constraints_and_names():
    C = D.constraints
    assert repr(C.positive) == repr(TF.constraints.positive)
    assert repr(C.independent(C.real, 1)) == repr(TF.constraints.independent(
        TF.constraints.real, 1))
    assert repr(D.Uniform(0.0, 2.0).support) == "Interval(lower_bound=0.0, upper_bound=2.0)"
    assert C.is_dependent(D.Uniform.arg_constraints["low"])
    assert C.simplex.check(B.tensor([[0.2, 0.8], [0.5, 0.6]])).tolist() == [True, False]
    assert C.lower_cholesky.check(B.tensor([[1.0, 0.0], [1.0, 2.0]])).item()
    assert B.distributions is D
    assert D.Normal(B.zeros(2), 1.0).__repr__() == "Normal(loc: brique.Size([2]), scale: " \
        "brique.Size([2]))"
    assert str(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    with pytest.raises(ValueError, match="True or False"):
        D.Distribution.set_default_validate_args(2)


def test_policy_gradient_step_matches_torch():
    logits = np.random.default_rng(0).normal(size=(5, 3))
    lb = B.tensor(logits, requires_grad=True)
    lt = torch.tensor(logits, requires_grad=True)
    B.manual_seed(1)
    action = D.Categorical(logits=lb).sample()
    adv = np.linspace(-1, 1, 5)
    pb, pt = D.Categorical(logits=lb), TF.Categorical(logits=lt)
    loss_b = -(pb.log_prob(action) * B.tensor(adv)).mean() - 0.01 * pb.entropy().mean()
    loss_t = -(pt.log_prob(torch.tensor(action.numpy())) * torch.tensor(adv)).mean() \
        - 0.01 * pt.entropy().mean()
    loss_b.backward()
    loss_t.backward()
    assert float(loss_b.detach()) == pytest.approx(float(loss_t.detach()), rel=1e-10)
    np.testing.assert_allclose(lb.grad.numpy(), lt.grad.numpy(), rtol=1e-9, atol=1e-12)
