"""Keras's lookup and text layers: StringLookup, IntegerLookup, TextVectorization.

Strings are NumPy arrays of str (or bytes/object): brique tensors hold numbers, so these
layers take the array and return a brique Tensor of ids (int64) or encodings (float32). The
vocabulary is Keras's: [mask token (in 'int' mode)] + [OOV token] * num_oov_indices + the
tokens, which `adapt` orders by decreasing count, ties by decreasing token, as Keras does
(numpy's lexsort of (tokens, counts), reversed). Several OOV indices share out unknown
tokens by FarmHash Fingerprint64 (strings, as TensorFlow) or by value modulo (integers).
tf-idf weights from `adapt` are log(1 + documents / (1 + documents with the token)), the OOV
slots getting their mean. The vocabulary (and idf weights) are part of get_config.
"""
from __future__ import annotations

import collections
import re

import numpy as np

from ..engine import Layer
from .hashing import fingerprint64
from .preprocessing import check_mode, encode, encoded_shape, host, like


def _strings(a):
    a = np.asarray(a)
    if a.dtype.kind == "S":
        return np.char.decode(a, "utf-8").astype(object)
    return a.astype(object)


class _Lookup(Layer):
    """Keras's IndexLookup: tokens <-> indices, then an encoding (output_mode)."""
    accepts_strings = index_inputs = True

    strings, oov_method = True, "farmhash"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, **kwargs):
        super().__init__(**kwargs)
        self.output_mode = check_mode(self.name, output_mode)
        if not (isinstance(num_oov_indices, int) and num_oov_indices >= 0):
            raise ValueError(f"{self.name}: num_oov_indices must be an int >= 0, got "
                             f"{num_oov_indices!r}")
        if invert and output_mode != "int":
            raise ValueError(f"{self.name}: invert=True needs output_mode='int', got "
                             f"{output_mode!r}")
        if sparse:
            raise ValueError(f"{self.name}: sparse outputs are not supported by brique.keras")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{self.name}: pad_to_max_tokens=True needs max_tokens")
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token, self.invert = mask_token, oov_token, invert
        self.pad_to_max_tokens = pad_to_max_tokens
        if max_tokens is not None and max_tokens <= self._token_start():
            raise ValueError(f"{self.name}: max_tokens={max_tokens} leaves no room for tokens "
                             f"after {self._token_start()} mask/OOV indices")
        self._tokens, self._index, self._idf = None, {}, None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ValueError(f"{self.name}: idf_weights needs a vocabulary")

    # ------------------------------------------------------------------ vocabulary
    def _oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def _key(self, v):
        return str(v) if self.strings else int(v)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Tokens in index order (the mask/OOV tokens may lead, in Keras's order), and for
        'tf_idf' one idf weight per entry."""
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{self.name}: output_mode='tf_idf' needs idf_weights with the "
                             "vocabulary")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{self.name}: idf_weights are only used with output_mode="
                             f"'tf_idf', not {self.output_mode!r}")
        if isinstance(vocabulary, str):
            raise ValueError(f"{self.name}: vocabulary files are not supported; pass a list "
                             "of tokens")
        vocab = [self._key(v) for v in (_strings(vocabulary) if self.strings else
                                        host(vocabulary)).reshape(-1).tolist()]
        if not vocab:
            raise ValueError(f"{self.name}: cannot set an empty vocabulary")
        special = [self.mask_token] * self._oov_start() + \
            [self.oov_token] * self.num_oov_indices
        has_special = vocab[:len(special)] == special
        tokens = vocab[len(special):] if has_special else vocab
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(f"{self.name}: the vocabulary repeats {repeated[:5]}")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"{self.name}: the mask token {self.mask_token!r} is in the "
                             f"vocabulary; it may only lead it, in this order: {special}")
        if self.max_tokens is not None and self._token_start() + len(tokens) > self.max_tokens:
            raise ValueError(f"{self.name}: a vocabulary of {self._token_start() + len(tokens)}"
                             f" entries is larger than max_tokens={self.max_tokens}")
        self._tokens = tokens
        self._index = {t: i + self._token_start() for i, t in enumerate(tokens)}
        if idf_weights is not None:
            idf = np.asarray(idf_weights, np.float32).reshape(-1)
            if len(idf) != len(vocab):
                raise ValueError(f"{self.name}: {len(idf)} idf_weights for a vocabulary of "
                                 f"{len(vocab)}")
            if not has_special:  # OOV (and mask) slots weigh the mean, as Keras
                idf = np.concatenate([np.full(self._token_start(), idf.mean(), np.float32),
                                      idf])
            self._idf = idf

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from `data` (an array or list; each row is a document)."""
        values = _strings(data) if self.strings else host(data)
        if values.ndim == 0:
            values = values.reshape(1, 1)
        rows = values.reshape(len(values), -1).tolist()
        self.adapt_rows([[self._key(v) for v in row] for row in rows])

    def adapt_rows(self, rows):
        counts = collections.Counter(t for row in rows for t in row)
        documents = collections.Counter(t for row in rows for t in set(row))
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        tokens = np.array(list(counts), dtype=object if self.strings else np.int64)
        if len(tokens):
            order = np.lexsort((tokens.astype(str) if self.strings else tokens,
                                [counts[t] for t in tokens.tolist()]))[::-1]
            tokens = tokens[order]
        if self.max_tokens is not None:
            tokens = tokens[:self.max_tokens - self._token_start()]
        tokens = tokens.tolist()
        idf = None
        if self.output_mode == "tf_idf":
            idf = np.log(1 + len(rows) / (1 + np.array([documents[t] for t in tokens],
                                                       np.float64))).astype(np.float32)
        if tokens:
            self.set_vocabulary(tokens, idf)
        else:
            self._tokens, self._index, self._idf = [], {}, None

    def get_vocabulary(self, include_special_tokens=True):
        tokens = list(self._tokens or [])
        if not include_special_tokens:
            return tokens
        return [self.mask_token] * self._oov_start() + \
            [self.oov_token] * self.num_oov_indices + tokens

    def vocabulary_size(self):
        return self._token_start() + len(self._tokens or [])

    @property
    def idf_weights(self):
        return self._idf

    def _depth(self):
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self._tokens is None:
            raise ValueError(f"{self.name}: with output_mode={self.output_mode!r} the "
                             "vocabulary must be set first (vocabulary= or adapt())")
        return self.vocabulary_size()

    # ------------------------------------------------------------------ lookup
    def lookup(self, values):
        """Indices (int64 NumPy) of the tokens in `values` (mask -> 0, or -1 outside 'int'
        mode, where it is dropped)."""
        if self._tokens is None:
            raise ValueError(f"{self.name}: the vocabulary is not set; pass vocabulary= or "
                             "call adapt() first")
        flat = [self._key(v) for v in values.reshape(-1).tolist()]
        mask = -1 if self.output_mode != "int" else 0
        ids, unknown = [], set()
        for t in flat:
            i = self._index.get(t)
            if i is None:
                if self.mask_token is not None and t == self.mask_token:
                    i = mask
                elif self.num_oov_indices == 0:
                    unknown.add(t)
                    i = 0
                elif self.num_oov_indices == 1:
                    i = self._oov_start()
                else:
                    bucket = t if self.oov_method == "floormod" else \
                        fingerprint64(str(t).encode("utf-8"))
                    i = self._oov_start() + bucket % self.num_oov_indices
            ids.append(i)
        if unknown:
            raise ValueError(f"{self.name}: with num_oov_indices=0 every input must be in the "
                             f"vocabulary; found {sorted(unknown)[:5]} (set num_oov_indices=1)")
        return np.array(ids, np.int64).reshape(values.shape)

    def invert_lookup(self, ids):
        vocab = self.get_vocabulary()
        fill = self.oov_token
        out = [vocab[i] if 0 <= i < len(vocab) else fill for i in ids.reshape(-1).tolist()]
        if self.mask_token is not None and self._oov_start():
            out = [self.mask_token if i == 0 else t for i, t in zip(ids.reshape(-1), out)]
        return np.array(out, dtype=object if self.strings else np.int64).reshape(ids.shape)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return encoded_shape(input_shape, self._depth(), self.output_mode)

    def output_dtype(self, input_dtype):
        if self.invert:
            return "string" if self.strings else "int64"
        return "int64" if self.output_mode == "int" else "float32"

    def forward(self, x):
        values = host(x)
        if self.invert:
            out = self.invert_lookup(values.astype(np.int64))
            return out if self.strings else like(out, x)
        if self.strings and values.dtype.kind not in "USO":
            raise ValueError(f"{self.name}: expects strings, got an array of dtype "
                             f"{values.dtype}")
        if not self.strings and values.dtype.kind not in "iu":
            raise ValueError(f"{self.name}: expects integers, got an array of dtype "
                             f"{values.dtype}")
        ids = self.lookup(_strings(values) if self.strings else values)
        if self.output_mode == "int":
            return like(ids, x)
        return like(encode(ids, self._depth(), self.output_mode, self.name,
                           weights=self.idf_for_depth()), x)

    def idf_for_depth(self):
        """The idf weights padded with zeros to the output depth (pad_to_max_tokens)."""
        idf = self._idf
        return None if idf is None else np.pad(idf, (0, self._depth() - len(idf)))

    def get_config(self):
        idf = None if self._idf is None else self._idf[self._token_start():].tolist()
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "mask_token": self.mask_token,
                "oov_token": self.oov_token, "vocabulary": self._tokens or None,
                "idf_weights": idf, "invert": self.invert, "output_mode": self.output_mode,
                "pad_to_max_tokens": self.pad_to_max_tokens}


