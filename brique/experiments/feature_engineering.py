"""Feature engineering vs a learned representation on the unit-circle problem.

What the course shows (seed 001, "Features engineering" and "Representation"): on the unit
circle y := (|x|^2 > 1), "logistic regression for the unit circle" fails because "our model
has not enough capacity for separating the data"; "if provided with a suitable representation
phi(x) := (x1^2, x2^2)" the same model "benefits from a strong regularity (circle shape of the
decision boundary)" and "can generalize with few samples: ~30 are enough!". Then: "Deep
Learning is a new Machine Learning approach where the representation (features extractor) is
learned" - an MLP finds its own features from the raw x, given more data.

Data: brique.datasets.make_circle, points uniform in the square [-sqrt(pi/2), sqrt(pi/2)]^2,
y = 1 outside the unit circle (the square's size makes both classes equally likely, so chance
is ~50%; the course draws x ~ N(0, I) instead, where 61% of the points lie outside). Every
model is trained by full-batch Adam on binary cross-entropy with brique: logistic regression
is one nn.Linear followed by a sigmoid (inside the loss); the MLP is brique.models.MLP with
two tanh hidden layers. Test accuracy is measured on a large fresh draw.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import nn
from brique.datasets import make_circle
from brique.models import MLP
from brique.nn import functional as F

from . import Experiment, pyplot, register


def phi(x):
    """The course's hand-made representation phi(x) = (x1^2, x2^2).

    Shape: (N, 2) -> (N, 2).
    """
    return x * x


def identity(x):
    return x


def logistic_regression():
    """A single Linear unit; sigmoid(Linear(x)) is the probability of y = 1.

    Shape: (N, 2) -> (N, 1) logits.
    """
    return nn.Linear(2, 1)


def train(model, features, x, y, steps, lr):
    """Full-batch Adam on BCE with logits; returns the final training loss."""
    opt = brique.optim.Adam(model.parameters(), lr=lr)
    inputs, target = features(x), y.float().reshape(-1, 1)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(inputs), target)
        loss.backward()
        opt.step()
    return loss.item()


def accuracy(model, features, x, y):
    with brique.no_grad():
        pred = (model(features(x)).reshape(-1) > 0).long()
    return (pred == y).float().mean().item()


def draw(n, seed):
    x, y = make_circle(n_samples=n, seed=seed)
    return brique.tensor(x), brique.tensor(y)


@register
class FeatureEngineering(Experiment):
    name = "feature-engineering"
    claim = ("On the unit circle y = (|x|^2 > 1), logistic regression on raw (x1, x2) stays "
             "near chance (< 70% test accuracy); on phi(x) = (x1^2, x2^2) it exceeds 95% from "
             "30 training points (98% from 100), far above an MLP on the same 30 raw points; "
             "the MLP, learning its own representation, exceeds 95% from 1,000 points.")

    def run(self, ctx):
        cfg = dict(n_test=ctx.size(5000, 2000), sizes=ctx.size((30, 100, 300, 1000), (30, 300)),
                   draws=ctx.size(5, 2), lr_steps=ctx.size(1500, 800),
                   mlp_steps=ctx.size(1500, 600), hidden=(16, 16))
        x_test, y_test = draw(cfg["n_test"], ctx.seed + 1000)
        share = y_test.float().mean().item()
        majority = ctx.metric("test_majority_rate", max(share, 1 - share))
        acc, examples = self._train_all(ctx, cfg, x_test, y_test)
        mean = {kind: {n: float(np.mean(v)) for n, v in per.items()} for kind, per in acc.items()}
        labels = self._table(ctx, cfg, acc, mean, majority)
        sizes = cfg["sizes"]
        model = examples["phi", sizes[0]][0]
        w, b = model.weight.detach().reshape(-1).tolist(), model.bias.item()
        ctx.metric("phi_n30_boundary", [w[0] / -b, w[1] / -b])
        ctx.note(f"Logistic regression on phi (first draw of {sizes[0]} points) learns "
                 f"{w[0] / -b:.3f} x1^2 + {w[1] / -b:.3f} x2^2 = 1: nearly the unit circle.")
        small, large = sizes[0], sizes[-1]
        self._figure(ctx, [examples["raw", large] + (labels["raw"], large),
                           examples["phi", small] + (labels["phi"], small),
                           examples["mlp", small] + (labels["mlp"], small),
                           examples["mlp", large] + (labels["mlp"], large)])
        self._curve(ctx, sizes, mean, labels, majority)
        self._verdict(ctx, mean, small, large, majority)

    def _fit(self, ctx, cfg, kind, n, i, x_test, y_test):
        """Train one model on draw i of n points; returns (model, features, x, y, acc)."""
        x, y = draw(n, ctx.seed + 100 * i)
        if kind == "mlp":
            model, features = MLP(2, cfg["hidden"], 1, activation=nn.Tanh), identity
            steps, lr = cfg["mlp_steps"], 0.01
        else:
            model, features = logistic_regression(), phi if kind == "phi" else identity
            steps, lr = cfg["lr_steps"], 0.1
        train(model, features, x, y, steps, lr)
        return model, features, x, y, accuracy(model, features, x_test, y_test)

    def _train_all(self, ctx, cfg, x_test, y_test):
        acc = {kind: {n: [] for n in cfg["sizes"]} for kind in ("raw", "phi", "mlp")}
        examples = {}
        for n in cfg["sizes"]:
            for i in range(cfg["draws"]):
                for kind in ("raw", "phi", "mlp"):
                    *model, a = self._fit(ctx, cfg, kind, n, i, x_test, y_test)
                    acc[kind][n].append(a)
                    if i == 0:
                        examples[kind, n] = tuple(model)
        return acc, examples

    def _table(self, ctx, cfg, acc, mean, majority):
        sizes = cfg["sizes"]
        for kind, per in acc.items():
            for n, values in per.items():
                ctx.metric(f"{kind}_n{n}_test_accuracy", mean[kind][n])
                ctx.metric(f"{kind}_n{n}_test_accuracy_min", min(values))
        arch = f"MLP 2-{'-'.join(map(str, cfg['hidden']))}-1 tanh"
        labels = {"raw": "logistic regression on x", "phi": "logistic regression on phi(x)",
                  "mlp": f"{arch} on x"}
        ctx.table(["model"] + [f"n = {n}" for n in sizes],
                  [[labels[k]] + [f"{mean[k][n]:.1%} (min {min(acc[k][n]):.1%})" for n in sizes]
                   for k in labels],
                  caption=f"Test accuracy on {cfg['n_test']} fresh points (mean over "
                          f"{cfg['draws']} training draws of n points; full-batch Adam on BCE, "
                          f"{cfg['lr_steps']} steps for logistic regression, {cfg['mlp_steps']} "
                          f"for the MLP). The test set's majority class is {majority:.1%} of it.")
        return labels

    def _verdict(self, ctx, mean, small, large, majority):
        raw = max(mean["raw"].values())
        engineered, learned_small = mean["phi"][small], mean["mlp"][small]
        learned = mean["mlp"][large]
        # The full run also checks the "98% from 100 points" of the claim.
        engineered_100 = mean["phi"].get(100, 1.0)
        held = raw < 0.70 and engineered > 0.95 and engineered > learned_small + 0.05 \
            and engineered_100 > 0.98 and learned > 0.95
        also = f" and {engineered_100:.1%} from 100" if 100 in mean["phi"] else ""
        ctx.verdict(held,
                    f"mean test accuracy: logistic regression on raw x at most {raw:.1%} "
                    f"(majority class {majority:.1%}); on phi(x) {engineered:.1%} from {small} "
                    f"points{also}; the MLP on raw x {learned_small:.1%} from the same {small} "
                    f"points and {learned:.1%} from {large}.")

    def _figure(self, ctx, panels):
        plt = pyplot()
        half = float(np.sqrt(np.pi / 2))
        grid = np.linspace(-half, half, 181, dtype=np.float32)
        g1, g2 = np.meshgrid(grid, grid)
        points = brique.tensor(np.stack([g1.ravel(), g2.ravel()], 1))
        angle = np.linspace(0, 2 * np.pi, 200)
        fig, axes = plt.subplots(1, 4, figsize=(16, 4.6), sharey=True)
        for ax, (model, features, x, y, label, n) in zip(axes, panels):
            with brique.no_grad():
                prob = brique.sigmoid(model(features(points))).reshape(g1.shape).numpy()
            ax.contourf(g1, g2, prob, levels=[0, 0.5, 1], colors=["#f4c7c3", "#c6dbef"])
            ax.contour(g1, g2, prob, levels=[0.5], colors="k", linewidths=1)
            ax.plot(np.cos(angle), np.sin(angle), "--", color="gray", linewidth=1)
            xs, ys = x.numpy(), y.numpy()
            size = 30 if n <= 100 else 6
            ax.scatter(xs[ys == 0, 0], xs[ys == 0, 1], s=size, c="#d62728", label="inside (0)")
            ax.scatter(xs[ys == 1, 0], xs[ys == 1, 1], s=size, c="#1f77b4", label="outside (1)")
            ax.set_title(f"{label}\n{n} training points", fontsize=10)
            ax.set_xlabel("x1")
            ax.set_aspect("equal")
        axes[0].set_ylabel("x2")
        axes[0].legend(loc="lower left", fontsize=8)
        ctx.figure(fig, "decision_boundaries.png",
                   "Decision regions (black line: p = 0.5; dashed: the true unit circle) and "
                   "training points: logistic regression on x and on phi(x), the MLP on few "
                   "and on many raw points")

    def _curve(self, ctx, sizes, mean, labels, majority):
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 3.8))
        for kind, label in labels.items():
            ax.plot(sizes, [mean[kind][n] for n in sizes], marker="o", label=label)
        ax.axhline(majority, color="gray", linestyle=":", label="majority class")
        ax.set_xscale("log")
        ax.set_xlabel("training points")
        ax.set_ylabel("test accuracy")
        ax.legend(fontsize=8)
        ctx.figure(fig, "accuracy_vs_samples.png",
                   "Test accuracy vs training-set size: the engineered feature needs few "
                   "points; the MLP learns the representation but needs more data")
