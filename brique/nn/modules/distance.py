"""Distances between pairs of vectors as layers: PairwiseDistance and CosineSimilarity."""
from __future__ import annotations

from .. import functional as F
from .module import Module


class PairwiseDistance(Module):
    """|x1 - x2 + eps|_p along the last dim. Shape: (N, D), (N, D) -> (N,)."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """x1 . x2 / (|x1| |x2|) along `dim`. Shape: (N, D), (N, D) -> (N,) for dim=1."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
