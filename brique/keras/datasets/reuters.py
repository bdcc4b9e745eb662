"""`reuters.load_data(num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
start_char=1, oov_char=2, index_from=3)` -> (x_train, y_train), (x_test, y_test): newswires
as object arrays of word-index lists and 46 topic labels, as Keras returns them;
`get_word_index()` the {word: index}."""
from __future__ import annotations

import numpy as np

from ..utils.files import get_file, load_npz
from ._common import KERAS_DATASETS, index_sequences, object_array, word_index

SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3, **kwargs):
    if "nb_words" in kwargs:
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"reuters.load_data: unknown arguments {sorted(kwargs)}")
    f = load_npz(get_file(path, origin=KERAS_DATASETS + "reuters.npz", file_hash=SHA256))
    xs, labels = f["x"], f["y"]
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = index_sequences(xs[order], labels[order], num_words, skip_top, maxlen,
                                 start_char, oov_char, index_from)
    cut = int(len(xs) * (1 - test_split))
    labels = np.asarray(labels, dtype=f["y"].dtype)
    return (object_array(xs[:cut]), labels[:cut]), (object_array(xs[cut:]), labels[cut:])


def get_word_index(path="reuters_word_index.json"):
    return word_index(path, KERAS_DATASETS + "reuters_word_index.json", WORD_INDEX_MD5)
