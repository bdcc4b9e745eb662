"""Recurrent models: a language model, a many-to-one classifier and a many-to-many tagger,
each an embedding (or raw features) followed by RNN/LSTM/GRU layers and a linear read-out.
"""
from __future__ import annotations

from .. import nn
from ..ops.movement import cat
from ..nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _cell(cell):
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    return CELLS[cell]


class RNNLanguageModel(nn.Module):
    """Next-token model: Embedding -> `cell` layers -> Linear to the vocabulary.

    forward(ids, state=None) -> (logits, state), the state to pass back with the ids that
    follow (truncated BPTT; `brique.text.generate` uses the same protocol).
    Shape: ids (N, L) int64 -> logits (N, L, vocab_size).
    """

    def __init__(self, vocab_size, embedding_dim=32, hidden_size=128, num_layers=1,
                 cell="lstm", dropout=0.0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = _cell(cell)(embedding_dim, hidden_size, num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state=None):
        out, state = self.rnn(self.embedding(ids), state)
        return self.decoder(self.drop(out)), state


def detach_state(state):
    """The state cut from its graph (between BPTT windows)."""
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


class RNNClassifier(nn.Module):
    """Many-to-one: the final hidden state (both directions' when bidirectional) of the last
    layer -> Linear. Inputs are token ids when `vocab_size` is given (an Embedding first),
    else feature vectors of size `input_size`.

    Shape: (N, L) ids or (N, L, input_size) -> (N, num_classes).
    """

    def __init__(self, input_size, hidden_size, num_classes, cell="lstm", num_layers=1,
                 bidirectional=False, vocab_size=None):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, input_size) if vocab_size else None
        self.rnn = _cell(cell)(input_size, hidden_size, num_layers, batch_first=True,
                               bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x):
        if self.embedding is not None:
            x = self.embedding(x)
        _, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        if self.rnn.bidirectional:
            return self.head(cat([h[-2], h[-1]], 1))
        return self.head(h[-1])


class RNNTagger(nn.Module):
    """Synchronous many-to-many: one tag per token. Padded batches with `lengths` are packed
    so padding never reaches the states (a backward direction starts at each sentence's own
    end).

    Shape: ids (N, T) int64, lengths (N,) -> logits (N, T, num_tags) (zeros past a length).
    """

    def __init__(self, vocab_size, num_tags, embedding_dim=16, hidden_size=32, cell="lstm",
                 bidirectional=False, num_layers=1, padding_idx=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.rnn = _cell(cell)(embedding_dim, hidden_size, num_layers, batch_first=True,
                               bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_tags)

    def forward(self, ids, lengths=None):
        x = self.embedding(ids)
        if lengths is None:
            out, _ = self.rnn(x)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        return self.head(out)
