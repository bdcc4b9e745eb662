"""Families PyTorch defines as a transformed base distribution: LogNormal (exp of a Normal),
HalfNormal and HalfCauchy (|X|), Gumbel (-log(-log U), shifted and scaled) and Weibull
(scale * E ** (1/c) for E ~ Exponential(1)). Sampling and cdf come from the transforms; the
moments, entropy and the closed-form log_prob where it is more stable are written out."""
from __future__ import annotations

import math

from .._compat import finfo
from ..creation import full, zeros_like
from ..ops.elementwise import where
from ..ops.special import lgamma
from . import constraints
from .continuous import Cauchy, Exponential, Normal, Uniform
from .transformed import TransformedDistribution
from .transforms import AbsTransform, AffineTransform, ExpTransform, PowerTransform
from .utils import broadcast_all

_EULER_GAMMA = 0.57721566490153286060


class _Family(TransformedDistribution):
    """The expand every family here shares: expand the base and keep the transforms."""

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        return super().expand(batch_shape, _instance=new)

    def _fill(self, value):
        p = self._param
        return full(tuple(self._batch_shape), value, dtype=p.dtype, device=p.device)


class LogNormal(_Family):
    """exp(X) for X ~ Normal(loc, scale); `base_dist` is that Normal."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(),
                         validate_args=validate_args)

    loc = property(lambda self: self.base_dist.loc)
    scale = property(lambda self: self.base_dist.scale)
    _param = loc
    mean = property(lambda self: (self.loc + self.scale.pow(2) / 2).exp())
    mode = property(lambda self: (self.loc - self.scale.pow(2)).exp())

    @property
    def variance(self):
        s2 = self.scale.pow(2)
        return s2.expm1() * (2 * self.loc + s2).exp()

    def entropy(self):
        return self.base_dist.entropy() + self.loc


class _Half(_Family):
    """|X| for a symmetric X centred at 0: the density doubles on x >= 0 and is 0 below."""
    support = constraints.nonnegative
    has_rsample = True
    _param = property(lambda self: self.scale)
    scale = property(lambda self: self.base_dist.scale)
    mode = property(lambda self: zeros_like(self.scale))

    def __init__(self, base, validate_args=None):
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lp = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, lp, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class HalfNormal(_Half):
    """|X| for X ~ Normal(0, scale)."""
    arg_constraints = {"scale": constraints.positive}

    def __init__(self, scale, validate_args=None):
        super().__init__(Normal(0, scale, validate_args=False), validate_args=validate_args)

    mean = property(lambda self: self.scale * math.sqrt(2 / math.pi))
    variance = property(lambda self: self.scale.pow(2) * (1 - 2 / math.pi))


class HalfCauchy(_Half):
    """|X| for X ~ Cauchy(0, scale): infinite mean and variance, as PyTorch gives."""
    arg_constraints = {"scale": constraints.positive}

    def __init__(self, scale, validate_args=None):
        super().__init__(Cauchy(0, scale, validate_args=False), validate_args=validate_args)

    mean = property(lambda self: self._fill(math.inf))
    variance = property(lambda self: self._fill(math.inf))


class Gumbel(_Family):
    """Gumbel(loc, scale): the law of the maximum of many samples; loc - scale log(-log U)."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        info = finfo(self.loc.dtype)
        # U stays inside (0, 1) so both logs stay finite.
        base = Uniform(full(tuple(self.loc.shape), float(info.tiny), dtype=self.loc.dtype,
                            device=self.loc.device),
                       full(tuple(self.loc.shape), 1 - float(info.eps), dtype=self.loc.dtype,
                            device=self.loc.device), validate_args=validate_args)
        transforms = [ExpTransform().inv, AffineTransform(0, -1), ExpTransform().inv,
                      AffineTransform(self.loc, -self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    _param = property(lambda self: self.loc)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gumbel, _instance)
        shape = tuple(batch_shape)
        new.loc, new.scale = self.loc.expand(*shape), self.scale.expand(*shape)
        return super().expand(batch_shape, _instance=new)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (self.loc - value) / self.scale
        return (z - z.exp()) - self.scale.log()

    mean = property(lambda self: self.loc + self.scale * _EULER_GAMMA)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: (math.pi / math.sqrt(6)) * self.scale)
    variance = property(lambda self: self.stddev.pow(2))

    def entropy(self):
        return self.scale.log() + (1 + _EULER_GAMMA)


class Weibull(_Family):
    """Weibull(scale, concentration): scale * E ** (1 / concentration), E ~ Exponential(1)."""
    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(self.scale.new_ones(*self.scale.shape), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal),
                      AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    _param = property(lambda self: self.scale)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        shape = tuple(batch_shape)
        new.scale = self.scale.expand(*shape)
        new.concentration = self.concentration.expand(*shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        new = super().expand(batch_shape, _instance=new)
        new.transforms = [PowerTransform(exponent=new.concentration_reciprocal),
                          AffineTransform(loc=0, scale=new.scale)]
        return new

    @property
    def mean(self):
        return self.scale * lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self):
        c = self.concentration
        return self.scale * ((c - 1) / c).pow(c.reciprocal())

    @property
    def variance(self):
        r = self.concentration_reciprocal
        return self.scale.pow(2) * (lgamma(1 + 2 * r).exp() - lgamma(1 + r).exp().pow(2))

    def entropy(self):
        return _EULER_GAMMA * (1 - self.concentration_reciprocal) \
            + (self.scale * self.concentration_reciprocal).log() + 1


__all__ = ["Gumbel", "HalfCauchy", "HalfNormal", "LogNormal", "Weibull"]
