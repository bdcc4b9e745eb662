"""Distributions built on the gamma function: Gamma, Chi2, Beta, Dirichlet, StudentT.
All reparameterized through gamma draws from brique's seeded generator with implicit gradients
(ops.gamma_sample.standard_gamma); Beta and Dirichlet normalize gamma draws."""
from __future__ import annotations

import math

from ..ops.elementwise import where
from ..ops.gamma_sample import gamma_cdf, standard_gamma
from ..ops.indexing import one_hot
from ..ops.movement import broadcast_to
from ..ops.special import digamma, lgamma, xlogy
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, draw


class Gamma(Distribution):
    """Gamma(concentration, rate): density rate^c x^(c-1) exp(-rate x) / Gamma(c)."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(Size(tuple(self.rate.shape)), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, ("concentration", "rate"), _instance)

    mean = property(lambda self: self.concentration / self.rate)
    mode = property(lambda self: ((self.concentration - 1) / self.rate).clamp(min=0))
    variance = property(lambda self: self.concentration / self.rate.pow(2))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        g = standard_gamma(broadcast_to(self.concentration, shape))
        return g / self.rate

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return gamma_cdf(self.concentration, self.rate * value)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return xlogy(c, r) + xlogy(c - 1, value) - r * value - lgamma(c)

    def entropy(self):
        c = self.concentration
        return c - self.rate.log() + lgamma(c) + (1.0 - c) * digamma(c)


def _tiny(t):
    from .utils import tiny
    return tiny(t.dtype)


class Chi2(Gamma):
    """Chi2(df) = Gamma(df / 2, 1 / 2)."""
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    df = property(lambda self: self.concentration * 2)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, ("concentration", "rate"), _instance)


class Beta(Distribution):
    """Beta(concentration1, concentration0) on [0, 1]: density x^(a-1) (1-x)^(b-1) / B(a, b)."""
    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(Size(tuple(self.concentration1.shape)), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, ("concentration1", "concentration0"), _instance)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        return (a - 1) / (a + b - 2)

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        ga = standard_gamma(broadcast_to(self.concentration1, shape))
        gb = standard_gamma(broadcast_to(self.concentration0, shape))
        eps = _tiny(ga)
        return (ga / (ga + gb)).clamp(min=eps, max=1 - eps)

    def _lbeta(self):
        a, b = self.concentration1, self.concentration0
        return lgamma(a) + lgamma(b) - lgamma(a + b)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, value) + xlogy(b - 1, 1 - value) - self._lbeta()

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        return self._lbeta() - (a - 1) * digamma(a) - (b - 1) * digamma(b) \
            + (a + b - 2) * digamma(a + b)


class Dirichlet(Distribution):
    """Dirichlet(concentration): points of the simplex; events are the last dimension."""
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError(f"Dirichlet: `concentration` must be at least one-dimensional, "
                             f"got shape {tuple(concentration.shape)}")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(Size(shape[:-1]), Size(shape[-1:]), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, ("concentration",), _instance)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        c = self.concentration
        shifted = (c - 1).clamp(min=0)
        mode = shifted / shifted.sum(-1, keepdim=True)
        # All concentrations below 1: the density peaks at the corner of the largest one.
        corner = one_hot(mode.argmax(-1), c.shape[-1]).to(c.dtype)
        return where((c < 1).all(-1, keepdim=True), corner, mode)

    @property
    def variance(self):
        c = self.concentration
        total = c.sum(-1, keepdim=True)
        return c * (total - c) / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        g = standard_gamma(broadcast_to(self.concentration, shape))
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return xlogy(c - 1, value).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        total = c.sum(-1)
        return lgamma(c).sum(-1) - lgamma(total) - (k - total) * digamma(total) \
            - ((c - 1) * digamma(c)).sum(-1)


class StudentT(Distribution):
    """StudentT(df, loc=0.0, scale=1.0): a heavy-tailed location/scale family."""
    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(Size(tuple(self.df.shape)), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, ("df", "loc", "scale"), _instance)

    @property
    def mean(self):
        return where(self.df > 1, self.loc, math.nan)

    mode = property(lambda self: self.loc)

    @property
    def variance(self):
        df, s2 = self.df, self.scale.pow(2)
        finite = s2 * df / (df - 2).clamp(min=_tiny(df))
        return where(df > 2, finite, where(df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        x = draw(self.df, shape, "standard_normal")
        chi2 = 2 * standard_gamma(broadcast_to(0.5 * self.df, shape))
        return self.loc + self.scale * x * (self.df / chi2).sqrt()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        df = self.df
        y = (value - self.loc) / self.scale
        z = self.scale.log() + 0.5 * df.log() + 0.5 * math.log(math.pi) + lgamma(0.5 * df) \
            - lgamma(0.5 * (df + 1.0))
        return -0.5 * (df + 1.0) * (y.pow(2) / df).log1p() - z

    def entropy(self):
        df = self.df
        lbeta = lgamma(0.5 * df) + math.lgamma(0.5) - lgamma(0.5 * (df + 1))
        return self.scale.log() + 0.5 * (df + 1) * (digamma(0.5 * (df + 1)) - digamma(0.5 * df)) \
            + 0.5 * df.log() + lbeta

