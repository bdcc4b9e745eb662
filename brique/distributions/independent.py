"""Independent (batch dimensions reinterpreted as event dimensions) and MultivariateNormal."""
from __future__ import annotations

import math

from .. import linalg
from ..creation import eye
from ..ops.movement import broadcast_shapes
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import draw, lazy_property, sum_rightmost


class Independent(Distribution):
    """Independent(base_distribution, reinterpreted_batch_ndims): the rightmost
    `reinterpreted_batch_ndims` batch dimensions of the base become event dimensions, so
    log_prob sums over them (a diagonal Normal over vectors: Independent(Normal(mu, s), 1))."""
    arg_constraints = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        n = reinterpreted_batch_ndims
        batch = tuple(base_distribution.batch_shape)
        if not isinstance(n, int) or n < 0 or n > len(batch):
            raise ValueError(f"Expected reinterpreted_batch_ndims <= len(base_distribution."
                             f"batch_shape), actual {n} vs {len(batch)}")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        event = batch[len(batch) - n:] + tuple(base_distribution.event_shape)
        super().__init__(Size(batch[:len(batch) - n]), Size(event), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Independent, _instance)
        batch_shape = tuple(batch_shape)
        n = self.reinterpreted_batch_ndims
        tail = tuple(self._event_shape[:n]) if n else ()
        new.base_dist = self.base_dist.expand(batch_shape + tail)
        new.reinterpreted_batch_ndims = n
        Distribution.__init__(new, Size(batch_shape), self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):
        return False if self.reinterpreted_batch_ndims else self.base_dist.has_enumerate_support

    @property
    def support(self):
        base = self.base_dist.support
        n = self.reinterpreted_batch_ndims
        return constraints.independent(base, n) if n else base

    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)

    def sample(self, sample_shape=Size()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=Size()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand=True):
        if self.reinterpreted_batch_ndims:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self):
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"


def _mT(t):
    return t.transpose(-2, -1)


def _mahalanobis(scale_tril, diff):
    """|L^-1 diff|^2 over the event dimension, batch dimensions broadcast."""
    n = diff.shape[-1]
    batch = tuple(broadcast_shapes(tuple(scale_tril.shape[:-2]), tuple(diff.shape[:-1])))
    # broadcast here: the array module's solve need not broadcast batch dimensions (CuPy)
    x = linalg.solve_triangular(scale_tril.expand(*batch, n, n),
                                diff.expand(*batch, n).unsqueeze(-1), upper=False)
    return x.squeeze(-1).pow(2).sum(-1)


class MultivariateNormal(Distribution):
    """MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None):
    exactly one of the three matrices. Internally everything goes through the lower Cholesky
    factor L (covariance L L^T), differentiable with respect to whichever was given.

    Shape: loc (*, n); matrices (*, n, n); batch_shape is the broadcast of the `*`s."""
    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        given = [(k, v) for k, v in (("covariance_matrix", covariance_matrix),
                                     ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if v is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            raise ValueError(f"{name} must be at least two-dimensional, with optional leading "
                             f"batch dimensions")
        n = loc.shape[-1]
        if tuple(matrix.shape[-2:]) != (n, n):
            raise ValueError(f"MultivariateNormal: {name} of shape {tuple(matrix.shape)} does "
                             f"not match loc of shape {tuple(loc.shape)}: expected (..., {n}, {n})")
        batch = tuple(broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        self.__dict__[name] = matrix.expand(*batch, n, n)
        self.loc = loc.expand(*batch, n)
        super().__init__(Size(batch), Size((n,)), validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch = tuple(batch_shape)
        n = self._event_shape[0]
        new.loc = self.loc.expand(*batch, n)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if name in self.__dict__:
                new.__dict__[name] = self.__dict__[name].expand(*batch, n, n)
        Distribution.__init__(new, Size(batch), self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(*self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ _mT(L)).expand(*self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        # L^-1; the precision is L^-T L^-1
        inv = linalg.solve_triangular(L, _eye_like(L), upper=False)
        return (_mT(inv) @ inv).expand(*self._matrix_shape())

    mean = mode = property(lambda self: self.loc)

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            *self._batch_shape, *self._event_shape)

    def rsample(self, sample_shape=Size()):
        eps = draw(self.loc, self._extended_shape(sample_shape), "standard_normal")
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n = self._event_shape[0]
        m = _mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (n * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(*self._batch_shape) if len(self._batch_shape) else h


def _eye_like(m):
    return eye(m.shape[-1], dtype=m.dtype, device=m.device).expand(*m.shape)


def _precision_to_scale_tril(precision):
    # P = Lp Lp^T, so the covariance P^-1 = Lp^-T Lp^-1; its Cholesky factor is the scale.
    lp_inv = linalg.solve_triangular(linalg.cholesky(precision), _eye_like(precision),
                                     upper=False)
    return linalg.cholesky(_mT(lp_inv) @ lp_inv)
