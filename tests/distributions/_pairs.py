"""The same distribution built in brique and in PyTorch from the same float64 parameters, for
the comparisons in test_distributions_vs_torch.py and test_kl.py."""
from __future__ import annotations

import numpy as np
import torch

import brique as B
import brique.distributions as D

R = np.random.default_rng(0)


def pos(*shape, lo=0.5, hi=2.0):
    return R.uniform(lo, hi, shape)


def real(*shape):
    return R.normal(size=shape)


def simplex(*shape):
    p = R.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def spd(*batch, n=3):
    m = R.normal(size=batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def tril(*batch, n=3):
    m = np.tril(R.normal(size=batch + (n, n)), -1)
    return m + np.eye(n) * R.uniform(0.5, 1.5, batch + (n, 1))


# name, parameters (keyword -> array, or a nested ("Normal", {...}) base), values to score
SPECS = {
    "Normal": (dict(loc=real(2, 3), scale=pos(2, 3)), real(4, 2, 3)),
    "LogNormal": (dict(loc=real(3), scale=pos(3)), pos(2, 3, lo=0.1, hi=4.0)),
    "Uniform": (dict(low=real(3) - 2.5, high=real(3) + 2.5), R.uniform(-0.4, 0.4, (2, 3))),
    "Exponential": (dict(rate=pos(4)), pos(2, 4, lo=0.0, hi=3.0)),
    "Laplace": (dict(loc=real(2, 3), scale=pos(2, 3)), real(2, 3)),
    "Cauchy": (dict(loc=real(3), scale=pos(3)), real(5, 3)),
    "StudentT": (dict(df=pos(4, lo=2.5, hi=6.0), loc=real(4), scale=pos(4)), real(3, 4)),
    "Gamma": (dict(concentration=pos(3, lo=0.5, hi=3.0), rate=pos(3)), pos(2, 3, lo=0.1, hi=3)),
    "Chi2": (dict(df=pos(3, lo=1.0, hi=5.0)), pos(2, 3, lo=0.1, hi=3)),
    "Beta": (dict(concentration1=pos(3, lo=1.2, hi=3), concentration0=pos(3, lo=1.2, hi=3)),
             R.uniform(0.05, 0.95, (2, 3))),
    "Dirichlet": (dict(concentration=pos(2, 4, lo=1.2, hi=3)), simplex(3, 2, 4)),
    "Bernoulli": (dict(probs=R.uniform(0.1, 0.9, (2, 3))), (R.uniform(size=(4, 2, 3)) < .5) * 1.),
    "Bernoulli_logits": (dict(logits=real(3)), np.array([0.0, 1.0, 1.0])),
    "Geometric": (dict(probs=R.uniform(0.2, 0.9, (3,))), np.array([[0.0, 1.0, 4.0]])),
    "Poisson": (dict(rate=pos(3, lo=0.5, hi=6.0)), np.array([[0.0, 2.0, 7.0], [1, 0, 3]])),
    "Binomial": (dict(total_count=np.array([5.0, 5.0, 5.0]), probs=R.uniform(0.2, 0.8, 3)),
                 np.array([[0.0, 3.0, 5.0], [2, 1, 4]])),
    "Binomial_logits": (dict(total_count=4.0, logits=real(2, 3)), np.array([1.0, 4.0, 0.0])),
    "Categorical": (dict(probs=simplex(2, 4) * 3.0), np.array([[0, 3], [2, 1], [1, 1]])),
    "Categorical_logits": (dict(logits=real(3, 5)), np.array([4, 0, 2])),
    "OneHotCategorical": (dict(logits=real(2, 4)), np.eye(4)[[[1, 3], [0, 0]]]),
    "MultivariateNormal": (dict(loc=real(2, 3), covariance_matrix=spd(2)), real(4, 2, 3)),
    "MultivariateNormal_tril": (dict(loc=real(3), scale_tril=tril(2)), real(2, 3)),
    "MultivariateNormal_prec": (dict(loc=real(3), precision_matrix=spd()), real(5, 3)),
    "RelaxedBernoulli": (dict(temperature=np.array(0.7), logits=real(3)),
                         R.uniform(0.05, 0.95, (2, 3))),
    "RelaxedOneHotCategorical": (dict(temperature=np.array(0.5), logits=real(2, 4)),
                                 simplex(3, 2, 4)),
    "Independent": (("Normal", dict(loc=real(2, 3), scale=pos(2, 3)), 1), real(4, 2, 3)),
    # transformed families (brique.distributions.transformed_families)
    "HalfNormal": (dict(scale=pos(2, 3)), pos(4, 2, 3, lo=0.01, hi=3.0)),
    "HalfCauchy": (dict(scale=pos(3)), pos(2, 3, lo=0.01, hi=5.0)),
    "Gumbel": (dict(loc=real(2, 3), scale=pos(2, 3)), real(3, 2, 3)),
    "Weibull": (dict(scale=pos(3), concentration=pos(3, lo=1.2, hi=3.0)), pos(2, 3, lo=0.1, hi=3)),
    "LowRankMultivariateNormal": (dict(loc=real(2, 4), cov_factor=real(4, 2),
                                       cov_diag=pos(2, 4)), real(3, 2, 4)),
}


def cls_name(name):
    return name.split("_")[0]


def build(name, requires_grad=False):
    """(brique distribution, torch distribution, brique params, torch params)."""
    params, _ = SPECS[name]
    if name == "Independent":
        base, kw, n = params
        b, t, bp, tp = _build(base, kw, requires_grad)
        return D.Independent(b, n), torch.distributions.Independent(t, n), bp, tp
    return _build(cls_name(name), params, requires_grad)


def _build(cls, params, requires_grad):
    bp, tp = {}, {}
    for k, v in params.items():
        v = np.asarray(v, dtype=np.float64)
        grad = requires_grad and k not in ("total_count", "temperature")
        bp[k] = B.tensor(v, requires_grad=grad)
        tp[k] = torch.tensor(v, requires_grad=grad)
    return getattr(D, cls)(**bp), getattr(torch.distributions, cls)(**tp), bp, tp


def value(name):
    return SPECS[name][1]
