"""The Distribution base class: shapes, argument validation, sample/rsample, and the defaults
(stddev from variance, perplexity from entropy) every distribution shares."""
from __future__ import annotations

import warnings

from ..autograd import no_grad
from ..tensor import Size, Tensor
from . import constraints
from .utils import as_size


class Distribution:
    """A family of probability distributions with a `batch_shape` of independent members, each
    over events of `event_shape`. Samples have shape `sample_shape + batch_shape + event_shape`.

    Subclasses set `arg_constraints` (parameter name -> constraint) and `support`;
    `validate_args=True` (the default, as PyTorch under `__debug__`) checks the parameters at
    construction and the values given to `log_prob`, raising ValueError naming what failed.
    """
    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value):
        if value not in (True, False):
            raise ValueError(f"set_default_validate_args: expected True or False, got {value!r}")
        Distribution._validate_args = value

    def __init__(self, batch_shape=Size(), event_shape=Size(), validate_args=None):
        self._batch_shape = as_size(batch_shape)
        self._event_shape = as_size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            arg_constraints = self.arg_constraints
            for param, constraint in arg_constraints.items():
                if constraints.is_dependent(constraint):
                    continue
                # Only the parameters given: probs/logits are lazy, one from the other.
                if param not in self.__dict__ and isinstance(
                        getattr(type(self), param, None), _lazy_types()):
                    continue
                value = getattr(self, param)
                valid = constraint.check(value)
                if not bool(valid.all()):
                    raise ValueError(
                        f"Expected parameter {param} ({type(value).__name__} of shape "
                        f"{tuple(value.shape)}) of distribution {self!r} to satisfy the "
                        f"constraint {constraint!r}, but found invalid values:\n{value!r}")
        super().__init__()

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    @property
    def arg_constraints(self):
        return {}

    @property
    def support(self):
        raise NotImplementedError(f"{type(self).__name__} does not define its support")

    def expand(self, batch_shape, _instance=None):
        raise NotImplementedError(f"{type(self).__name__} does not implement expand")

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self):
        return self.variance.sqrt()

    def sample(self, sample_shape=Size()):
        """A sample off the graph (no gradient); `rsample` for a differentiable one."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=Size()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sampler "
                                  f"(has_rsample is False): use sample()")

    def sample_n(self, n):
        warnings.warn("sample_n will be deprecated. Use .sample((n,)) instead", UserWarning)
        return self.sample(Size((n,)))

    def log_prob(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value):
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def enumerate_support(self, expand=True):
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    def entropy(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self):
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=Size()):
        return Size(tuple(as_size(sample_shape)) + tuple(self._batch_shape)
                    + tuple(self._event_shape))

    def _validate_sample(self, value):
        """Raise when `value` cannot be scored: not a tensor, shapes that do not broadcast
        with the batch and event shapes, or values outside the support."""
        if not isinstance(value, Tensor):
            raise ValueError(f"{type(self).__name__}.log_prob: the value should be a Tensor, "
                             f"got {type(value).__name__}")
        event_dim = len(self._event_shape)
        shape = tuple(value.shape)
        if shape[len(shape) - event_dim:] != tuple(self._event_shape) and event_dim:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{tuple(value.shape)} vs {tuple(self._event_shape)}.")
        actual, expected = shape[:len(shape) - event_dim], tuple(self._batch_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{shape} vs {expected + tuple(self._event_shape)}.")
        support = self.support
        if support is None or constraints.is_dependent(support):
            return
        if not bool(support.check(value).all()):
            raise ValueError(f"Expected value argument ({type(value).__name__} of shape {shape}) "
                             f"to be within the support ({support!r}) of the distribution "
                             f"{self!r}, but found invalid values:\n{value!r}")

    def _get_checked_instance(self, cls, _instance=None):
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {type(self).__name__} of {cls.__name__} that "
                                      f"defines a custom __init__ method must also define a "
                                      f"custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _expand_params(self, batch_shape, names, _instance=None, event_shape=None):
        """The common expand: each named parameter broadcast to the new batch shape."""
        new = self._get_checked_instance(type(self), _instance)
        batch_shape = as_size(batch_shape)
        event = tuple(self._event_shape if event_shape is None else event_shape)
        for name in names:
            if name in self.__dict__:
                value = self.__dict__[name]
                tail = tuple(value.shape[len(self._batch_shape):])
                new.__dict__[name] = value.expand(*(tuple(batch_shape) + tail))
        Distribution.__init__(new, batch_shape, event, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def __repr__(self):
        names = [k for k in self.arg_constraints if k in self.__dict__]
        values = [self.__dict__[k] for k in names]
        inner = ", ".join(f"{k}: {v.item() if v.numel() == 1 else Size(tuple(v.shape))}"
                          for k, v in zip(names, values))
        return f"{type(self).__name__}({inner})"


def _lazy_types():
    from .utils import lazy_property
    return (lazy_property,)
