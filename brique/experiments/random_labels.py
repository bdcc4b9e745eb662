"""Memorisation of random labels.

The courses (seed 003, "Understanding deep learning requires rethinking generalization",
Zhang et al. 2017) report that a network large enough to fit a dataset also fits it when the
labels are replaced by random ones: training accuracy still reaches ~100%, only more slowly,
while the test accuracy falls to chance, since there is nothing left to generalise. The capacity
that lets a network learn is also enough to learn by heart; what it does on real data is not
explained by its capacity alone.

The experiment trains the same MLP on mnist-5k's 4,000 training images with 0%, 50% and 100%
of the labels replaced by uniformly random classes (fixed once, so there is something to
memorise), until the training accuracy (on the labels it is given) reaches 99% or the epoch
budget runs out, and tests on the 1,000 real test labels after every epoch. The optimizer is
Zhang et al.'s, SGD with momentum 0.9 (lr 0.01): with Adam (lr 1e-3) the 50% run took longer
to fit than the 100% one (40 vs 35 epochs), the half of true labels fighting the memorisation
of the other half.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import models, optim
from brique.train import Callback, fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_subset

TARGET = 0.99


class StopWhenFitted(Callback):
    """Stop once the epoch's training accuracy reaches `target`."""

    def __init__(self, target):
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        if logs["accuracy"] >= self.target:
            self.state.stop_training = True


def corrupt(labels, fraction, rng):
    """Replace a `fraction` of the labels by uniformly random classes (which may, 1 time in
    10, be the true one)."""
    y = labels.copy()
    idx = rng.choice(len(y), int(round(fraction * len(y))), replace=False)
    y[idx] = rng.integers(0, 10, len(idx))
    return y


def run_one(x, y, test, width, epochs, seed, batch=64):
    brique.manual_seed(seed)
    model = models.MLP(784, (width, width), 10)
    loader = DataLoader(TensorDataset(brique.tensor(x), brique.tensor(y)), batch_size=batch,
                        shuffle=True, generator=seed)
    return fit(model, loader, test, epochs=epochs, loss="cross_entropy", metrics=["accuracy"],
               optimizer=optim.SGD(model.parameters(), lr=0.01, momentum=0.9),
               callbacks=[StopWhenFitted(TARGET)], verbose=0).history


@register
class RandomLabelsExperiment(Experiment):
    name = "random-labels"
    claim = ("An MLP fits mnist-5k's training images to 99% training accuracy with 0%, 50% and "
             "100% random labels, taking more epochs as the noise grows, while its test "
             "accuracy falls from over 90% towards chance (10%) (Zhang et al. 2017).")

    def run(self, ctx):
        # quick: 300 images in batches of 16, enough SGD steps to fit them within 80 epochs
        n, width, batch = ctx.size(None, 300), ctx.size(512, 256), ctx.size(64, 16)
        epochs = ctx.size(100, 80)
        fractions = ctx.size([0.0, 0.5, 1.0], [0.0, 1.0])
        rng = np.random.default_rng(ctx.seed)
        x, y = mnist_subset(True, n, rng, scale="unit", flat=True)
        xt, yt = mnist_subset(False, None, rng, scale="unit", flat=True)
        test = DataLoader(TensorDataset(brique.tensor(xt), brique.tensor(yt)), batch_size=500)
        curves = {}
        for f in fractions:
            noisy = corrupt(y, f, np.random.default_rng(ctx.seed + 1))
            curves[f"{f:.0%} random"] = run_one(x, noisy, test, width, epochs, ctx.seed, batch)
        self._report(ctx, curves, len(x), width, epochs, batch)
        self._figure(ctx, curves)

    def _report(self, ctx, curves, n, width, epochs, batch):
        summary = {}
        for name, h in curves.items():
            summary[name] = {"epochs_to_fit": len(h["accuracy"]) if h["accuracy"][-1] >= TARGET
                             else None, "train_accuracy": h["accuracy"][-1],
                             "test_accuracy": h["val_accuracy"][-1],
                             "best_test_accuracy": max(h["val_accuracy"])}
        ctx.metric("n_train", n)
        ctx.metric("summary", summary)
        ctx.metric("curves", curves)
        ctx.table(["labels", "epochs to 99% train accuracy", "final train accuracy",
                   "final test accuracy", "best test accuracy"],
                  [[k, s["epochs_to_fit"] or f"not within {epochs}", s["train_accuracy"],
                    s["test_accuracy"], s["best_test_accuracy"]] for k, s in summary.items()],
                  caption=f"MLP 784-{width}-{width}-10, SGD lr 0.01 momentum 0.9, batch "
                          f"{batch}, {n} training images (accuracy on the labels given), 1,000 "
                          "test images with their true labels")
        rows = list(summary.values())
        fitted = all(r["epochs_to_fit"] for r in rows)
        slower = fitted and all(a["epochs_to_fit"] < b["epochs_to_fit"]
                                for a, b in zip(rows, rows[1:]))
        falling = all(a["test_accuracy"] > b["test_accuracy"] for a, b in zip(rows, rows[1:]))
        held = (fitted and slower and falling and rows[0]["test_accuracy"] > ctx.size(0.9, 0.75)
                and abs(rows[-1]["test_accuracy"] - 0.1) < 0.05)
        if fitted and not slower:
            ctx.note("Every share of random labels was fitted, but the epochs to 99% do not "
                     "grow with the share of random labels in this run (see the table): the "
                     "claim's 'more slowly as the noise grows' does not hold in that order here.")
        ctx.verdict(held, "; ".join(f"{k}: {s['epochs_to_fit'] or 'no'} epochs to "
                                    f"{TARGET:.0%} train accuracy, test accuracy "
                                    f"{s['test_accuracy']:.3f}" for k, s in summary.items())
                    + ".")

    def _figure(self, ctx, curves):
        plt = pyplot()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
        for i, (name, h) in enumerate(curves.items()):
            ep = np.arange(1, len(h["accuracy"]) + 1)
            a1.plot(ep, h["accuracy"], color=f"C{i}", label=name)
            a2.plot(ep, h["val_accuracy"], color=f"C{i}", label=name)
        a1.axhline(TARGET, color="0.6", ls=":")
        a2.axhline(0.1, color="0.6", ls=":", label="chance")
        a1.set(xlabel="epoch", ylabel="accuracy", title="training accuracy (labels given)")
        a2.set(xlabel="epoch", title="test accuracy (true labels)")
        a2.legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "curves.png", "training accuracy on the (partly random) labels and "
                   "test accuracy on the true labels, per epoch, for each share of random labels")
