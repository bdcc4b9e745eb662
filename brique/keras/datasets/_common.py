"""What the Keras dataset loaders share: Keras's origins, the CIFAR batch reader (pickled
dicts, read with an unpickler that allows only NumPy arrays) and the word-index sequence
processing of imdb and reuters."""
from __future__ import annotations

import json

import numpy as np

from ..utils.files import get_file, load_pickle

KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def load_cifar_batch(fpath, label_key="labels"):
    """(data (N, 3, 32, 32) uint8, labels list) of one CIFAR python batch file."""
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v
         for k, v in load_pickle(fpath).items()}
    if "data" not in d or label_key not in d:
        raise ValueError(f"{fpath}: not a CIFAR batch (keys {sorted(d)}; expected 'data' and "
                         f"{label_key!r})")
    data = np.asarray(d["data"], dtype=np.uint8)
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def index_sequences(xs, labels, num_words, skip_top, maxlen, start_char, oov_char,
                    index_from):
    """Keras's imdb/reuters processing of shuffled word-index sequences: offset by
    index_from, a start_char first, drop sequences of maxlen or more, words outside
    [skip_top, num_words) become oov_char (or are removed when oov_char is None)."""
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    else:
        xs = [list(x) for x in xs]
    labels = list(labels)
    if maxlen:
        kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
        xs, labels = [x for x, _ in kept], [y for _, y in kept]
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    return xs, labels


def object_array(rows):
    """A 1-D object array of lists (np.array would make a 2-D array of equal-length rows)."""
    out = np.empty(len(rows), dtype=object)
    out[:] = rows
    return out


def word_index(path, origin, file_hash):
    with open(get_file(path, origin=origin, file_hash=file_hash), encoding="utf8") as f:
        return json.load(f)
