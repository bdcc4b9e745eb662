"""Batched beam search for the decoders in this package: any model with
`encode(src) -> memory` (a tuple whose element 2 is the first decoder state), and
`step(token, state, memory) -> (logits, state, extra)`; states and memory are tuples/Tensors
whose dim 0 is the batch, so beams are rows that `index_select` reorders."""
from __future__ import annotations

from .. import backend, creation
from ..autograd import no_grad
from ..ops.movement import cat
from ..ops.elementwise import where
from ..nn import functional as F


def _take(x, index):
    if x is None or isinstance(x, bool):
        return x
    if isinstance(x, (tuple, list)):
        return type(x)(_take(t, index) for t in x)
    return x.index_select(0, index)


def beam_search(model, src, max_len, beam_width=4):
    """-> best tokens (N, max_len): the highest summed log-probability output of each input,
    eos included, padded with 0 after it.

    Shape: src (N, S) -> (N, max_len) int64.
    """
    N, B = src.shape[0], beam_width
    with no_grad():
        rows = creation.arange(N).reshape(N, 1).expand(N, B).reshape(-1)
        memory = _take(model.encode(src), rows)
        state = memory[2]
        token = creation.full((N * B,), model.bos, dtype=backend.int64)
        # Only the first beam is live at the start, so the B copies do not fill the beam.
        score = creation.tensor([[0.0] + [float("-inf")] * (B - 1)] * N)
        done = creation.zeros(N, B, dtype=backend.bool_)
        history = creation.zeros(N, B, 0, dtype=backend.int64)
        for _ in range(max_len):
            logits, state, _ = model.step(token, state, memory)
            logp = F.log_softmax(logits.float(), -1).reshape(N, B, -1)
            V = logp.shape[-1]
            # A finished beam may only append padding, at no cost: its score stays.
            logp = where(done.unsqueeze(-1), _pad_row(V), logp)
            total = (score.unsqueeze(-1) + logp).reshape(N, B * V)
            score, flat = total.topk(B, -1)
            beam, token2 = flat // V, flat % V
            pick = (creation.arange(N).reshape(N, 1) * B + beam).reshape(-1)
            history = cat([history.reshape(N * B, -1).index_select(0, pick)
                                  .reshape(N, B, -1), token2.unsqueeze(-1)], -1)
            done = done.reshape(-1).index_select(0, pick).reshape(N, B) | (token2 == model.eos)
            state = _take(state, pick)
            token = token2.reshape(-1)
            if bool(done.all()):
                break
        best = history[:, 0]
    if best.shape[1] < max_len:
        best = cat([best, creation.zeros(N, max_len - best.shape[1],
                                              dtype=backend.int64)], 1)
    return best


def _pad_row(V):
    row = [float("-inf")] * V
    row[0] = 0.0
    return creation.tensor(row)
