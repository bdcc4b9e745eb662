"""Word embeddings: skip-gram with negative sampling (word2vec).

The courses present embeddings as a lookup table (one learnable row per word, nn.Embedding)
and word2vec's skip-gram: predict the words around each word. With negative sampling the
softmax over the vocabulary becomes k + 1 logistic regressions: the true context word
against k words drawn from the unigram distribution to the 3/4; frequent words are
subsampled (an occurrence of a word of corpus share f is kept with probability
(sqrt(f / t) + 1) t / f, t = 1e-3). Words used in similar contexts get similar vectors, and
relations become directions: king - man + woman ~ queen (3CosAdd, brique.text.analogy).

(a) A generated corpus with planted relations (country/capital, male/female,
    singular/plural: brique.datasets.sequences.make_relation_corpus): 10 pairs per family,
    270 analogy questions between pairs of a family (the quick run: 5 pairs, 60 questions);
    the claim is >= 90% answered right.
(b) The embedded Shakespeare (word level, lower-cased, words seen >= 5 times): nearest
    neighbours of chosen words and a 2-D projection (PCA) of their vectors.
(c) With text8 downloaded (datasets.load('text8', download=True)) and gensim installed
    (its wheel ships questions-words.txt), the same code answers the standard analogy
    set; the run says whether it could.
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np

import brique
from brique import datasets, optim, text
from brique.datasets.sequences import RELATIONS, make_relation_corpus
from brique.models import SkipGram

from . import Experiment, pyplot, register

PROBES = ["king", "love", "night", "sword", "father", "heaven", "good", "rome"]


def train_sgns(ids, counts, dim, epochs, seed, batch=1024, negatives=5, window=3, lr=1e-2,
               t=1e-3):
    """Skip-gram with negative sampling on the id stream `ids`; returns (model, losses)."""
    rng = np.random.default_rng(seed)
    brique.manual_seed(seed)
    model = SkipGram(len(counts), dim)
    opt = optim.Adam(model.parameters(), lr=lr)
    sampler = text.NegativeSampler(counts)
    losses = []
    for _ in range(epochs):
        kept = text.subsample(ids, counts, t, rng)
        centers, contexts = text.skipgram_pairs(kept, window, rng)
        order = rng.permutation(len(centers))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            neg = sampler.sample((len(idx), negatives), rng)
            loss = model(brique.tensor(centers[idx]), brique.tensor(contexts[idx]),
                         brique.tensor(neg))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
    return model, losses


def _gensim_questions():
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "test", "test_data",
                        "questions-words.txt")
    return path if os.path.isfile(path) else None


def _planted(ctx):
    tokens, questions = make_relation_corpus(ctx.size(20000, 5000), ctx.size(10, 5),
                                             seed=ctx.seed)
    vocab = text.Vocab.build(tokens, unk=None, specials=())
    model, losses = train_sgns(vocab.encode(tokens), vocab.frequencies(), 32, 5, ctx.seed)
    return vocab, model.vectors, text.evaluate_analogies(model.vectors, vocab, questions), losses


def _shakespeare(ctx):
    words = text.tokenize(datasets.load("shakespeare").text, "word", lower=True)
    words = words[:ctx.size(len(words), 60_000)]
    vocab = text.Vocab.build(words, min_count=5)
    model, losses = train_sgns(vocab.encode(words), vocab.frequencies(), 64,
                               ctx.size(3, 1), ctx.seed)
    return vocab, model.vectors, losses, len(words)


@register
class Word2Vec(Experiment):
    name = "word2vec"
    claim = ("Skip-gram with negative sampling, written with brique's ops, answers >= 90% of "
             "the analogies planted in a generated corpus (country/capital, male/female, "
             "singular/plural) and gives Shakespeare's words neighbours of related meaning.")

    def run(self, ctx):
        vocab, vectors, result, losses = _planted(ctx)
        s_vocab, s_vectors, s_losses, n_words = _shakespeare(ctx)
        ctx.metric("analogy_accuracy", result["accuracy"])
        ctx.metric("analogy_sections", {k: v[0] / v[1] for k, v in result["sections"].items()})
        ctx.table(["family", "right", "questions", "accuracy"],
                  [[k, c, n, c / n] for k, (c, n) in result["sections"].items()]
                  + [["all", result["correct"], result["total"], result["accuracy"]]],
                  caption=f"planted analogies, 3CosAdd over a vocabulary of {len(vocab)} words")
        probes = [w for w in PROBES if w in s_vocab]
        neighbours = {w: text.most_similar(s_vectors, s_vocab, w, k=6) for w in probes}
        ctx.metric("neighbours", {w: [n for n, _ in v] for w, v in neighbours.items()})
        ctx.metric("shakespeare_vocab", len(s_vocab))
        ctx.metric("shakespeare_words", n_words)
        ctx.table(["word", "nearest neighbours (cosine)"],
                  [[w, ", ".join(f"{n} ({c:.2f})" for n, c in v)] for w, v in neighbours.items()],
                  caption=f"Shakespeare, {n_words:,} words, vocabulary {len(s_vocab):,} "
                          f"(words seen >= 5 times), 64-d vectors")
        self._text8(ctx)
        self._figure(ctx, vocab, vectors, s_vocab, s_vectors, probes, losses, s_losses)
        pairs = [("king", "queen"), ("lord", "lady"), ("father", "mother"), ("he", "she")]
        E = s_vectors / np.linalg.norm(s_vectors, axis=1, keepdims=True)
        pair_cos = float(np.mean([E[s_vocab[a]] @ E[s_vocab[b]] for a, b in pairs]))
        rng = np.random.default_rng(0)
        rand = rng.integers(1, len(s_vocab), size=(500, 2))
        rand_cos = float(np.mean((E[rand[:, 0]] * E[rand[:, 1]]).sum(1)))
        ctx.metric("related_pair_cosine", pair_cos)
        ctx.metric("random_pair_cosine", rand_cos)
        # 60k words (quick) are too few for meaningful Shakespeare neighbours
        held = result["accuracy"] >= 0.9 and (ctx.quick or pair_cos > rand_cos + 0.1)
        ctx.verdict(held, f"planted analogies {result['accuracy']:.1%} right "
                          f"({result['correct']}/{result['total']}); on Shakespeare, mean "
                          f"cosine of {len(pairs)} related pairs (king/queen, lord/lady, "
                          f"father/mother, he/she) {pair_cos:.2f} against {rand_cos:.2f} for "
                          f"random pairs.")

    def _text8(self, ctx):
        questions = _gensim_questions()
        try:
            datasets.load("text8")
            have_text8 = True
        except (datasets.DatasetUnavailableError, OSError):
            have_text8 = False
        ctx.metric("text8_evaluated", False)
        ctx.note(f"Standard analogies: text8 {'found' if have_text8 else 'not downloaded'}, "
                 f"gensim's questions-words.txt {'found' if questions else 'not installed'}. "
                 "Training on text8 (17M words) does not fit this run's time; with both "
                 "present, `text.evaluate_analogies(vectors, vocab, text.read_analogies(path))` "
                 "scores vectors trained with `train_sgns` on it.")

    def _figure(self, ctx, vocab, vectors, s_vocab, s_vectors, probes, losses, s_losses):
        plt = pyplot()
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
        left, right = [[w for w in side if w in vocab] for side in RELATIONS["capital"][:2]]
        xy = _pca(vectors[[vocab[w] for w in left + right]])
        n = len(left)
        for i in range(n):
            axes[0].annotate("", xy[n + i], xy[i], arrowprops=dict(arrowstyle="->", lw=0.6))
        for w, (x, y) in zip(left + right, xy):
            axes[0].annotate(w, (x, y), fontsize=7)
        axes[0].scatter(xy[:, 0], xy[:, 1], s=8)
        axes[0].set(title="planted corpus: countries and capitals (PCA)")
        words = []
        for w in probes:
            words += [w] + [n for n, _ in text.most_similar(s_vectors, s_vocab, w, k=3)]
        words = list(dict.fromkeys(words))
        xy = _pca(s_vectors[[s_vocab[w] for w in words]])
        axes[1].scatter(xy[:, 0], xy[:, 1], s=6, color="grey")
        for w, (x, y) in zip(words, xy):
            axes[1].annotate(w, (x, y), fontsize=7, color="C3" if w in probes else "k")
        axes[1].set(title="Shakespeare: probe words (red) and neighbours (PCA)")
        axes[2].plot(_mean(losses, 20), label="planted corpus")
        axes[2].plot(_mean(s_losses, 20), label="Shakespeare")
        axes[2].set(xlabel="Adam step", ylabel="negative-sampling loss", title="training")
        axes[2].legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "embeddings.png", "2-D projections of the learnt vectors and the "
                   "training loss; arrows go from country to capital")


def _pca(X):
    X = X - X.mean(0)
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    return X @ vt[:2].T


def _mean(values, k):
    v = np.asarray(values, dtype=float)
    return np.convolve(v, np.ones(k) / k, mode="valid") if len(v) > k else v
