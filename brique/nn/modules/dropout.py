"""Dropout layers: zero elements (or whole channels) with probability p in training, scaling
the rest by 1 / (1 - p) so that evaluation is the identity."""
from __future__ import annotations

from .. import functional as F
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p}")
        self.p, self.inplace = float(p), inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element independently with probability p (training mode only)."""

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) or (C, L) inputs with probability p."""

    def forward(self, x):
        if x.ndim not in (2, 3):
            raise self._shape_error(x, "of shape (N, C, L) or (C, L)")
        return F.dropout1d(x, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels (feature maps) of (N, C, H, W) or (C, H, W) inputs with
    probability p: neighbouring pixels are correlated, so element-wise dropout would barely
    regularize a conv layer."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training, self.inplace)  # other ranks: it warns


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability p."""

    def forward(self, x):
        if x.ndim not in (4, 5):
            raise self._shape_error(x, "of shape (N, C, D, H, W) or (C, D, H, W)")
        return F.dropout3d(x, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and an
    affine correction keeps mean 0 and variance 1 (Klambauer et al. 2017)."""

    def forward(self, x):
        return F.alpha_dropout(x, self.p, self.training)
