"""Invertible maps between constrained spaces (`torch.distributions.transforms`): y = t(x),
x = t.inv(y), and log|dy/dx| for TransformedDistribution's change of variables. All are
composites of differentiable brique ops, so gradients flow through samples and log-densities.

    t = ComposeTransform([AffineTransform(0.0, 2.0), TanhTransform(cache_size=1)])
    y = t(x); x_again = t.inv(y); ladj = t.log_abs_det_jacobian(x, y)
"""
from __future__ import annotations

import math
import numbers

from ..creation import full_like
from ..ops.elementwise import softplus
from ..ops.movement import broadcast_shapes, pad
from ..tensor import Size, Tensor
from . import constraints
from .transform_base import ComposeTransform, Transform, identity_transform
from .utils import _eps, sum_rightmost, tiny

__all__ = ["AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform",
           "PowerTransform", "SigmoidTransform", "SoftmaxTransform", "StickBreakingTransform",
           "TanhTransform", "Transform", "identity_transform"]


class ExpTransform(Transform):
    """y = exp(x), from the real line to the positive reals."""
    domain, codomain = constraints.real, constraints.positive
    bijective, sign = True, 1

    def __eq__(self, other):
        return isinstance(other, ExpTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform):
    """y = x ** exponent on the positive reals."""
    domain, codomain = constraints.positive, constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.exponent = exponent if isinstance(exponent, Tensor) else _as_tensor(exponent)

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and bool((self.exponent == other.exponent).all())

    __hash__ = object.__hash__

    @property
    def sign(self):
        return self.exponent.sign()

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return Size(broadcast_shapes(shape, getattr(self.exponent, "shape", ())))

    inverse_shape = forward_shape


def _as_tensor(value):
    from ..creation import tensor
    if not isinstance(value, numbers.Number):
        raise TypeError(f"expected a number or a Tensor, got {type(value).__name__}")
    return tensor(float(value))


class SigmoidTransform(Transform):
    """y = sigmoid(x), clipped inside (0, 1) so that its inverse and log-det stay finite."""
    domain, codomain = constraints.real, constraints.unit_interval
    bijective, sign = True, 1

    def __eq__(self, other):
        return isinstance(other, SigmoidTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.sigmoid().clamp(min=tiny(x.dtype), max=1.0 - _eps(x.dtype))

    def _inverse(self, y):
        y = y.clamp(min=tiny(y.dtype), max=1.0 - _eps(y.dtype))
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)


class TanhTransform(Transform):
    """y = tanh(x), onto (-1, 1). Pass cache_size=1 when scoring samples (soft actor-critic):
    atanh of a y rounded to +-1 is infinite, the cache gives back the x that made it."""
    domain, codomain = constraints.real, constraints.interval(-1.0, 1.0)
    bijective, sign = True, 1

    def __eq__(self, other):
        return isinstance(other, TanhTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return 0.5 * (y.log1p() - (-y).log1p())

    def log_abs_det_jacobian(self, x, y):
        # log(1 - tanh(x)^2) rewritten so it neither underflows nor cancels for large |x|.
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AbsTransform(Transform):
    """y = |x|; its 'inverse' returns y (the non-negative pre-image)."""
    domain, codomain = constraints.real, constraints.positive

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class AffineTransform(Transform):
    """y = loc + scale * x; with `event_dim` > 0 the log-det is summed over that many rightmost
    dimensions (one event)."""
    bijective = True

    def __init__(self, loc, scale, event_dim=0, cache_size=0):
        super().__init__(cache_size=cache_size)
        for name, v in (("loc", loc), ("scale", scale)):
            if not isinstance(v, (Tensor, numbers.Number)):
                raise TypeError(f"AffineTransform: {name} must be a number or a Tensor, got "
                                f"{type(v).__name__}")
        self.loc, self.scale, self._event_dim = loc, scale, int(event_dim)

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return constraints.real if not self._event_dim else \
            constraints.independent(constraints.real, self._event_dim)

    codomain = domain

    def __eq__(self, other):
        if not isinstance(other, AffineTransform):
            return False
        return all((a == b) if isinstance(a, numbers.Number) and isinstance(b, numbers.Number)
                   else (a is b) for a, b in ((self.loc, other.loc), (self.scale, other.scale)))

    __hash__ = object.__hash__

    @property
    def sign(self):
        if isinstance(self.scale, numbers.Number):
            return 1 if float(self.scale) > 0 else -1 if float(self.scale) < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        if isinstance(self.scale, numbers.Number):
            result = full_like(x, math.log(abs(self.scale)))
        else:
            result = self.scale.abs().log().expand(*x.shape) \
                if tuple(self.scale.shape) != tuple(x.shape) else self.scale.abs().log()
        return sum_rightmost(result, self._event_dim)

    def forward_shape(self, shape):
        return Size(broadcast_shapes(shape, getattr(self.loc, "shape", ()),
                                     getattr(self.scale, "shape", ())))

    inverse_shape = forward_shape


class SoftmaxTransform(Transform):
    """Real vectors to the simplex by softmax over the last dimension; not bijective (adding a
    constant changes nothing), so its inverse is log and it has no log-det."""
    domain, codomain = constraints.real_vector, constraints.simplex

    def __eq__(self, other):
        return isinstance(other, SoftmaxTransform)

    __hash__ = object.__hash__

    def _call(self, x):
        return x.softmax(-1)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        _need_vector("SoftmaxTransform.forward_shape", shape)
        return shape

    inverse_shape = forward_shape


def _need_vector(what, shape):
    if len(shape) < 1:
        raise ValueError(f"{what}: too few dimensions: expected at least 1, got shape "
                         f"{tuple(shape)}")


class StickBreakingTransform(Transform):
    """Real vectors of length K to the K+1 simplex by breaking a stick: a bijection (unlike
    softmax), with an offset so that x = 0 lands on the uniform point."""
    domain, codomain = constraints.real_vector, constraints.simplex
    bijective = True

    def __eq__(self, other):
        return isinstance(other, StickBreakingTransform)

    __hash__ = object.__hash__

    @staticmethod
    def _log_offset(like, k):
        # log(K - i) for i = 0..K-1: subtracting it centres every break at the uniform share.
        return (k + 1 - like.new_ones(k).cumsum(-1)).log()

    def _call(self, x):
        z = (x - self._log_offset(x, x.shape[-1])).sigmoid()
        rest = (1 - z).cumprod(-1)
        return pad(z, (0, 1), value=1.0) * pad(rest, (1, 0), value=1.0)

    def _inverse(self, y):
        head = y[..., :-1]
        k = head.shape[-1]
        left = (1 - head.cumsum(-1)).clamp(min=tiny(y.dtype))
        return head.log() - left.log() + self._log_offset(y, k)

    def log_abs_det_jacobian(self, x, y):
        shifted = x - self._log_offset(x, x.shape[-1])
        return (-shifted + (-softplus(-shifted)) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        _need_vector("StickBreakingTransform.forward_shape", shape)
        return Size(tuple(shape[:-1]) + (shape[-1] + 1,))

    def inverse_shape(self, shape):
        _need_vector("StickBreakingTransform.inverse_shape", shape)
        return Size(tuple(shape[:-1]) + (shape[-1] - 1,))
