"""Discrete distributions: Bernoulli, Categorical, OneHotCategorical, Geometric, Poisson,
Binomial. Parameterized by `probs` or `logits` (exactly one), the other computed on first use."""
from __future__ import annotations

import math

from .._compat import finfo
from ..creation import arange, eye, full
from ..ops.elementwise import minimum, softplus, where
from ..ops.indexing import one_hot
from ..ops.movement import broadcast_to
from ..ops.special import lgamma, xlogy
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import (broadcast_all, draw, draw_like, lazy_property, logits_to_probs,
                    probs_to_logits)


def _one_of(name, probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both.")


def _as_param(value):
    from ..tensor import Tensor
    return value if isinstance(value, Tensor) else broadcast_all(value)[0]


class _Binary(Distribution):
    """probs/logits bookkeeping shared by the elementwise families (Bernoulli, Geometric,
    Binomial): the given one is stored, the other is a lazy property."""

    def _set_binary(self, probs, logits, *others):
        _one_of(type(self).__name__, probs, logits)
        name = "probs" if probs is not None else "logits"
        values = broadcast_all(probs if probs is not None else logits, *others)
        self.__dict__[name] = values[0]
        self._param = values[0]
        return values

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return Size(tuple(self._param.shape))

    def _names(self):
        return ("probs", "logits") + getattr(self, "_extra", ())

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(batch_shape, self._names(), _instance)
        new._param = new.__dict__["probs" if "probs" in new.__dict__ else "logits"]
        return new

    def _uniform(self, sample_shape):
        return draw(self._param, self._extended_shape(sample_shape), "uniform")


class Bernoulli(_Binary):
    """Bernoulli(probs=None, logits=None): 1 with probability `probs` (sigmoid(`logits`))."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        (param,) = self._set_binary(probs, logits)
        super().__init__(Size(tuple(param.shape)), validate_args=validate_args)

    mean = property(lambda self: self.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return where(self.probs == 0.5, math.nan, mode)

    def sample(self, sample_shape=Size()):
        u = self._uniform(sample_shape)
        return (u < self.probs.detach()).to(u.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return value * logits - softplus(logits)

    def entropy(self):
        return softplus(self.logits) - self.probs * self.logits

    def enumerate_support(self, expand=True):
        values = arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values


class Geometric(_Binary):
    """Geometric(probs=None, logits=None): the number of failures before the first success."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        (param,) = self._set_binary(probs, logits)
        super().__init__(Size(tuple(param.shape)), validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            raise ValueError(f"Expected parameter probs of distribution Geometric to satisfy "
                             f"the constraint HalfOpenInterval(lower_bound=0.0, "
                             f"upper_bound=1.0) (probs > 0), but found:\n{self.probs!r}")

    mean = property(lambda self: 1.0 / self.probs - 1.0)
    mode = property(lambda self: self.probs * 0)
    variance = property(lambda self: (1.0 / self.probs - 1.0) / self.probs)

    def sample(self, sample_shape=Size()):
        u = self._uniform(sample_shape)
        return (u.log() / (-self.probs.detach()).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 and k = 0: 0 * log(0) is 0 here, not nan.
        failures = where((probs == 1) & (value == 0), 0.0, value * (-probs).log1p())
        return failures + self.probs.log()

    def entropy(self):
        return (softplus(self.logits) - self.probs * self.logits) / self.probs


class Binomial(_Binary):
    """Binomial(total_count=1, probs=None, logits=None): successes in total_count trials."""
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True
    _extra = ("total_count",)

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        param, self.total_count = self._set_binary(probs, logits, total_count)
        self.total_count = self.total_count.to(param.dtype)
        super().__init__(Size(tuple(param.shape)), validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    mean = property(lambda self: self.total_count * self.probs)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    @property
    def mode(self):
        return minimum(((self.total_count + 1) * self.probs).floor(), self.total_count)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        n = broadcast_to(self.total_count, shape).long()
        return draw_like(self._param, "binomial", n, broadcast_to(self.probs, shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_choose = lgamma(n + 1) - lgamma(value + 1) - lgamma(n - value + 1)
        return log_choose + value * logits - n * softplus(logits)

    def entropy(self):
        top = int(self.total_count.max())
        if not bool((self.total_count == top).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        top = int(self.total_count.max())
        if not bool((self.total_count == top).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by "
                                      "`enumerate_support`.")
        values = arange(1 + top, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values


class Poisson(Distribution):
    """Poisson(rate): counts with mean and variance `rate`."""
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(Size(tuple(self.rate.shape)), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(batch_shape, ("rate",), _instance)

    mean = variance = property(lambda self: self.rate)
    mode = property(lambda self: self.rate.floor())

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return draw_like(self.rate, "poisson", broadcast_to(self.rate, shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return xlogy(value, rate) - rate - lgamma(value + 1)


class Categorical(Distribution):
    """Categorical(probs=None, logits=None): an index in [0, K) for the last dimension's K
    weights (unnormalized probs, or unnormalized log-probabilities)."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of(type(self).__name__, probs, logits)
        given = _as_param(probs if probs is not None else logits)
        if given.dim() < 1:
            name = "probs" if probs is not None else "logits"
            raise ValueError(f"{type(self).__name__}: `{name}` must be at least one-dimensional, "
                             f"got shape {tuple(given.shape)}")
        if probs is not None:
            self.__dict__["probs"] = given / given.sum(-1, keepdim=True)
        else:
            self.__dict__["logits"] = given - given.logsumexp(-1, keepdim=True)
        self._param = given
        self._num_events = given.shape[-1]
        super().__init__(Size(tuple(given.shape[:-1])), validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return Size(tuple(self._param.shape))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(batch_shape, ("probs", "logits"), _instance)
        new._param = new.__dict__["probs" if "probs" in new.__dict__ else "logits"]
        new._num_events = self._num_events
        return new

    def _nan(self):
        return full(tuple(self._batch_shape), math.nan, dtype=self._param.dtype,
                    device=self._param.device)

    mean = variance = property(lambda self: self._nan())
    mode = property(lambda self: self.probs.argmax(-1))

    def sample(self, sample_shape=Size()):
        # Inverse-CDF sampling: the number of cumulative probabilities below a uniform draw.
        shape = self._extended_shape(sample_shape)
        u = draw(self._param, shape, "random").unsqueeze(-1)
        cdf = self.probs.detach().cumsum(-1)
        index = (cdf < u * cdf[..., -1:]).sum(-1)
        return index.clamp(max=self._num_events - 1).long()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = tuple(_broadcast_shape(value.shape[:-1], self.logits.shape[:-1]))
        index = value.expand(*shape, 1)
        log_pmf = self.logits.expand(*shape, self._num_events)
        return log_pmf.gather(-1, index).squeeze(-1)

    def entropy(self):
        low = float(finfo(self.logits.dtype).min)  # -inf logits: 0, not nan
        return -(self.logits.clamp(min=low) * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = arange(self._num_events, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values


def _broadcast_shape(a, b):
    from ..ops.movement import broadcast_shapes
    return broadcast_shapes(tuple(a), tuple(b))


class OneHotCategorical(Distribution):
    """OneHotCategorical(probs=None, logits=None): Categorical's index as a one-hot vector."""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.independent(
        constraints.real, 1)}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        batch = self._categorical.batch_shape
        event = Size((self._categorical.param_shape[-1],))
        super().__init__(batch, event, validate_args=validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)
    mean = property(lambda self: self._categorical.probs)
    variance = property(lambda self: self.probs * (1 - self.probs))

    @property
    def mode(self):
        return one_hot(self.probs.argmax(-1), self.event_shape[0]).to(self.probs.dtype)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(OneHotCategorical, _instance)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, new._categorical.batch_shape, self._event_shape,
                              validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=Size()):
        index = self._categorical.sample(sample_shape)
        return one_hot(index, self.event_shape[0]).to(self._categorical._param.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        param = self._categorical._param
        values = eye(n, dtype=param.dtype, device=param.device)
        values = values.reshape((n,) + (1,) * len(self._batch_shape) + (n,))
        return values.expand(n, *self._batch_shape, n) if expand else values

