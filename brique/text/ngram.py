"""Count-based n-gram language models: the baselines a neural language model must beat.

Interpolated Kneser-Ney (Chen and Goodman's formulation, one discount per order): the
highest order uses counts, lower orders use continuation counts (how many distinct tokens
precede a gram), and each order gives the mass it discounts to the next lower one, down to
the uniform distribution. Works on ids from a vocabulary of size V with V ** order < 2 ** 63
(characters, small word vocabularies).

    lm = NGramModel(4, vocab_size=len(vocab)).fit(train_ids)
    lm.nats_per_token(valid_ids)
"""
from __future__ import annotations

import numpy as np


def _codes(ids, m, V):
    """Code of every m-gram ending at position i >= m - 1: sum ids[i-m+1+j] * V**(m-1-j)."""
    code = np.zeros(len(ids) - m + 1, dtype=np.int64)
    for j in range(m):
        code = code * V + ids[j:len(ids) - m + 1 + j]
    return code


class NGramModel:
    """Interpolated Kneser-Ney n-gram model of order `order` over ids in [0, vocab_size)."""

    def __init__(self, order, vocab_size, discount=0.75):
        if order < 1:
            raise ValueError(f"NGramModel: order must be >= 1, got {order}")
        if float(vocab_size) ** order >= 2.0 ** 63:
            raise ValueError(f"NGramModel: vocab_size ** order must stay below 2**63, got "
                             f"{vocab_size} ** {order}")
        if not 0 < discount < 1:
            raise ValueError(f"NGramModel: discount must lie in (0, 1), got {discount}")
        self.order, self.V, self.d = order, int(vocab_size), discount
        self.tables = None

    def fit(self, ids):
        """Count the grams of the 1-D id stream `ids`; returns self."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.V):
            raise ValueError(f"NGramModel.fit: ids must lie in [0, {self.V})")
        n, V = self.order, self.V
        grams, counts = np.unique(_codes(ids, n, V), return_counts=True)
        tables = [None] * (n + 1)
        for m in range(n, 0, -1):
            ctx, inverse = np.unique(grams // V, return_inverse=True)
            total = np.bincount(inverse, weights=counts).astype(np.float64)
            distinct = np.bincount(inverse).astype(np.float64)
            tables[m] = (grams, counts.astype(np.float64), ctx, total, distinct)
            # continuation counts for the next lower order: distinct left extensions
            grams, counts = np.unique(grams % V ** (m - 1), return_counts=True)
        self.tables = tables
        return self

    def _lookup(self, keys, sorted_keys, values):
        at = np.searchsorted(sorted_keys, keys).clip(0, len(sorted_keys) - 1)
        found = sorted_keys[at] == keys
        return np.where(found, values[at], 0.0), found

    def log_probs(self, ids):
        """Natural log-probability of each id given up to order - 1 ids before it (fewer at
        the start of the stream). Shape: (len(ids),)."""
        if self.tables is None:
            raise RuntimeError("NGramModel: call fit() first")
        ids = np.asarray(ids, dtype=np.int64)
        V, d = self.V, self.d
        out = np.empty(len(ids))
        for i0 in range(min(self.order, len(ids))):
            # positions with exactly i0 ids of context available, or the rest at full order
            pos = np.arange(i0, len(ids)) if i0 == self.order - 1 else np.array([i0])
            p = np.full(len(pos), 1.0 / V)
            for m in range(1, i0 + 2):
                grams, counts, ctx, total, distinct = self.tables[m]
                code = np.zeros(len(pos), dtype=np.int64)
                for j in range(m):
                    code = code * V + ids[pos - m + 1 + j]
                c, _ = self._lookup(code, grams, counts)
                t, seen = self._lookup(code // V, ctx, total)
                k, _ = self._lookup(code // V, ctx, distinct)
                t_safe = np.where(seen, t, 1.0)
                p = np.where(seen, np.maximum(c - d, 0.0) / t_safe + d * k / t_safe * p, p)
            out[pos] = np.log(p)
        return out

    def nats_per_token(self, ids):
        """Mean negative log-likelihood of `ids` in nats per token (divide by ln 2 for bits)."""
        return float(-self.log_probs(ids).mean())
