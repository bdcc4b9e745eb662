"""A small Transformer encoder-decoder over token indices (Vaswani et al. 2017): token
embeddings scaled by sqrt(d_model) plus sinusoidal positions, `nn.Transformer` (pre-norm,
batch_first), a linear head; greedy and beam-search decoding like `Seq2Seq`.
"""
from __future__ import annotations

from .. import backend, creation, nn
import math

from ..autograd import no_grad
from ..ops.movement import cat, stack


def sinusoids(length, dim):
    """PE[pos, 2i] = sin(pos / 10000^(2i/dim)), PE[pos, 2i+1] = cos(...).

    Shape: -> (length, dim).
    """
    rows = []
    for pos in range(length):
        row = []
        for i in range(0, dim, 2):
            angle = pos / 10000 ** (i / dim)
            row += [math.sin(angle), math.cos(angle)]
        rows.append(row[:dim])
    return creation.tensor(rows)


class TransformerSeq2Seq(nn.Module):
    """forward(src, tgt_in) -> logits; index 0 is padding (masked as keys), `bos` starts
    the output. `cross_attention(src, tgt_in)` gives each decoder layer's attention over
    the input, per head.

    Shape: src (N, S), tgt_in (N, T) int64 -> logits (N, T, tgt_vocab).
    """

    def __init__(self, src_vocab, tgt_vocab, d_model=64, nhead=4, num_layers=2,
                 dim_feedforward=128, dropout=0.0, max_len=256, bos=1, eos=2):
        super().__init__()
        self.d_model, self.bos, self.eos = d_model, bos, eos
        self.src_embed = nn.Embedding(src_vocab, d_model, padding_idx=0)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model, padding_idx=0)
        self.register_buffer("positions", sinusoids(max_len, d_model), persistent=False)
        self.transformer = nn.Transformer(d_model, nhead, num_layers, num_layers,
                                          dim_feedforward, dropout, batch_first=True,
                                          norm_first=True)
        self.out = nn.Linear(d_model, tgt_vocab)
        # N(0, 1/d_model) embeddings, scaled by sqrt(d_model) below: unit-size token vectors
        # beside unit-size positions (from N(0, 1) they would drown the positions 8 to 1).
        for e in (self.src_embed, self.tgt_embed):
            nn.init.normal_(e.weight, 0.0, d_model ** -0.5)
            e.weight.data[0] = 0.0

    def _embed(self, embed, tokens):
        L = tokens.shape[1]
        if L > self.positions.shape[0]:
            raise ValueError(f"TransformerSeq2Seq: sequence of {L} tokens, more than max_len="
                             f"{self.positions.shape[0]}")
        return embed(tokens) * math.sqrt(self.d_model) + self.positions[:L]

    def encode(self, src):
        """-> memory tuple (encoder output, key padding mask, decoder state = prefix)."""
        pad = src == 0
        memory = self.transformer.encoder(self._embed(self.src_embed, src),
                                          src_key_padding_mask=pad)
        prefix = creation.zeros(src.shape[0], 0, dtype=backend.int64)
        return memory, pad, prefix

    def decode(self, tgt_in, memory, pad):
        T = tgt_in.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(T)
        h = self.transformer.decoder(self._embed(self.tgt_embed, tgt_in), memory,
                                     tgt_mask=causal, memory_key_padding_mask=pad)
        return self.out(h)

    def forward(self, src, tgt_in):
        memory, pad, _ = self.encode(src)
        return self.decode(tgt_in, memory, pad)

    def step(self, token, prefix, memory):
        """Appends `token` to the prefix and predicts the next one (re-running the decoder
        over the prefix: no key/value cache, outputs are short here)."""
        prefix = cat([prefix, token.reshape(-1, 1)], 1)
        logits = self.decode(prefix, memory[0], memory[1])
        return logits[:, -1], prefix, None

    def greedy(self, src, max_len):
        with no_grad():
            memory = self.encode(src)
            token = creation.full((src.shape[0],), self.bos, dtype=backend.int64)
            prefix, tokens = memory[2], []
            for _ in range(max_len):
                logits, prefix, _ = self.step(token, prefix, memory)
                token = logits.argmax(-1)
                tokens.append(token)
        return stack(tokens, 1), None

    def beam_search(self, src, max_len, beam_width=4):
        from ._beam import beam_search
        return beam_search(self, src, max_len, beam_width)

    def cross_attention(self, src, tgt_in):
        """Per decoder layer, the attention of each head over the input: a list of
        (N, nhead, T, S) tensors (recomputed with need_weights from the layer's inputs)."""
        captured = []

        def grab(module, args):
            captured.append((module, args))
        layers = self.transformer.decoder.layers
        hooks = [layer.multihead_attn.register_forward_pre_hook(grab) for layer in layers]
        try:
            with no_grad():
                memory, pad, _ = self.encode(src)
                self.decode(tgt_in, memory, pad)
        finally:
            for h in hooks:
                h.remove()
        with no_grad():
            return [m(*args, key_padding_mask=pad, need_weights=True,
                      average_attn_weights=False)[1] for m, args in captured]
