"""Generated sequence tasks for recurrent networks, drawn from `numpy.random.default_rng(seed)`.

* `make_adding`: the adding problem (Hochreiter and Schmidhuber 1997): (value, marker) pairs,
  the target the sum of the two marked values; the first mark lies `lag` steps or more
  before the end when `lag` is given.
* `make_recall`: remember the first symbol across `lag` steps of random distractors (other
  tokens); the answer is asked at the last step (many-to-one, chance 1 / n_symbols).
* `make_copy`: the copy-memory task: `n_copy` symbols, `lag` blanks, a go marker, then
  reproduce the symbols (synchronous many-to-many, targets at every step).
* `make_tagging`: a small grammar whose tags depend on words to their right: phrases of
  ambiguous words closed by a word that names the phrase's kind; every word is tagged with
  its phrase's kind, so only a reader that sees the closing word (to the right) can tag it.
"""
from __future__ import annotations

import numpy as np


def _check(n, **positive):
    if not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive int, got {n!r}")
    for name, value in positive.items():
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def make_adding(n, length=50, lag=None, seed=0):
    """X float32 (n, length, 2): column 0 uniform values in [0, 1), column 1 two markers;
    y float32 (n,) the sum of the two marked values. Without `lag` the first mark falls in
    the first half and the second in the second half (the classic task); with `lag` the
    first mark falls at least `lag` steps before the last step and the second after it."""
    _check(n, length=length)
    if lag is not None and not 1 <= lag < length:
        raise ValueError(f"make_adding: lag must lie in [1, {length}), got {lag}")
    rng = np.random.default_rng(seed)
    X = np.zeros((n, length, 2), dtype=np.float32)
    X[:, :, 0] = rng.random((n, length))
    rows = np.arange(n)
    cut = length // 2 if lag is None else length - lag
    first = rng.integers(0, cut, size=n)
    second = rng.integers(max(cut, 1), length, size=n)
    X[rows, first, 1] = 1.0
    X[rows, second, 1] = 1.0
    y = X[rows, first, 0] + X[rows, second, 0]
    return X, y.astype(np.float32)


def make_recall(n, lag=10, n_symbols=8, seed=0):
    """X int64 (n, lag + 1): X[:, 0] the symbol to remember (in [0, n_symbols)), then lag - 1
    random distractors (tokens n_symbols..2 * n_symbols - 1), then the query token
    2 * n_symbols; y int64 (n,) = X[:, 0]. The input vocabulary has 2 * n_symbols + 1
    tokens; the answer depends only on the input `lag` steps before the query."""
    _check(n, lag=lag, n_symbols=n_symbols)
    rng = np.random.default_rng(seed)
    X = rng.integers(n_symbols, 2 * n_symbols, size=(n, lag + 1))
    X[:, 0] = rng.integers(0, n_symbols, size=n)
    X[:, -1] = 2 * n_symbols
    return X.astype(np.int64), X[:, 0].astype(np.int64).copy()


def make_copy(n, lag=10, n_copy=5, n_symbols=8, seed=0):
    """X, y int64 (n, n_copy + lag + 1 + n_copy). Tokens: symbols 0..n_symbols-1, blank
    n_symbols, go marker n_symbols + 1. X = symbols, lag blanks, go, n_copy blanks; y = blanks
    until the go marker has passed, then the symbols again."""
    _check(n, lag=lag, n_copy=n_copy, n_symbols=n_symbols)
    rng = np.random.default_rng(seed)
    blank, go = n_symbols, n_symbols + 1
    symbols = rng.integers(0, n_symbols, size=(n, n_copy))
    T = 2 * n_copy + lag + 1
    X = np.full((n, T), blank, dtype=np.int64)
    y = np.full((n, T), blank, dtype=np.int64)
    X[:, :n_copy] = symbols
    X[:, n_copy + lag] = go
    y[:, -n_copy:] = symbols
    return X, y


