"""End-to-end memory network (Sukhbaatar, Szlam, Weston & Fergus 2015, "MemN2N").

Each sentence x_i of the story becomes a memory m_i = sum_j l_j * A x_ij + T_A(i) and an
output vector c_i = sum_j l_j * C x_ij + T_C(i); the question becomes u = sum_j l_j * B q_j.
A hop reads the memory with attention p = softmax(u . m) and moves the controller,
u <- u + sum_i p_i c_i; after K hops the answer is softmax(W u).

- position encoding (PE): l_kj = (1 - j/J) - (k/d)(1 - 2j/J), so word order counts (else l=1,
  a bag of words);
- temporal encoding (TE): T_A, T_C indexed by the sentence's age (slot i = i-th most recent);
- adjacent weight tying: A^{k+1} = C^k, B = A^1, W^T = C^K, so K hops hold K + 1 embeddings;
- linear start (LS): `linear=True` drops the softmax of every hop (p = u . m), which the paper
  uses for the first epochs and then puts back.
"""
from __future__ import annotations

from .. import creation, nn
from ..nn import functional as F

_NEG_INF = float("-inf")


def _position_encoding(sentence_len, embed_dim):
    """PE weights l (J, d) of the paper's eq. (section 4.1), 1-based j and k.

    Shape: -> (sentence_len, embed_dim).
    """
    J, d = sentence_len, embed_dim
    rows = [[(1 - j / J) - (k / d) * (1 - 2 * j / J) for k in range(1, d + 1)]
            for j in range(1, J + 1)]
    return creation.tensor(rows)


position_encoding = _position_encoding  # public name; MemN2N's argument of that name shadows it


class MemN2N(nn.Module):
    """MemN2N with adjacent tying.

    Parameters: embeddings.0 .. embeddings.K (vocab, d): B = A^1 = embeddings.0, C^k = A^{k+1}
    = embeddings.k, W^T = embeddings.K; temporal.0 .. temporal.K (memory_size, d) alike.
    Words of index 0 are padding; a memory slot with no word is never attended.

    forward(stories, questions) -> (logits (N, vocab), attention: list of K (N, M) tensors).

    Shape: stories (N, M, J) int64 with M <= memory_size, slot 0 the most recent sentence;
    questions (N, J) int64.
    """

    def __init__(self, vocab_size, embed_dim=20, hops=3, memory_size=50, sentence_len=8,
                 position_encoding=True, temporal_encoding=True, linear=False):
        super().__init__()
        if hops < 1:
            raise ValueError(f"MemN2N: hops must be >= 1, got {hops}")
        self.hops, self.memory_size, self.linear = hops, memory_size, linear
        self.embeddings = nn.ModuleList(nn.Embedding(vocab_size, embed_dim, padding_idx=0)
                                        for _ in range(hops + 1))
        self.temporal = nn.ModuleList(nn.Embedding(memory_size, embed_dim)
                                      for _ in range(hops + 1)) if temporal_encoding else None
        pe = _position_encoding(sentence_len, embed_dim) if position_encoding \
            else creation.ones(sentence_len, embed_dim)
        self.register_buffer("encoding", pe, persistent=False)
        self.reset_parameters()

    def reset_parameters(self):
        for p in self.parameters():
            nn.init.normal_(p, 0.0, 0.1)
        for e in self.embeddings:
            e.weight.data[0] = 0.0

    def _encode(self, words, k):
        """sum_j l_j * E^k x_j over the last dim of `words` (..., J) -> (..., d)."""
        J = words.shape[-1]
        if J > self.encoding.shape[0]:
            raise ValueError(f"MemN2N: sentences of {J} words, more than sentence_len="
                             f"{self.encoding.shape[0]}")
        return (self.embeddings[k](words) * self.encoding[:J]).sum(-2)

    def forward(self, stories, questions):
        if stories.ndim != 3 or questions.ndim != 2 or stories.shape[0] != questions.shape[0]:
            raise ValueError(f"MemN2N: expected stories (N, M, J) and questions (N, J), got "
                             f"{tuple(stories.shape)} and {tuple(questions.shape)}")
        M = stories.shape[1]
        if M > self.memory_size:
            raise ValueError(f"MemN2N: {M} memory slots, more than memory_size="
                             f"{self.memory_size}")
        empty = (stories == 0).all(-1)                                  # (N, M)
        u = self._encode(questions, 0)                                  # (N, d)
        slots = creation.arange(M)
        attention = []
        for k in range(self.hops):
            m, c = self._encode(stories, k), self._encode(stories, k + 1)  # (N, M, d)
            if self.temporal is not None:
                m = m + self.temporal[k](slots)
                c = c + self.temporal[k + 1](slots)
            scores = (m @ u.unsqueeze(-1)).squeeze(-1)                  # (N, M)
            if self.linear:
                p = scores.masked_fill(empty, 0.0)
            else:
                p = F.softmax(scores.masked_fill(empty, _NEG_INF), -1)
            attention.append(p)
            u = u + (p.unsqueeze(1) @ c).squeeze(1)
        logits = u @ self.embeddings[self.hops].weight.T
        return logits, attention

