"""MixtureSameFamily: a Categorical choice among K components of one family (a mixture of
Gaussians, the mixture density network's output)."""
from __future__ import annotations

from ..autograd import no_grad
from ..tensor import Size
from .discrete import Categorical
from .distribution import Distribution


class MixtureSameFamily(Distribution):
    """MixtureSameFamily(mixture_distribution, component_distribution): the mixture weights
    are a Categorical over K, the components one distribution whose rightmost batch dimension
    is K. log_prob is the log-sum-exp over components of log weight + component log_prob.

    Shape: mixture batch_shape B (or broadcastable to it) with K categories; component
    batch_shape B + (K,), event_shape E; this distribution has batch_shape B, event_shape E."""
    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(f"MixtureSameFamily: mixture_distribution must be a Categorical, "
                             f"got {type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError(f"MixtureSameFamily: component_distribution must be a "
                             f"Distribution, got {type(component_distribution).__name__}")
        comp_batch = tuple(component_distribution.batch_shape)
        if not comp_batch:
            raise ValueError("MixtureSameFamily: component_distribution needs a batch "
                             "dimension of size K (the number of components)")
        mix_batch, batch = tuple(mixture_distribution.batch_shape), comp_batch[:-1]
        for m, c in zip(reversed(mix_batch), reversed(batch)):
            if m != c and m != 1 and c != 1:
                raise ValueError(f"MixtureSameFamily: mixture_distribution.batch_shape "
                                 f"{mix_batch} is not compatible with component_distribution."
                                 f"batch_shape[:-1] {batch}")
        k = mixture_distribution.logits.shape[-1]
        if k != comp_batch[-1]:
            raise ValueError(f"MixtureSameFamily: the mixture has {k} components but "
                             f"component_distribution.batch_shape[-1] is {comp_batch[-1]}")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = k
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(Size(batch), component_distribution.event_shape,
                         validate_args=validate_args)

    mixture_distribution = property(lambda self: self._mixture_distribution)
    component_distribution = property(lambda self: self._component_distribution)
    support = property(lambda self: self._component_distribution.support)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        batch = tuple(batch_shape)
        new._mixture_distribution = self._mixture_distribution.expand(batch)
        new._component_distribution = self._component_distribution.expand(
            batch + (self._num_component,))
        new._num_component, new._event_ndims = self._num_component, self._event_ndims
        Distribution.__init__(new, Size(batch), self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _weights(self, probs):
        """(..., K) mixture weights broadcast against the components' B + (K,) + E values."""
        return probs.reshape(tuple(probs.shape) + (1,) * self._event_ndims)

    def _component_axis(self, value):
        return value.unsqueeze(-1 - self._event_ndims)  # broadcast one value over K

    @property
    def mean(self):
        probs = self._weights(self._mixture_distribution.probs)
        return (probs * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self):
        # the law of total variance: E[Var | k] + Var[E | k]
        probs = self._weights(self._mixture_distribution.probs)
        axis = -1 - self._event_ndims
        comp = self._component_distribution
        within = (probs * comp.variance).sum(axis)
        between = (probs * (comp.mean - self._component_axis(self.mean)).pow(2)).sum(axis)
        return within + between

    def cdf(self, value):
        probs = self._weights(self._mixture_distribution.probs)
        return (self._component_distribution.cdf(self._component_axis(value)) * probs).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        per_component = self._component_distribution.log_prob(self._component_axis(value))
        log_weights = self._mixture_distribution.logits.log_softmax(-1)
        return (per_component + log_weights).logsumexp(-1)

    def sample(self, sample_shape=Size()):
        with no_grad():
            sample_shape = tuple(sample_shape)
            mixture = self._mixture_distribution
            if tuple(mixture.batch_shape) != tuple(self._batch_shape):  # a choice per member
                mixture = mixture.expand(self._batch_shape)
            which = mixture.sample(sample_shape)                          # S + B
            draws = self._component_distribution.sample(sample_shape)     # S + B + (K,) + E
            axis = len(sample_shape) + len(self._batch_shape)
            event = tuple(self._event_shape)
            index = which.reshape(tuple(which.shape) + (1,) * (1 + len(event)))
            index = index.expand(tuple(which.shape) + (1,) + event)
            return draws.gather(axis, index).squeeze(axis)

    def __repr__(self):
        return (f"MixtureSameFamily(\n  {self._mixture_distribution!r},\n  "
                f"{self._component_distribution!r})")
