"""Continuous relaxations of discrete variables (Gumbel-softmax / Concrete): RelaxedBernoulli
and RelaxedOneHotCategorical, reparameterized, sharpening to their discrete limit as the
temperature goes to 0."""
from __future__ import annotations

import math

from ..ops.elementwise import softplus
from ..tensor import Size, Tensor
from . import constraints
from .discrete import Categorical, _Binary
from .distribution import Distribution
from .utils import broadcast_all, clamp_probs, draw


def _temperature(t, like):
    if isinstance(t, Tensor):
        return t
    return broadcast_all(like, t)[1] if isinstance(like, Tensor) else broadcast_all(t)[0]


class RelaxedBernoulli(_Binary):
    """RelaxedBernoulli(temperature, probs=None, logits=None): sigmoid((logits + logistic
    noise) / temperature), in (0, 1)."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        (param,) = self._set_binary(probs, logits)
        self.temperature = _temperature(temperature, param)
        super().__init__(Size(tuple(param.shape)), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new.temperature = self.temperature
        return new

    def rsample(self, sample_shape=Size()):
        u = clamp_probs(self._uniform(sample_shape))
        y = (self.logits + u.log() - (-u).log1p()) / self.temperature
        return clamp_probs(y.sigmoid())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        x = clamp_probs(value)
        y = x.log() - (-x).log1p()  # the logit the sample came from
        diff = self.logits - y * self.temperature
        logistic = self.temperature.log() + diff - 2 * softplus(diff)
        # change of variables x = sigmoid(y): minus log sigmoid'(y)
        return logistic + softplus(-y) + softplus(y)


class RelaxedOneHotCategorical(Distribution):
    """RelaxedOneHotCategorical(temperature, probs=None, logits=None): softmax((logits +
    Gumbel noise) / temperature), a point of the simplex."""
    arg_constraints = {"probs": constraints.simplex,
                       "logits": constraints.independent(constraints.real, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = _temperature(temperature, self._categorical._param)
        event = Size((self._categorical.param_shape[-1],))
        super().__init__(self._categorical.batch_shape, event, validate_args=validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        new._categorical = self._categorical.expand(batch_shape)
        new.temperature = self.temperature
        Distribution.__init__(new, new._categorical.batch_shape, self._event_shape,
                              validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()):
        u = clamp_probs(draw(self.logits, self._extended_shape(sample_shape), "uniform"))
        gumbels = -(-u.log()).log()
        scores = (self.logits + gumbels) / self.temperature
        return (scores - scores.logsumexp(-1, keepdim=True)).exp()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        k = self._event_shape[0]
        y = value.log()
        log_scale = math.lgamma(k) + (k - 1) * self.temperature.log()
        score = self.logits - y * self.temperature
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + log_scale - y.sum(-1)
