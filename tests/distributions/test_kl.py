"""kl_divergence against torch's closed forms (values and gradients), the registry, and
sample statistics under brique.manual_seed."""
import numpy as np
import pytest
import torch

import brique as B
import brique.distributions as D
from _pairs import build, pos, real, simplex, spd

# pairs of parameter sets of one family: (family, p's parameters, q's parameters)
KL_PAIRS = [
    ("Normal", dict(loc=real(2, 3), scale=pos(2, 3)), dict(loc=real(3), scale=pos(3))),
    ("LogNormal", dict(loc=real(3), scale=pos(3)), dict(loc=real(3), scale=pos(3))),
    ("Bernoulli", dict(probs=np.array([0.0, 0.3, 1.0, 0.6])),
     dict(probs=np.array([0.2, 0.0, 0.5, 1.0]))),
    ("Categorical", dict(probs=simplex(2, 4)), dict(logits=real(4))),
    ("OneHotCategorical", dict(logits=real(2, 4)), dict(logits=real(2, 4))),
    ("Uniform", dict(low=np.array([0.0, -1.0]), high=np.array([1.0, 2.0])),
     dict(low=np.array([-1.0, 0.0]), high=np.array([2.0, 2.0]))),
    ("Exponential", dict(rate=pos(3)), dict(rate=pos(3))),
    ("Laplace", dict(loc=real(3), scale=pos(3)), dict(loc=real(3), scale=pos(3))),
    ("Poisson", dict(rate=pos(3)), dict(rate=pos(3))),
    ("Geometric", dict(probs=np.array([0.3, 0.7])), dict(probs=np.array([0.5, 0.4]))),
    ("Gamma", dict(concentration=pos(3), rate=pos(3)), dict(concentration=pos(3), rate=pos(3))),
    ("Beta", dict(concentration1=pos(3), concentration0=pos(3)),
     dict(concentration1=pos(3), concentration0=pos(3))),
    ("Dirichlet", dict(concentration=pos(2, 3)), dict(concentration=pos(3))),
    ("MultivariateNormal", dict(loc=real(2, 3), covariance_matrix=spd(2)),
     dict(loc=real(3), scale_tril=np.linalg.cholesky(spd()))),
]


def _make(family, params, grad):
    bp = {k: B.tensor(v, dtype=B.float64, requires_grad=grad) for k, v in params.items()}
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=grad) for k, v in params.items()}
    return getattr(D, family)(**bp), getattr(torch.distributions, family)(**tp), bp, tp


@pytest.mark.parametrize("family,pp,qp", KL_PAIRS, ids=[p[0] for p in KL_PAIRS])
def test_kl_matches_torch(family, pp, qp):
    grad = family not in ("Bernoulli", "Uniform")  # inf entries on purpose there
    bp_, tp_, bpp, tpp = _make(family, pp, grad)
    bq_, tq_, bqp, tqp = _make(family, qp, grad)
    kb, kt = D.kl_divergence(bp_, bq_), torch.distributions.kl_divergence(tp_, tq_)
    assert tuple(kb.shape) == tuple(kt.shape)
    np.testing.assert_allclose(kb.detach().numpy(), kt.detach().numpy(), rtol=1e-7, atol=1e-10)
    if grad:
        kb.sum().backward()
        kt.sum().backward()
        for side, bs, ts in (("p", bpp, tpp), ("q", bqp, tqp)):
            for k in bs:
                np.testing.assert_allclose(bs[k].grad.numpy(), ts[k].grad.numpy(), rtol=1e-6,
                                           atol=1e-9, err_msg=f"{family} {side}.{k}")


def test_kl_independent_and_registry():
    b, t, _, _ = build("Independent")
    kb = D.kl_divergence(b, D.Independent(D.Normal(B.zeros(2, 3, dtype=B.float64), 1.0), 1))
    kt = torch.distributions.kl_divergence(t, torch.distributions.Independent(
        torch.distributions.Normal(torch.zeros(2, 3, dtype=torch.float64), 1.0), 1))
    np.testing.assert_allclose(kb.numpy(), kt.numpy(), rtol=1e-10)
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Laplace(0.0, 1.0))

    class MyNormal(D.Normal):
        pass
    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0))) == pytest.approx(0.5)

    @D.register_kl(MyNormal, D.Laplace)
    def _kl(p, q):
        return p.loc * 0 + 7.0
    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Laplace(0.0, 1.0))) == 7.0
    with pytest.raises(TypeError, match="register_kl"):
        D.register_kl("Normal", D.Normal)


# family, parameters, expected mean, expected variance (per element)
STATS = [
    (D.Normal, dict(loc=1.5, scale=2.0), 1.5, 4.0),
    (D.Uniform, dict(low=-1.0, high=3.0), 1.0, 16 / 12),
    (D.Exponential, dict(rate=2.0), 0.5, 0.25),
    (D.Laplace, dict(loc=-1.0, scale=0.5), -1.0, 0.5),
    (D.LogNormal, dict(loc=0.0, scale=0.5), np.exp(0.125), (np.exp(0.25) - 1) * np.exp(0.25)),
    (D.Gamma, dict(concentration=3.0, rate=2.0), 1.5, 0.75),
    (D.Beta, dict(concentration1=2.0, concentration0=3.0), 0.4, 0.04),
    (D.StudentT, dict(df=5.0, loc=1.0, scale=2.0), 1.0, 4 * 5 / 3),
    (D.Bernoulli, dict(probs=0.3), 0.3, 0.21),
    (D.Geometric, dict(probs=0.4), 1.5, 3.75),
    (D.Poisson, dict(rate=3.5), 3.5, 3.5),
    (D.Binomial, dict(total_count=10, probs=0.3), 3.0, 2.1),
]


@pytest.mark.parametrize("family,params,mean,var", STATS, ids=[s[0].__name__ for s in STATS])
def test_sample_statistics(family, params, mean, var):
    dist = family(**{k: B.tensor(float(v), dtype=B.float64) for k, v in params.items()})
    B.manual_seed(3)
    s = dist.sample((40000,))
    B.manual_seed(3)
    again = dist.sample((40000,))
    assert np.array_equal(s.numpy(), again.numpy()), "not reproducible under manual_seed"
    assert s.dtype == B.float64
    se = np.sqrt(var / s.shape[0])
    assert abs(float(s.mean()) - mean) < 6 * se
    assert abs(float(s.var()) - var) < 0.08 * var


def test_categorical_and_dirichlet_sample_statistics():
    B.manual_seed(0)
    probs = B.tensor([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]], dtype=B.float64)
    s = D.Categorical(probs).sample((20000,))
    assert s.dtype == B.int64 and tuple(s.shape) == (20000, 2)
    freq = np.stack([(s.numpy() == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, probs.numpy(), atol=0.015)
    one_hot = D.OneHotCategorical(probs).sample((20000,))
    np.testing.assert_allclose(one_hot.numpy().mean(0), probs.numpy(), atol=0.015)
    c = B.tensor([1.0, 2.0, 3.0], dtype=B.float64)
    d = D.Dirichlet(c).sample((20000,))
    np.testing.assert_allclose(d.numpy().sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(d.numpy().mean(0), (c / c.sum()).numpy(), atol=0.01)
    mvn = D.MultivariateNormal(B.tensor([1.0, -1.0], dtype=B.float64),
                               B.tensor([[2.0, 0.6], [0.6, 1.0]], dtype=B.float64))
    x = mvn.sample((40000,)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, -1.0], atol=0.03)
    np.testing.assert_allclose(np.cov(x.T), [[2.0, 0.6], [0.6, 1.0]], atol=0.06)
