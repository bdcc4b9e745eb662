"""Skip-gram with negative sampling (word2vec, Mikolov et al., 2013), written with brique's
ops: two embedding tables, dot products, and the logistic loss

    -log sigmoid(u_o . v_c) - sum_k log sigmoid(-u_k . v_c)

for a center word c, a context word o and k negative words drawn from the noise
distribution (brique.text.skipgram.NegativeSampler).
"""
from __future__ import annotations

import math

from .. import nn
from ..nn import functional as F


class SkipGram(nn.Module):
    """Input vectors `in_embed` (the word vectors kept), output vectors `out_embed`.

    forward(centers, contexts, negatives) -> mean loss.
    Shape: centers (B,), contexts (B,), negatives (B, K) int64 -> scalar.
    """

    def __init__(self, vocab_size, dim=50):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)
        self.out_embed = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out_embed.weight)  # word2vec's own start
        self.dim = dim

    def forward(self, centers, contexts, negatives):
        v = self.in_embed(centers)                              # (B, D)
        pos = (self.out_embed(contexts) * v).sum(-1)            # (B,)
        neg = (self.out_embed(negatives) * v.unsqueeze(1)).sum(-1)  # (B, K)
        # -log sigmoid(x) = softplus(-x)
        return F.softplus(-pos).mean() + F.softplus(neg).sum(-1).mean()

    @property
    def vectors(self):
        """The word vectors (V, D) as a NumPy array."""
        return self.in_embed.weight.detach().numpy().copy()


def initial_loss(negatives):
    """The loss at word2vec's initialization (zero output vectors): (1 + K) log 2."""
    return (1 + negatives) * math.log(2)
