"""brique.text: tokenizers, vocabularies, LM batching, sampling, n-grams, analogies."""
import math
import os

import numpy as np
import pytest

import brique
from brique import nn, text

DATA = os.path.join(os.path.dirname(__file__), "data")


def test_tokenize_levels():
    assert text.tokenize("Who's there? Long-live!") == ["Who's", "there", "?", "Long-live", "!"]
    assert text.tokenize("Ab c", "char", lower=True) == ["a", "b", " ", "c"]
    assert text.tokenize(" a  b\nc ", "whitespace") == ["a", "b", "c"]
    with pytest.raises(ValueError, match="level"):
        text.tokenize("x", "bytes")


def test_vocab_min_count_unknown_and_round_trip():
    tokens = "the cat saw the dog and the cat ran".split()
    vocab = text.Vocab.build(tokens, min_count=2, specials=("<pad>", "<unk>"))
    assert vocab.itos == ["<pad>", "<unk>", "the", "cat"] and vocab.counts["the"] == 3
    ids = vocab.encode(["the", "dog", "cat"])
    assert ids.dtype == np.int64 and ids.tolist() == [2, 1, 3]
    assert vocab.decode(ids) == ["the", "<unk>", "cat"] and vocab["zebra"] == 1
    chars = text.Vocab.build("hello world", level="char")
    assert chars.decode_text(chars.encode("hello world")) == "hello world"
    assert len(text.Vocab.build(tokens, max_size=2)) == 3
    strict = text.Vocab(["a", "b"], unk=None)
    with pytest.raises(KeyError, match="zebra"):
        strict["zebra"]
    with pytest.raises(IndexError):
        chars.decode([len(chars)])


def test_batchify_and_bptt_windows_are_contiguous_streams():
    ids = np.arange(103)
    streams = text.batchify(ids, 4)
    assert streams.shape == (25, 4) and streams[:, 1].tolist() == list(range(25, 50))
    windows = list(text.bptt_batches(streams, 7))
    assert len(windows) == text.num_windows(streams, 7) == 4
    x0, y0 = windows[0]
    assert isinstance(x0, brique.Tensor) and x0.dtype == brique.int64
    np.testing.assert_array_equal(y0.numpy(), x0.numpy() + 1)
    xs = np.concatenate([x.numpy() for x, _ in windows])
    np.testing.assert_array_equal(xs, streams[:-1])  # every step read once, in order
    x, y = next(text.bptt_batches(streams, 5, batch_first=True, offset=2, as_tensor=False))
    assert x.shape == (4, 5) and x[0, 0] == 2 and y[0, 0] == 3
    rx, ry = text.random_windows(ids, 6, 10, np.random.default_rng(0))
    assert rx.shape == (6, 10) and (ry == rx + 1).all()


def test_sample_logits_greedy_temperature_top_k():
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]))
    assert text.sample_logits(logits, 0).tolist() == [2, 0]
    rng = np.random.default_rng(0)
    draws = np.stack([text.sample_logits(logits, 1.0, rng=rng) for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(draws[:, 0], minlength=3) / 4000,
                               [0.1, 0.2, 0.7], atol=0.03)
    top1 = np.stack([text.sample_logits(logits, 1.0, top_k=1, rng=rng) for _ in range(50)])
    assert (top1 == [2, 0]).all()
    top2 = np.stack([text.sample_logits(logits, 1.0, top_k=2, rng=rng) for _ in range(500)])
    assert set(top2[:, 0]) == {1, 2}
    cold = np.stack([text.sample_logits(logits, 0.05, rng=rng) for _ in range(200)])
    assert (cold == [2, 0]).mean() > 0.99


class Counter(nn.Module):
    """A 'language model' that always predicts (last id + 1) mod V, carrying a step count."""

    def __init__(self, V):
        super().__init__()
        self.V = V

    def forward(self, ids, state):
        last = ids.numpy()
        logits = np.full(last.shape + (self.V,), -10.0)
        np.put_along_axis(logits, ((last + 1) % self.V)[..., None], 10.0, axis=-1)
        return brique.tensor(logits), (state or 0) + ids.shape[1]


def test_generate_one_call_greedy_and_sampled():
    chars = text.Vocab(list("abcd"), unk=None, level="char")
    model = Counter(4)
    assert text.generate(model, "ab", 5, vocab=chars, greedy=True) == "abcdabc"
    out = text.generate(model, [0], 3, temperature=0.7, top_k=2, seed=0)
    assert out.tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="vocab"):
        text.generate(model, "ab", 2)


def test_ngram_kneser_ney_normalizes_and_orders():
    rng = np.random.default_rng(0)
    V = 5
    # a 2nd-order Markov stream: the 4-gram beats the bigram beats the unigram
    ids = [0, 1]
    for _ in range(20000):
        ids.append((ids[-1] + 2 * ids[-2] + int(rng.random() < 0.1)) % V)
    ids = np.array(ids)
    train, valid = ids[:15000], ids[15000:]
    nats = [text.NGramModel(n, V).fit(train).nats_per_token(valid) for n in (1, 2, 4)]
    assert nats[0] > nats[1] > nats[2] and nats[0] == pytest.approx(math.log(V), abs=0.05)
    lm = text.NGramModel(3, V).fit(train)
    # probabilities of every next id after a fixed context sum to one
    total = sum(math.exp(lm.log_probs(np.array([3, 1, v]))[-1]) for v in range(V))
    assert total == pytest.approx(1.0, abs=1e-9)


def test_read_analogies_and_evaluate():
    questions = text.read_analogies(os.path.join(DATA, "analogies.txt"))
    assert list(questions) == ["capital-world", "gram-plural"]
    assert questions["gram-plural"][0] == ("cat", "cats", "dog", "dogs")
    vocab = text.Vocab(["paris", "france", "rome", "italy", "cat", "cats", "dog", "dogs"],
                       unk=None)
    # planted structure: each base word on its own axis, country = capital + c, plural =
    # singular + p
    E = np.zeros((8, 6))
    for axis, w in enumerate(["paris", "rome", "cat", "dog"]):
        E[vocab.stoi[w], axis] = 1.0
    c, p = np.eye(6)[4], np.eye(6)[5]
    E[vocab.stoi["france"]] = E[vocab.stoi["paris"]] + c
    E[vocab.stoi["italy"]] = E[vocab.stoi["rome"]] + c
    E[vocab.stoi["cats"]] = E[vocab.stoi["cat"]] + p
    E[vocab.stoi["dogs"]] = E[vocab.stoi["dog"]] + p
    result = text.evaluate_analogies(E, vocab, questions)
    assert result["correct"] == result["total"] == 4 and result["skipped"] == 1
    assert result["sections"]["gram-plural"] == (2, 2)
    near = text.most_similar(E, vocab, "france", k=1)
    assert near[0][0] == "paris"
