"""TransformedDistribution: a base distribution pushed through a chain of transforms, scored by
the change-of-variables formula (soft actor-critic's tanh-squashed Gaussian, normalizing flows).

    pi = TransformedDistribution(Normal(mu, std), [TanhTransform(cache_size=1)])
    a = pi.rsample(); logp = pi.log_prob(a)   # the cache hands back the pre-tanh sample
"""
from __future__ import annotations

from ..autograd import no_grad
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .independent import Independent
from .transform_base import ComposeTransform, Transform
from .utils import as_size, sum_rightmost


class TransformedDistribution(Distribution):
    """The law of transforms[-1](...transforms[0](X)) for X ~ base_distribution.

    Shape: batch_shape and event_shape are those of the transformed samples; a transform whose
    domain has more event dimensions than the base's events reinterprets base batch dimensions
    (through Independent), as PyTorch does.
    """
    arg_constraints = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif isinstance(transforms, (list, tuple)):
            for t in transforms:
                if not isinstance(t, Transform):
                    raise ValueError(f"TransformedDistribution: transforms must be a Transform "
                                     f"or a list of Transforms, got an element of type "
                                     f"{type(t).__name__}")
            transforms = list(transforms)
        else:
            raise ValueError(f"TransformedDistribution: transforms must be a Transform or a "
                             f"list of Transforms, got {type(transforms).__name__}")
        self.transforms = transforms
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        chain = ComposeTransform(transforms)
        if len(base_shape) < chain.domain.event_dim:
            raise ValueError(f"TransformedDistribution: base_distribution needs at least "
                             f"{chain.domain.event_dim} dimensions, but has shape {base_shape}")
        forward_shape = tuple(chain.forward_shape(Size(base_shape)))
        expanded = tuple(chain.inverse_shape(Size(forward_shape)))
        if expanded != base_shape:
            base_distribution = base_distribution.expand(
                Size(expanded[:len(expanded) - base_event_dim]))
        extra = chain.domain.event_dim - base_event_dim
        if extra > 0:
            base_distribution = Independent(base_distribution, extra)
        self.base_dist = base_distribution
        event_dim = max(chain.codomain.event_dim,
                        base_event_dim + chain.codomain.event_dim - chain.domain.event_dim)
        cut = len(forward_shape) - event_dim
        super().__init__(Size(forward_shape[:cut]), Size(forward_shape[cut:]),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(TransformedDistribution, _instance)
        batch_shape = as_size(batch_shape)
        shape = Size(tuple(batch_shape) + tuple(self._event_shape))
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        base_batch = tuple(shape)[:len(shape) - len(self.base_dist.event_shape)]
        new.base_dist = self.base_dist.expand(Size(base_batch))
        new.transforms = self.transforms
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @constraints.dependent_property(is_discrete=False)
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        extra = len(self._event_shape) - support.event_dim
        return constraints.independent(support, extra) if extra > 0 else support

    def sample(self, sample_shape=Size()):
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape=Size()):
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value):
        """log p(value) = log p_base(x) - sum of each transform's log|det J| along the way back,
        each summed over the event dimensions it does not itself treat as one event."""
        if self._validate_args:
            self._validate_sample(value)
        event_dim = len(self._event_shape)
        total, y = 0.0, value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            total = total - sum_rightmost(t.log_abs_det_jacobian(x, y),
                                          event_dim - t.domain.event_dim)
            y = x
        return total + sum_rightmost(self.base_dist.log_prob(y),
                                     event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value):
        """A decreasing chain turns the base cdf into 1 - cdf (sign may be a tensor)."""
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value):
        value = self.base_dist.icdf(self._monotonize_cdf(value))
        for t in self.transforms:
            value = t(value)
        return value

    def __repr__(self):
        return f"{type(self).__name__}()"
