"""A recursive (tree) network against an LSTM reading the same expressions as flat tokens,
tested on trees deeper than any seen in training.

What the course shows (seed 000, "Towards AI": recursive networks over trees): one brick,
shared by every node, composes the vectors of a node's children; the network takes the shape
of each input (define-by-run). Task: the value modulo 10 of an arithmetic expression over
digits with + and -, e.g. ( 3 + ( 4 - 9 ) ) -> 8. Both models are trained on trees of depth
1-3 (1 to 3 operators on the longest path) and tested on depths 1-6. The tree network
applies the same composition at every node, so if it has learnt it, depth does not matter;
the LSTM has to learn to keep a stack in its state from the parenthesised string.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import nn
from brique.datasets import expressions
from brique.models.treenet import TreeNet
from brique.nn import functional as F

from . import Experiment, pyplot, register
from ._common import one_blas_thread, smooth

OPS = ("+", "-")
TRAIN_DEPTHS, TEST_DEPTHS = (1, 2, 3), (1, 2, 3, 4, 5, 6)


class TokenLSTM(nn.Module):
    """Embedding -> LSTM over left-padded tokens -> value logits. Shape: (N, L) -> (N, 10)."""

    def __init__(self, embed_dim=32, hidden_size=128):
        super().__init__()
        self.embed = nn.Embedding(len(expressions.TOKENS) + 1, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, 10)

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embed(tokens))
        return self.out(h[0])


def left_padded(trees):
    """Token rows with the padding first, so the LSTM's last state follows the last token."""
    codes = expressions.encode_tokens(trees)
    out = np.zeros_like(codes)
    for i, row in enumerate(codes):
        n = int((row > 0).sum())
        out[i, out.shape[1] - n:] = row[:n]
    return out


def fit(model, trees, values, steps, as_input, batch_size=64, lr=3e-3, seed=0):
    """Adam on cross-entropy over random batches -> loss per step."""
    opt = brique.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    model.train()
    for _ in range(steps):
        idx = rng.integers(0, len(trees), batch_size)
        loss = F.cross_entropy(model(as_input([trees[i] for i in idx])),
                               brique.tensor(values[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def accuracy(model, trees, values, as_input):
    model.eval()
    with brique.no_grad():
        return float((model(as_input(trees)).argmax(-1).numpy() == values).mean())


@register
class RecursiveNet(Experiment):
    name = "recursive-net"
    claim = ("Trained on expression trees of depth 1-3, a tree network (one shared composition "
             "brick) keeps >= 90% accuracy on the values of trees of depth 4-6, and beats an "
             "LSTM reading the same expressions as token strings, trained as long, at every "
             "depth beyond training.")

    def run(self, ctx):
        steps, n_train, n_test = ctx.size(3000, 450), ctx.size(20000, 3000), ctx.size(500, 100)
        pairs = expressions.expression_trees(n_train, TRAIN_DEPTHS, seed=ctx.seed, ops=OPS)
        trees, values = [t for t, _ in pairs], np.array([v for _, v in pairs])
        models = {"tree network": (lambda: TreeNet(ops=OPS, dim=64, hidden=128), list),
                  "LSTM over tokens": (TokenLSTM, lambda ts: brique.tensor(left_padded(ts)))}
        results = {}
        with one_blas_thread():
            for name, (make, as_input) in models.items():
                brique.manual_seed(ctx.seed)
                model = make()
                losses = fit(model, trees, values, steps, as_input, seed=ctx.seed)
                by_depth = []
                for d in TEST_DEPTHS:
                    test = expressions.expression_trees(n_test, (d,), seed=ctx.seed + 100 + d,
                                                        ops=OPS)
                    by_depth.append(accuracy(model, [t for t, _ in test],
                                             np.array([v for _, v in test]), as_input))
                results[name] = (losses, by_depth)
        self._report(ctx, results, steps, n_train, n_test)

    def _report(self, ctx, results, steps, n_train, n_test):
        tree, lstm = results["tree network"][1], results["LSTM over tokens"][1]
        ctx.metric("tree_accuracy_by_depth", tree)
        ctx.metric("lstm_accuracy_by_depth", lstm)
        ctx.table(["model"] + [f"depth {d}" + (" (trained)" if d in TRAIN_DEPTHS else "")
                               for d in TEST_DEPTHS],
                  [[name] + by_depth for name, (_, by_depth) in results.items()],
                  caption=f"Test accuracy ({n_test} new trees per depth; chance 10%) after "
                          f"{steps} updates of 64 trees drawn from {n_train} of depth 1-3")
        plt = pyplot()
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.6))
        for name, (losses, by_depth) in results.items():
            ax.plot(TEST_DEPTHS, by_depth, marker="o", label=name)
            ax2.plot(smooth(losses, 50), label=name)
        ax.axvspan(0.8, max(TRAIN_DEPTHS) + 0.2, color="0.9", label="depths trained on")
        ax.axhline(0.1, color="k", lw=0.8, ls=":", label="chance")
        ax.set_xlabel("tree depth")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8)
        ax2.set_xlabel("update")
        ax2.set_ylabel("training loss")
        ax2.legend()
        ctx.figure(fig, "accuracy_by_depth.png",
                   "Accuracy by tree depth (left) and training loss (right)")
        deep = [i for i, d in enumerate(TEST_DEPTHS) if d not in TRAIN_DEPTHS]
        threshold = ctx.size(0.9, 0.5)
        held = min(tree[i] for i in deep) >= threshold and all(tree[i] > lstm[i] for i in deep)
        ctx.verdict(held, "deeper than trained (depths 4-6): tree network "
                          f"{', '.join(f'{tree[i]:.0%}' for i in deep)}, LSTM "
                          f"{', '.join(f'{lstm[i]:.0%}' for i in deep)}.")
