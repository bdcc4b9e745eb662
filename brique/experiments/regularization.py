"""What L1 and L2 penalties do to the weights.

The courses (seed 003, "Regularization": L2 / weight decay and L1, "L1 leads to sparse
weights") contrast the two penalties: L2 (sum w^2) pulls every weight towards zero in proportion
to its size, so it shrinks them all and zeroes none; L1 (sum |w|) pulls with a constant force,
so a weight that the data do not hold up is pushed to zero and stays there: the model becomes
sparse, and the surviving weights name the inputs that matter (feature selection).

The experiment builds a regression with known relevant inputs: 100 inputs, of which 10 carry
the target, 80 noisy examples (fewer than inputs, so the data alone do not pin the weights).
The same linear model is trained with no penalty, an L2 penalty and an L1 penalty (nn.l2_penalty,
nn.l1_penalty, full-batch proximal-free gradient descent) and the weights are compared: their
histograms, the share of useless weights at (near) zero, and whether the 10 largest |w_j|
are the 10 relevant inputs.
"""
from __future__ import annotations

import numpy as np

import brique
import brique.nn as nn
from brique import optim

from . import Experiment, pyplot, register

ZERO = 0.01  # |w| below this counts as zero (gradient descent on |w| hovers near, not at, 0)


def make_data(rng, n=80, d=100, relevant=10, noise=0.1):
    """y = x[:, :relevant] @ w_true + noise, the relevant inputs first (then shuffled)."""
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = np.zeros(d, np.float32)
    w[:relevant] = rng.choice([-1, 1], relevant) * rng.uniform(0.5, 1.5, relevant)
    perm = rng.permutation(d)
    x, w = x[:, perm], w[perm]
    y = x @ w + noise * rng.normal(size=n).astype(np.float32)
    return x, y.astype(np.float32), w


def train(x, y, penalty, strength, steps, seed):
    """A linear model by full-batch gradient descent on MSE + penalty; returns its weights."""
    brique.manual_seed(seed)
    model = nn.Linear(x.shape[1], 1)
    opt = optim.SGD(model.parameters(), lr=0.02)
    xt, yt = brique.tensor(x), brique.tensor(y[:, None])
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(xt) - yt) ** 2).mean()
        if penalty == "L1":
            loss = loss + nn.l1_penalty([model.weight], strength)
        elif penalty == "L2":
            loss = loss + nn.l2_penalty([model.weight], strength)
        loss.backward()
        opt.step()
    return model.weight.detach().numpy()[0]


def summarize(w, w_true):
    useless = w_true == 0
    k = int((~useless).sum())
    top = np.argsort(-np.abs(w))[:k]
    return {"useless_at_zero": float(np.mean(np.abs(w[useless]) < ZERO)),
            "useless_mean_abs": float(np.abs(w[useless]).mean()),
            "relevant_mean_abs": float(np.abs(w[~useless]).mean()),
            "top_k_precision": float(np.mean(w_true[top] != 0)),
            "weight_error": float(np.linalg.norm(w - w_true))}


@register
class RegularizationExperiment(Experiment):
    name = "regularization"
    claim = ("On a regression with 10 relevant inputs out of 100 (80 examples), an L1 penalty "
             "drives the useless weights to zero while L2 only shrinks them, and the 10 largest "
             "|w_j| of the L1 model are the 10 relevant inputs.")

    def run(self, ctx):
        steps = ctx.size(6000, 2000)
        x, y, w_true = make_data(np.random.default_rng(ctx.seed))
        runs = {"none": ("none", 0.0), "L2": ("L2", 0.2), "L1": ("L1", 0.05)}
        weights = {k: train(x, y, p, s, steps, ctx.seed) for k, (p, s) in runs.items()}
        stats = {k: summarize(w, w_true) for k, w in weights.items()}
        ctx.metric("steps", steps)
        ctx.metric("stats", stats)
        ctx.table(["penalty", "useless |w| < 0.01", "mean |w| useless", "mean |w| relevant",
                   "top-10 |w| are relevant", "||w - w_true||"],
                  [[f"{k} ({runs[k][1]})", s["useless_at_zero"], s["useless_mean_abs"],
                    s["relevant_mean_abs"], s["top_k_precision"], s["weight_error"]]
                   for k, s in stats.items()],
                  caption=f"linear model, 100 inputs (10 relevant), 80 examples, full-batch "
                          f"gradient descent lr 0.02, {steps} steps; penalty strengths in "
                          "brackets (mean-squared-error loss + strength * penalty)")
        self._figure(ctx, weights, w_true)
        l1, l2, plain = stats["L1"], stats["L2"], stats["none"]
        held = (l1["useless_at_zero"] > 0.8 and l2["useless_at_zero"] < 0.3
                and l2["useless_mean_abs"] < plain["useless_mean_abs"]
                and l2["relevant_mean_abs"] < 0.9 * plain["relevant_mean_abs"]
                and l1["top_k_precision"] == 1.0
                and l1["top_k_precision"] >= max(l2["top_k_precision"], plain["top_k_precision"]))
        ctx.verdict(held, f"useless weights under 0.01: L1 {l1['useless_at_zero']:.0%}, L2 "
                          f"{l2['useless_at_zero']:.0%}, none {plain['useless_at_zero']:.0%}; "
                          f"L2 shrinks all weights (mean |w| of the useless ones "
                          f"{plain['useless_mean_abs']:.3f} -> {l2['useless_mean_abs']:.3f}, of "
                          f"the relevant ones {plain['relevant_mean_abs']:.2f} -> "
                          f"{l2['relevant_mean_abs']:.2f}), L1 takes the useless ones to "
                          f"{l1['useless_mean_abs']:.4f}; "
                          f"the top-10 |w| are relevant inputs for L1 "
                          f"{l1['top_k_precision']:.0%}, L2 {l2['top_k_precision']:.0%}, none "
                          f"{plain['top_k_precision']:.0%}.")

    def _figure(self, ctx, weights, w_true):
        plt = pyplot()
        fig, axes = plt.subplots(2, 3, figsize=(13, 6))
        bins = np.linspace(-1.6, 1.6, 65)
        order = np.argsort(-np.abs(w_true))
        for i, (k, w) in enumerate(weights.items()):
            ax = axes[0, i]
            ax.hist(w[w_true == 0], bins=bins, color="C7", label="useless inputs")
            ax.hist(w[w_true != 0], bins=bins, color="C3", label="relevant inputs")
            ax.set(title=f"penalty: {k}", xlabel="weight", yscale="log")
            ax.legend(fontsize=7)
            ax = axes[1, i]
            ax.bar(np.arange(len(w)), np.abs(w[order]), color=np.where(w_true[order] != 0,
                                                                       "C3", "C7"))
            ax.set(xlabel="inputs (relevant first)", ylabel="|w_j|")
        fig.tight_layout()
        ctx.figure(fig, "weights.png", "weight histograms (top, log counts) and |w_j| per input "
                   "(bottom; red: the 10 relevant inputs) without penalty, with L2, with L1")
