"""`imdb.load_data(num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
oov_char=2, index_from=3)` -> (x_train, y_train), (x_test, y_test): reviews as object arrays of
word-index lists, labels 0/1, as Keras returns them; `get_word_index()` the {word: index}
(before index_from is added)."""
from __future__ import annotations

import numpy as np

from ..utils.files import get_file, load_npz
from ._common import KERAS_DATASETS, index_sequences, object_array, word_index

SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    if "nb_words" in kwargs:  # Keras 1's name
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"imdb.load_data: unknown arguments {sorted(kwargs)}")
    f = load_npz(get_file(path, origin=KERAS_DATASETS + "imdb.npz", file_hash=SHA256))
    rng = np.random.RandomState(seed)
    parts = []
    for x, y in ((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])):
        order = np.arange(len(x))
        rng.shuffle(order)
        parts.append((x[order], y[order]))
    (x_train, y_train), (x_test, y_test) = parts
    train, y_train = index_sequences(x_train, y_train, None, 0, maxlen, start_char, None,
                                     index_from)
    test, y_test = index_sequences(x_test, y_test, None, 0, maxlen, start_char, None,
                                   index_from)
    if maxlen and (not train or not test):
        raise ValueError(f"imdb.load_data: no sequence is shorter than maxlen={maxlen}; "
                         "increase maxlen")
    # the word filter sees train and test together (num_words defaults to their largest)
    xs, _ = index_sequences(train + test, y_train + y_test, num_words, skip_top, None, None,
                            oov_char, 0)
    n = len(train)
    return ((object_array(xs[:n]), np.asarray(y_train, dtype=f["y_train"].dtype)),
            (object_array(xs[n:]), np.asarray(y_test, dtype=f["y_test"].dtype)))


def get_word_index(path="imdb_word_index.json"):
    return word_index(path, KERAS_DATASETS + "imdb_word_index.json", WORD_INDEX_MD5)
