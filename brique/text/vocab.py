"""Tokenizers and vocabularies: text -> tokens -> integer ids and back.

    tokens = tokenize(text, "word", lower=True)
    vocab = Vocab.build(tokens, min_count=2)          # '<unk>' takes the rare words
    ids = vocab.encode(tokens)                         # int64 NumPy array
    vocab.decode(ids)                                  # list of tokens
    chars = Vocab.build(text, level="char")            # one id per character
    chars.decode_text(chars.encode(text)) == text
"""
from __future__ import annotations

import collections
import re

import numpy as np

# Words (letters, digits, inner apostrophes and hyphens) or single punctuation marks.
_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*|[^\w\s]|_")


def tokenize(text, level="word", lower=False):
    """Split `text` into tokens: level='char' gives its characters, 'word' its words and
    punctuation marks ("Who's there?" -> ["Who's", "there", "?"]), 'whitespace' splits on
    white space only (for pre-tokenized corpora such as WikiText and text8)."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize: text must be a str, got {type(text).__name__}")
    if lower:
        text = text.lower()
    if level == "char":
        return list(text)
    if level == "word":
        return _WORD.findall(text)
    if level == "whitespace":
        return text.split()
    raise ValueError(f"tokenize: level must be 'char', 'word' or 'whitespace', got {level!r}")


class Vocab:
    """A bijection between tokens and ids 0..len-1. Specials come first (ids 0, 1, ...), then
    the tokens by decreasing count (ties in order of first appearance).

    Tokens that are not in the vocabulary map to `unk` (when it is set) or raise KeyError.
    `counts` holds each kept token's count in the text the vocabulary was built from.
    """

    def __init__(self, itos, unk="<unk>", counts=None, level="word"):
        self.itos = list(itos)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("Vocab: tokens must be unique")
        if unk is not None and unk not in self.stoi:
            raise ValueError(f"Vocab: the unknown token {unk!r} is not among the tokens")
        self.unk, self.level = unk, level
        self.counts = dict(counts or {})

    @classmethod
    def build(cls, tokens, level="word", min_count=1, max_size=None, specials=("<unk>",),
              unk="<unk>", lower=False):
        """Vocabulary of `tokens` (an iterable of tokens, or a str tokenized with `level`):
        tokens seen fewer than `min_count` times are left out (they encode as `unk`), at
        most `max_size` tokens besides the specials are kept."""
        if isinstance(tokens, str):
            tokens = tokenize(tokens, level, lower)
        if min_count < 1:
            raise ValueError(f"Vocab.build: min_count must be >= 1, got {min_count}")
        counter = collections.Counter(tokens)
        specials = list(specials or ())
        if unk is not None and unk not in specials:
            specials.insert(0, unk)
        kept = [t for t, c in counter.most_common() if c >= min_count and t not in specials]
        if max_size is not None:
            kept = kept[:max_size]
        return cls(specials + kept, unk, {t: counter[t] for t in kept}, level)

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __getitem__(self, token):
        index = self.stoi.get(token)
        if index is None:
            if self.unk is None:
                raise KeyError(f"token {token!r} is not in the vocabulary (and it has no "
                               f"unknown token)")
            return self.stoi[self.unk]
        return index

    def encode(self, tokens):
        """Ids of `tokens` (a list, or a str tokenized at this vocabulary's level) as an
        int64 NumPy array."""
        if isinstance(tokens, str):
            tokens = tokenize(tokens, self.level)
        return np.fromiter((self[t] for t in tokens), dtype=np.int64, count=len(tokens))

    def decode(self, ids):
        """The tokens of `ids` (ints, an array or a Tensor)."""
        ids = np.asarray(getattr(ids, "_data", ids)).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise IndexError(f"Vocab.decode: ids must lie in [0, {len(self)}), got "
                             f"{int(ids.min())}..{int(ids.max())}")
        return [self.itos[i] for i in ids.tolist()]

    def decode_text(self, ids):
        """Decoded tokens joined: without a separator for characters, with spaces for words."""
        return ("" if self.level == "char" else " ").join(self.decode(ids))

    def frequencies(self):
        """Counts of the tokens in id order as a float64 array (0 for the specials)."""
        return np.array([self.counts.get(t, 0) for t in self.itos], dtype=np.float64)

    def __repr__(self):
        return f"Vocab({len(self)} tokens, level={self.level!r}, unk={self.unk!r})"
