"""Multinomial(total_count, probs=None, logits=None): counts of each of K outcomes over
total_count independent categorical draws."""
from __future__ import annotations

import numbers

from ..creation import arange
from ..ops.elementwise import where
from ..ops.special import lgamma
from ..tensor import Size
from . import constraints
from .discrete import Binomial, Categorical
from .distribution import Distribution


class Multinomial(Distribution):
    """Counts over the last dimension's K categories; event_shape is (K,).

    Shape: probs or logits (..., K) give batch_shape (...) and samples of shape
    sample_shape + batch_shape + (K,), in the parameters' float dtype (as PyTorch).
    """
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if isinstance(total_count, bool) or not isinstance(total_count, numbers.Integral):
            # PyTorch supports one count shared by the whole batch only.
            raise NotImplementedError(f"Multinomial: inhomogeneous total_count is not "
                                      f"supported: expected a Python int, got {total_count!r}")
        if total_count < 0:
            raise ValueError(f"Multinomial: total_count must be non-negative, got {total_count}")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=self.total_count, probs=self.probs)
        param = self._categorical._param
        super().__init__(Size(tuple(param.shape[:-1])), Size(tuple(param.shape[-1:])),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        batch_shape = Size(tuple(batch_shape))
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new.probs)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)
    mean = property(lambda self: self.probs * self.total_count)
    variance = property(lambda self: self.total_count * self.probs * (1 - self.probs))

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    def sample(self, sample_shape=Size()):
        """total_count categorical draws, counted per category."""
        sample_shape = Size(tuple(sample_shape))
        k = self._event_shape[0]
        draws = self._categorical.sample(Size((self.total_count,) + tuple(sample_shape)))
        categories = arange(k, device=draws.device)
        counts = (draws.unsqueeze(-1) == categories).to(self.probs.dtype).sum(0)
        return counts.detach()

    def log_prob(self, value):
        """log n! - sum log x_i! + sum x_i log p_i (a zero count of an impossible category
        adds 0, not nan)."""
        if self._validate_args:
            self._validate_sample(value)
        logits = self.logits
        powers = where((value == 0) & (logits == -float("inf")), 0.0, logits * value).sum(-1)
        return lgamma(value.sum(-1) + 1) - lgamma(value + 1).sum(-1) + powers

    def entropy(self):
        """Entropy by summing, for each count c in 1..n, P(x_i = c) log c! (the binomial
        marginals) over categories."""
        n = self.total_count
        probs = self.probs
        term1 = n * self._categorical.entropy() - lgamma(probs.new_tensor(float(n + 1)))
        if n == 0:
            return term1
        counts = arange(1, n + 1, dtype=probs.dtype, device=probs.device)
        counts = counts.reshape(n, *([1] * probs.dim()))
        marginals = self._binomial.log_prob(counts).exp()
        term2 = (marginals * lgamma(counts + 1)).sum(0).sum(-1)
        return term1 + term2