class StringLookup(_Lookup):
    """Strings -> integer indices in a vocabulary (given, or learned by `adapt`); unknown
    strings go to the OOV index 1 (0 with a mask token: [mask, '[UNK]', tokens...]).
    `invert=True` maps indices back to strings.

    Shape: (N, ...) strings -> (N, ...) int64 ('int') or (N, vocabulary_size) encodings."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", **kwargs):
        if encoding.lower().replace("-", "") != "utf8":
            raise ValueError(f"StringLookup: only the 'utf-8' encoding is supported, got "
                             f"{encoding!r}")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, pad_to_max_tokens, sparse, **kwargs)


class IntegerLookup(_Lookup):
    """Integers -> indices in a vocabulary of integers, as StringLookup (oov_token -1,
    unknown values spread over several OOV indices by value modulo num_oov_indices, or by
    FarmHash of their decimal text with oov_method='farmhash')."""

    strings = False

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", pad_to_max_tokens=False, sparse=False,
                 oov_method="floormod", **kwargs):
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"IntegerLookup: oov_method must be 'floormod' or 'farmhash', "
                             f"got {oov_method!r}")
        self.oov_method = oov_method
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, pad_to_max_tokens, sparse, **kwargs)

    def get_config(self):
        return {**super().get_config(), "oov_method": self.oov_method}


STRIP_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")


class TextVectorization(Layer):
    """Strings -> token ids (or multi-hot / counts / tf-idf vectors): each string is
    standardized ('lower_and_strip_punctuation', 'lower', 'strip_punctuation', None or a
    function str -> str), split ('whitespace', 'character', None or a function str -> list of
    tokens), extended with `ngrams` (n: 1..n-grams; a tuple: those sizes) joined by spaces,
    and looked up in a vocabulary (given, or learned by `adapt(strings)`; its index 0 is the
    padding '' and 1 '[UNK]' in 'int' mode). In 'int' mode sequences are padded with 0 or
    cut to output_sequence_length (default: the longest in the batch).

    Shape: (N,) or (N, 1) strings -> (N, sequence length) int64, or (N, vocabulary size)."""
    accepts_strings = True

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", **kwargs):
        super().__init__(**kwargs)
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"{self.name}: standardize must be one of {list(_STANDARDIZE)}, "
                             f"None or a function, got {standardize!r}")
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError(f"{self.name}: split must be 'whitespace', 'character', None or "
                             f"a function, got {split!r}")
        if isinstance(ngrams, int) and not isinstance(ngrams, bool):
            if ngrams < 1:
                raise ValueError(f"{self.name}: ngrams must be >= 1, got {ngrams}")
            sizes = tuple(range(1, ngrams + 1))
        elif ngrams is None or (isinstance(ngrams, (tuple, list)) and
                                all(isinstance(n, int) and n > 0 for n in ngrams)):
            sizes = tuple(ngrams or ())
        else:
            raise ValueError(f"{self.name}: ngrams must be None, an int or a tuple of ints, "
                             f"got {ngrams!r}")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(f"{self.name}: output_sequence_length is only used with "
                             f"output_mode='int', not {output_mode!r}")
        if ragged or sparse:
            raise ValueError(f"{self.name}: ragged and sparse outputs are not supported")
        self.standardize, self.split, self.ngrams, self._sizes = \
            standardize, split, ngrams, sizes
        self.output_sequence_length = output_sequence_length
        self.lookup_layer = StringLookup(
            max_tokens=max_tokens, mask_token="" if output_mode == "int" else None,
            vocabulary=vocabulary, idf_weights=idf_weights, output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens, encoding=encoding,
            name=f"{self.name}_lookup")

    output_mode = property(lambda self: self.lookup_layer.output_mode)

    def get_config(self):
        config = self.lookup_layer.get_config()
        return {**super().get_config(), "max_tokens": config["max_tokens"],
                "standardize": self.standardize, "split": self.split, "ngrams": self.ngrams,
                "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": config["pad_to_max_tokens"],
                "vocabulary": config["vocabulary"], "idf_weights": config["idf_weights"]}

    def tokens(self, text):
        """The tokens (with n-grams) of one string."""
        if callable(self.standardize):
            text = self.standardize(text)
        elif self.standardize is not None:
            if "lower" in self.standardize:
                text = text.lower()
            if "strip" in self.standardize:
                text = STRIP_PUNCTUATION.sub("", text)
        if callable(self.split):
            words = list(self.split(text))
        elif self.split == "whitespace":
            words = text.split()
        else:
            words = list(text) if self.split == "character" else [text]
        if not self._sizes:
            return words
        return [" ".join(words[i:i + n]) for n in self._sizes
                for i in range(len(words) - n + 1)]

    def _documents(self, data, what):
        texts = _strings(host(data))
        if texts.ndim == 2 and texts.shape[1] == 1:
            texts = texts[:, 0]
        if texts.ndim > 1 or not all(isinstance(t, str) for t in texts.reshape(-1).tolist()):
            raise ValueError(f"{self.name}: {what} expects strings of shape (N,) or (N, 1), "
                             f"got an array of shape {texts.shape} and dtype {texts.dtype}")
        return [self.tokens(t) for t in texts.reshape(-1).tolist()]

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from strings (a list or a NumPy array)."""
        self.lookup_layer.adapt_rows(self._documents(data, "adapt"))

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self.lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def get_vocabulary(self, include_special_tokens=True):
        return self.lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self.lookup_layer.vocabulary_size()

    def compute_output_shape(self, input_shape):
        if len(input_shape) > 2 or (len(input_shape) == 2 and input_shape[1] not in (1, None)):
            raise ValueError(f"{self.name}: expects strings of shape (N,) or (N, 1), got "
                             f"{tuple(input_shape)}")
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], self.lookup_layer._depth())

    def output_dtype(self, input_dtype):
        return "int64" if self.output_mode == "int" else "float32"

    def forward(self, x):
        docs = self._documents(x, "the layer")
        lookup = self.lookup_layer
        if self.output_mode == "int":
            return like(self._padded(docs, lookup, self.output_sequence_length), x)
        return like(encode(self._padded(docs, lookup, None), lookup._depth(), self.output_mode,
                           self.name, weights=lookup.idf_for_depth()), x)

    @staticmethod
    def _padded(docs, lookup, length):
        """(N, length) ids, 0-padded or cut (-1-padded outside 'int' mode: dropped)."""
        ids = [lookup.lookup(np.array(d, dtype=object)) for d in docs]
        length = length if length is not None else max([len(i) for i in ids] + [0])
        pad = 0 if lookup.output_mode == "int" else -1
        out = np.full((len(ids), length), pad, np.int64)
        for row, i in zip(out, ids):
            row[:min(len(i), length)] = i[:length]
        return out
