"""Skip-gram data (Mikolov et al., 2013): subsampling of frequent words, (center, context)
pairs within a window, and negative samples from the unigram distribution to the 3/4.

    kept = subsample(ids, vocab.frequencies(), 1e-3, rng)
    centers, contexts = skipgram_pairs(kept, window=3, rng=rng)
    negatives = NegativeSampler(vocab.frequencies()).sample((len(centers), 5), rng)
"""
from __future__ import annotations

import numpy as np


def subsample(ids, counts, t=1e-3, rng=None):
    """Drop each occurrence of word w with probability 1 - (sqrt(f/t) + 1) * t / f, f the
    word's share of the corpus (word2vec's rule: words rarer than t are always kept)."""
    ids = np.asarray(ids)
    counts = np.asarray(counts, dtype=np.float64)
    f = counts / max(counts.sum(), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(f > 0, (np.sqrt(f / t) + 1.0) * t / f, 1.0)
    rng = rng if rng is not None else np.random.default_rng()
    return ids[rng.random(len(ids)) < keep[ids]]


def skipgram_pairs(ids, window=2, rng=None, dynamic=True):
    """All (center, context) pairs of the 1-D stream `ids` within `window` words; with
    `dynamic`, each center draws its own window size in 1..window (word2vec's weighting of
    near words). Returns two int64 arrays of the same length."""
    ids = np.asarray(ids, dtype=np.int64)
    rng = rng if rng is not None else np.random.default_rng()
    reach = rng.integers(1, window + 1, size=len(ids)) if dynamic else np.full(len(ids), window)
    centers, contexts = [], []
    for offset in range(1, window + 1):
        for sign in (-1, 1):
            pos = np.arange(len(ids))
            other = pos + sign * offset
            ok = (other >= 0) & (other < len(ids)) & (reach >= offset)
            centers.append(ids[pos[ok]])
            contexts.append(ids[other[ok]])
    return np.concatenate(centers), np.concatenate(contexts)


class NegativeSampler:
    """Draws word ids with probability proportional to count ** power (0.75 in word2vec)."""

    def __init__(self, counts, power=0.75):
        p = np.asarray(counts, dtype=np.float64) ** power
        if p.sum() <= 0:
            raise ValueError("NegativeSampler: counts must not all be zero")
        self.cdf = np.cumsum(p / p.sum())

    def sample(self, shape, rng):
        return np.minimum(np.searchsorted(self.cdf, rng.random(shape)), len(self.cdf) - 1)