def make_tagging(n, n_phrases=4, max_phrase=4, n_words=20, n_kinds=3, closers_per_kind=2,
                 seed=0):
    """Sentences of `n_phrases` phrases; a phrase is 1..max_phrase ambiguous words (ids
    1..n_words, any kind) closed by one of the `closers_per_kind` closing words of its kind.
    Every word of a phrase, its closer included, is tagged with the phrase's kind (0..
    n_kinds-1). Id 0 is padding (tag -100, ignored by cross_entropy).

    Returns (X int64 (n, T), tags int64 (n, T), lengths int64 (n,)), T the longest
    sentence; the vocabulary has 1 + n_words + n_kinds * closers_per_kind ids.
    """
    _check(n, n_phrases=n_phrases, max_phrase=max_phrase, n_words=n_words, n_kinds=n_kinds,
           closers_per_kind=closers_per_kind)
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(n):
        words, tags = [], []
        for _ in range(n_phrases):
            kind = int(rng.integers(n_kinds))
            size = int(rng.integers(1, max_phrase + 1))
            words += (rng.integers(1, n_words + 1, size=size)).tolist()
            words.append(1 + n_words + kind * closers_per_kind
                         + int(rng.integers(closers_per_kind)))
            tags += [kind] * (size + 1)
        sentences.append((words, tags))
    lengths = np.array([len(w) for w, _ in sentences], dtype=np.int64)
    T = int(lengths.max())
    X = np.zeros((n, T), dtype=np.int64)
    tags = np.full((n, T), -100, dtype=np.int64)
    for i, (w, t) in enumerate(sentences):
        X[i, :len(w)], tags[i, :len(t)] = w, t
    return X, tags, lengths


def tagging_vocab_size(n_words=20, n_kinds=3, closers_per_kind=2):
    return 1 + n_words + n_kinds * closers_per_kind


RELATIONS = {
    "capital": (["france", "italy", "spain", "germany", "japan", "china", "egypt", "peru",
                 "kenya", "norway"],
                ["paris", "rome", "madrid", "berlin", "tokyo", "beijing", "cairo", "lima",
                 "nairobi", "oslo"],
                ["nation", "flag", "border"], ["city", "mayor", "downtown"]),
    "gender": (["king", "man", "boy", "father", "son", "brother", "uncle", "husband", "prince",
                "actor"],
               ["queen", "woman", "girl", "mother", "daughter", "sister", "aunt", "wife",
                "princess", "actress"],
               ["he", "his", "him"], ["she", "her", "hers"]),
    "plural": (["cat", "dog", "car", "tree", "house", "bird", "book", "horse", "apple",
                "river"],
               ["cats", "dogs", "cars", "trees", "houses", "birds", "books", "horses",
                "apples", "rivers"],
               ["one", "a", "is"], ["many", "two", "are"]),
}
FILLERS = ["the", "and", "of", "to", "in"]


def make_relation_corpus(n_sentences=20000, n_pairs=10, seed=0):
    """A generated corpus with planted relations (country/capital, male/female,
    singular/plural) for word2vec: each sentence holds one word of a pair, two words of its
    side (e.g. 'city', 'mayor' for a capital), two words private to its pair (shared by
    'france' and 'paris') and three frequent fillers, in random order.

    Returns (tokens: list of str, questions: {family: [(a, b, c, d)]}) with every analogy
    a : b :: c : d between two of the first `n_pairs` (<= 10) pairs of a family (90 per
    family for 10 pairs).
    """
    _check(n_sentences, n_pairs=n_pairs)
    if n_pairs > 10:
        raise ValueError(f"make_relation_corpus: n_pairs must be <= 10, got {n_pairs}")
    rng = np.random.default_rng(seed)
    families = list(RELATIONS)
    tokens = []
    for _ in range(n_sentences):
        family = families[rng.integers(len(families))]
        left, right, left_ctx, right_ctx = RELATIONS[family]
        left, right = left[:n_pairs], right[:n_pairs]
        i, side = int(rng.integers(len(left))), int(rng.integers(2))
        words = [(left, right)[side][i]]
        words += [str(w) for w in rng.choice((left_ctx, right_ctx)[side], 2, replace=False)]
        words += [f"{family}{i}x", f"{family}{i}y"]
        words += [str(w) for w in rng.choice(FILLERS, 3)]
        tokens += [words[k] for k in rng.permutation(len(words))]
    questions = {family: [(left[i], right[i], left[j], right[j])
                          for i in range(n_pairs) for j in range(n_pairs) if i != j]
                 for family, (left, right, _, _) in RELATIONS.items()}
    return tokens, questions
