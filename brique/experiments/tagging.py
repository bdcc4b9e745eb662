"""Synchronous many-to-many: tagging, where a tag depends on words to its right.

The courses' many-to-many recurrent networks emit one output per input step; a
unidirectional network's output at step t has seen only steps 0..t, a bidirectional one
(one pass forward, one backward, outputs concatenated) sees the whole sentence.

The grammar (brique.datasets.make_tagging): a sentence is 4 phrases; a phrase is 1-4
ambiguous words (any of 20, shared by every kind) closed by a word that names the phrase's
kind (3 kinds, 2 closing words each), and every word of the phrase carries the phrase's kind
as its tag. Before its closing word, nothing tells a left-to-right reader the kind, so a
unidirectional tagger is capped: right on every closing word, 1 in 3 on the other words.
A bidirectional tagger sees the closing word from the backward pass and solves it.

Sentences have different lengths: the taggers run on PackedSequences
(pack_padded_sequence with enforce_sorted=False), so padding never enters a state and the
backward direction starts at each sentence's own end.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import optim
from brique.datasets.sequences import make_tagging, tagging_vocab_size
from brique.models import RNNTagger
from brique.nn import functional as F

from . import Experiment, pyplot, register
from ._common import train_steps

KINDS = 3


class _Tagged:
    """(ids, lengths) -> logits flattened for cross_entropy over (N * T, tags)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, inputs):
        ids, lengths = inputs[:, :-1], inputs[:, -1]
        return self.model(ids, lengths.tolist()).reshape(-1, KINDS)

    def __getattr__(self, name):
        return getattr(self.model, name)


def _pack_inputs(X, lengths):
    """Ids and lengths in one array so that one batch is one (x, y) pair."""
    return np.concatenate([X, lengths[:, None]], 1)


def _train(bidirectional, data, epochs, batch, seed):
    X, tags, lengths = data
    brique.manual_seed(seed)
    model = RNNTagger(tagging_vocab_size(), KINDS, embedding_dim=16, hidden_size=32,
                      cell="gru", bidirectional=bidirectional)
    tagged = _Tagged(model)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        p = rng.permutation(len(X))
        batches = ((_pack_inputs(X[p[i:i + batch]], lengths[p[i:i + batch]]),
                    tags[p[i:i + batch]].reshape(-1)) for i in range(0, len(X), batch))
        losses += train_steps(tagged, batches, F.cross_entropy, opt)[0]
    return model, losses


def _predict(model, X, lengths):
    model.eval()
    with brique.no_grad():
        return model(brique.tensor(X), lengths.tolist()).numpy().argmax(-1)


def _distance_to_closer(X, lengths, n_words=20):
    """Words from each position to its phrase's closing word (0 on the closer), -1 on
    padding."""
    dist = np.full(X.shape, -1)
    for i, n in enumerate(lengths):
        d = 0
        for t in range(n - 1, -1, -1):
            d = 0 if X[i, t] > n_words else d + 1
            dist[i, t] = d
    return dist


@register
class Tagging(Experiment):
    name = "tagging"
    claim = ("On a grammar where a word's tag is named by a word to its right, a "
             "unidirectional GRU tagger is capped at the left-to-right limit (right on the "
             "closing words, chance on the rest) while a bidirectional one tags >= 99% of "
             "the words.")

    def run(self, ctx):
        n_train, n_test = ctx.size(3000, 500), ctx.size(1000, 500)
        epochs, batch = ctx.size(6, 4), 32
        train = make_tagging(n_train, seed=ctx.seed)
        X, tags, lengths = make_tagging(n_test, seed=ctx.seed + 1)
        valid = tags != -100
        closer = (X > 20) & valid
        cap = float((closer.sum() + (valid & ~closer).sum() / KINDS) / valid.sum())
        results, curves = {}, {}
        for label, bi in (("unidirectional", False), ("bidirectional", True)):
            model, curves[label] = _train(bi, train, epochs, batch, ctx.seed)
            right = (_predict(model, X, lengths) == tags) & valid
            results[label] = right
        self._report(ctx, results, curves, X, lengths, valid, cap, n_train, epochs)

    def _report(self, ctx, results, curves, X, lengths, valid, cap, n_train, epochs):
        dist = _distance_to_closer(X, lengths)
        T = X.shape[1]
        acc = {k: float(r.sum() / valid.sum()) for k, r in results.items()}
        by_pos = {k: [float(r[:, t].sum() / max(valid[:, t].sum(), 1)) for t in range(T)]
                  for k, r in results.items()}
        by_dist = {k: [float(r[dist == d].mean()) for d in range(5)] for k, r in results.items()}
        ctx.metric("accuracy", acc)
        ctx.metric("left_to_right_cap", cap)
        ctx.metric("accuracy_by_position", by_pos)
        ctx.metric("accuracy_by_distance", by_dist)
        ctx.metric("n_train", n_train)
        ctx.table(["tagger", "word accuracy", "on closing words"] +
                  [f"{d} word{'s' if d > 1 else ''} before it" for d in range(1, 5)],
                  [[k, acc[k]] + by_dist[k] for k in results],
                  caption=f"{len(X)} test sentences; GRU 32 units, {n_train} training sentences, "
                          f"{epochs} epochs of Adam; the left-to-right limit is {cap:.3f}")
        self._figure(ctx, by_pos, valid, curves)
        uni, bi = acc["unidirectional"], acc["bidirectional"]
        held = abs(uni - cap) < 0.03 and bi >= 0.99
        ctx.verdict(held, f"unidirectional {uni:.3f} (left-to-right limit {cap:.3f}; "
                          f"{by_dist['unidirectional'][1]:.2f} one word before a closer), "
                          f"bidirectional {bi:.3f}.")

    def _figure(self, ctx, by_pos, valid, curves):
        plt = pyplot()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.6))
        keep = valid.sum(0) >= 20  # positions with enough words to say something
        for i, (k, accs) in enumerate(by_pos.items()):
            a1.plot(np.flatnonzero(keep), np.asarray(accs)[keep], "o-", color=f"C{i}", label=k)
            a2.plot(curves[k], color=f"C{i}", lw=0.8, label=k)
        a1.axhline(1 / KINDS, color="grey", lw=0.8)
        a1.set(xlabel="position in the sentence", ylabel="tag accuracy", ylim=(0, 1.05),
               title="per-position accuracy")
        a2.set(xlabel="Adam step", ylabel="cross-entropy", title="training loss")
        a1.legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "tagging.png", "tag accuracy at each position of the test sentences "
                   "(grey: chance) and the training loss, unidirectional vs bidirectional GRU")
