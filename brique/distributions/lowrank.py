"""LowRankMultivariateNormal: a Gaussian whose covariance is W W^T + diag(D) with W of rank
r << n, scored in O(n r^2) through the r x r "capacitance" matrix I + W^T D^-1 W (Woodbury's
identity and the matrix determinant lemma) instead of an n x n Cholesky factor."""
from __future__ import annotations

import math

from .. import linalg
from ..creation import eye
from ..ops.structure import diag_embed
from ..ops.movement import broadcast_shapes
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import draw, lazy_property


class LowRankMultivariateNormal(Distribution):
    """LowRankMultivariateNormal(loc, cov_factor, cov_diag): covariance
    cov_factor @ cov_factor.mT + diag(cov_diag).

    Shape: loc (*, n), cov_factor (*, n, r), cov_diag (*, n); batch_shape is the broadcast of
    the `*`s and event_shape is (n,).
    """
    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if cov_factor.shape[-2] != n:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m, "
                             f"got shape {tuple(cov_factor.shape)}")
        if cov_diag.dim() < 1 or cov_diag.shape[-1] != n:
            raise ValueError(f"cov_diag must be a batch of vectors with shape ({n},), got "
                             f"shape {tuple(cov_diag.shape)}")
        r = cov_factor.shape[-1]
        batch = tuple(broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]),
                                       tuple(cov_diag.shape[:-1])))
        self.loc = loc.expand(*batch, n)
        self.cov_factor = cov_factor.expand(*batch, n, r)
        self.cov_diag = cov_diag.expand(*batch, n)
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        super().__init__(Size(batch), Size((n,)), validate_args=validate_args)
        # After validation: a bad cov_diag should fail there, not inside the Cholesky.
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        batch = tuple(batch_shape)
        n, r = self.cov_factor.shape[-2:]
        new.loc = self.loc.expand(*batch, n)
        new.cov_factor = self.cov_factor.expand(*batch, n, r)
        new.cov_diag = self.cov_diag.expand(*batch, n)
        for name in ("_unbroadcasted_cov_factor", "_unbroadcasted_cov_diag",
                     "_capacitance_tril"):
            setattr(new, name, getattr(self, name))
        Distribution.__init__(new, Size(batch), self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    mean = mode = property(lambda self: self.loc)

    @lazy_property
    def variance(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (w.pow(2).sum(-1) + d).expand(*self._batch_shape, *self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (w @ w.mT + diag_embed(d)).expand(*self._matrix_shape())

    @lazy_property
    def scale_tril(self):
        # Cholesky of the full covariance, scaled first so that its diagonal is near 1.
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        root = d.sqrt().unsqueeze(-1)
        wd = w / root
        inner = wd @ wd.mT + eye(d.shape[-1], dtype=d.dtype, device=d.device)
        return (root * linalg.cholesky(inner)).expand(*self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        # Woodbury: D^-1 - D^-1 W K^-1 W^T D^-1, with K = L L^T the capacitance.
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        wt_dinv = w.mT / d.unsqueeze(-2)
        a = linalg.solve_triangular(self._capacitance_tril, wt_dinv, upper=False)
        return (diag_embed(d.reciprocal()) - a.mT @ a).expand(*self._matrix_shape())

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        r = self.cov_factor.shape[-1]
        eps_w = draw(self.loc, tuple(shape[:-1]) + (r,), "standard_normal")
        eps_d = draw(self.loc, shape, "standard_normal")
        w = self._unbroadcasted_cov_factor
        return self.loc + (w @ eps_w.unsqueeze(-1)).squeeze(-1) \
            + self._unbroadcasted_cov_diag.sqrt() * eps_d

    def _log_det(self):
        """log det(W W^T + D) = log det K + sum log D (matrix determinant lemma)."""
        k = 2 * self._capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return k + self._unbroadcasted_cov_diag.log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        n, r = w.shape[-2:]
        batch = tuple(broadcast_shapes(tuple(diff.shape[:-1]), tuple(w.shape[:-2])))
        proj = (w.mT.expand(*batch, r, n) @ (diff / d).expand(*batch, n).unsqueeze(-1))
        tril = self._capacitance_tril
        tril = tril.expand(*batch, r, r)
        z = linalg.solve_triangular(tril, proj, upper=False).squeeze(-1)
        maha = (diff.pow(2) / d).sum(-1) - z.pow(2).sum(-1)
        return -0.5 * (n * math.log(2 * math.pi) + maha + self._log_det())

    def entropy(self):
        n = self._event_shape[0]
        h = 0.5 * (n * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return h.expand(*self._batch_shape) if len(self._batch_shape) else h


def _capacitance_tril(w, d):
    """Cholesky factor of I + W^T D^-1 W (r x r)."""
    wt_dinv = w.mT / d.unsqueeze(-2)
    k = wt_dinv @ w
    r = w.shape[-1]
    return linalg.cholesky(k + eye(r, dtype=w.dtype, device=w.device))
