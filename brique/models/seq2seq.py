"""The RNN encoder-decoder (Sutskever et al. 2014; Cho et al. 2014), with or without Bahdanau
et al.'s additive attention (2015), trained with teacher forcing and decoded greedily or by
beam search.

Encoder: embedding -> bidirectional GRU/LSTM (packed by length, so padding changes nothing)
-> annotations h_j = [h_fwd_j; h_bwd_j].
Decoder: s_0 = tanh(W c) with c = [h_fwd_last; h_bwd_first]; each step feeds the previous
output token and a context to a GRU/LSTM cell and predicts the next token from [s_i; ctx_i].
With attention ctx_i = sum_j a_ij h_j, a_i = softmax_j v^T tanh(W s_{i-1} + U h_j) (Bahdanau's
RNNsearch); without, ctx_i = c at every step (Cho et al.'s RNN encoder-decoder, Bahdanau's
RNNenc): the whole input squeezed into one fixed vector.
"""
from __future__ import annotations

from .. import backend, creation, nn
from ..autograd import no_grad
from ..ops.movement import cat, stack
from ..nn import functional as F
from ..nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

_NEG_INF = float("-inf")


class Seq2Seq(nn.Module):
    """Encoder-decoder over token indices (0 = padding, `bos` starts the output, `eos` ends it).

    forward(src, tgt_in) -> (logits, attention): teacher forcing, the decoder reads the true
    previous tokens tgt_in (bos first). `greedy(src, max_len)` and `beam_search(src, max_len,
    beam_width)` decode without targets.

    Shape: src (N, S) int64, tgt_in (N, T) int64 -> logits (N, T, tgt_vocab), attention
    (N, T, S) (None without attention).
    """

    def __init__(self, src_vocab, tgt_vocab, embed_dim=32, hidden_size=64, cell="gru",
                 attention=True, bos=1, eos=2):
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError(f"Seq2Seq: cell must be 'gru' or 'lstm', got {cell!r}")
        self.cell_type, self.use_attention, self.bos, self.eos = cell, attention, bos, eos
        self.hidden_size = hidden_size
        rnn, cell_cls = (nn.GRU, nn.GRUCell) if cell == "gru" else (nn.LSTM, nn.LSTMCell)
        self.src_embed = nn.Embedding(src_vocab, embed_dim, padding_idx=0)
        self.encoder = rnn(embed_dim, hidden_size, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden_size, hidden_size)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed_dim, padding_idx=0)
        ctx = 2 * hidden_size
        self.decoder = cell_cls(embed_dim + ctx, hidden_size)
        self.attention = nn.AdditiveAttention(hidden_size, 2 * hidden_size, hidden_size) \
            if attention else None
        self.out = nn.Linear(hidden_size + ctx, tgt_vocab)

    # ------------------------------------------------------------------ pieces
    def encode(self, src):
        """-> (annotations (N, S, 2H), padding mask (N, S), decoder state, projected keys or,
        without attention, the fixed context c (N, 2H))."""
        # Packed by length, so both directions start and end on each input's own characters
        # whatever the padding (the backward one would otherwise begin on the padding).
        lengths = (src != 0).sum(1)
        packed = pack_padded_sequence(self.src_embed(src), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, final = self.encoder(packed)
        annotations = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])[0]
        h = final[0] if self.cell_type == "lstm" else final        # (2, N, H)
        summary = cat([h[0], h[1]], 1)
        s0 = self.bridge(summary).tanh()
        state = (s0, creation.zeros_like(s0)) if self.cell_type == "lstm" else s0
        keys = self.attention.key_proj(annotations) if self.use_attention else summary
        return annotations, src == 0, state, keys

    def _attend(self, s, annotations, keys, pad):
        """Bahdanau's alignment; the keys U h_j are projected once per input (in encode)."""
        att = self.attention
        scores = att.v((att.query_proj(s).unsqueeze(1) + keys).tanh()).squeeze(-1)
        weights = F.softmax(scores.masked_fill(pad, _NEG_INF), -1)
        return (weights.unsqueeze(1) @ annotations).squeeze(1), weights

    def step(self, token, state, memory):
        """One decoder step: token (N,) -> (logits (N, V), new state, weights (N, S) or None)."""
        annotations, pad, _, keys = memory
        x = self.tgt_embed(token)
        s = state[0] if self.cell_type == "lstm" else state
        if self.use_attention:
            context, weights = self._attend(s, annotations, keys, pad)
        else:
            context, weights = keys, None
        state = self.decoder(cat([x, context], 1), state)
        s = state[0] if self.cell_type == "lstm" else state
        return self.out(cat([s, context], 1)), state, weights

    # ------------------------------------------------------------------ training
    def forward(self, src, tgt_in):
        memory = self.encode(src)
        state, logits, weights = memory[2], [], []
        for t in range(tgt_in.shape[1]):
            out, state, w = self.step(tgt_in[:, t], state, memory)
            logits.append(out)
            weights.append(w)
        attn = stack(weights, 1) if self.use_attention else None
        return stack(logits, 1), attn

    # ------------------------------------------------------------------ decoding
    def greedy(self, src, max_len):
        """Most likely token at each step -> (tokens (N, max_len), attention (N, max_len, S))."""
        with no_grad():
            memory = self.encode(src)
            state = memory[2]
            token = creation.full((src.shape[0],), self.bos, dtype=backend.int64)
            tokens, weights = [], []
            for _ in range(max_len):
                logits, state, w = self.step(token, state, memory)
                token = logits.argmax(-1)
                tokens.append(token)
                weights.append(w)
        attn = stack(weights, 1) if self.use_attention else None
        return stack(tokens, 1), attn

    def beam_search(self, src, max_len, beam_width=4):
        """Keeps the beam_width best partial outputs by summed log-probability; a finished
        one (eos) keeps its score. -> best tokens (N, max_len) (eos then padding 0)."""
        from ._beam import beam_search
        return beam_search(self, src, max_len, beam_width)
