"""Dropout against over-fitting.

The course (seed 000 and seed 001, "Dropout"; seed 003, regularization) presents Dropout
(Srivastava et al.): during training each hidden unit is dropped with probability p (the
kept ones scaled by 1 / (1 - p), "inverted" dropout, so nothing changes at test time), which
keeps units from co-adapting and acts as an average over many thinned networks. A large
network trained on few examples learns the training set by heart (train accuracy ~100%) and
generalizes worse (a train/test gap); the same network with Dropout(0.5) on its hidden layers
shows a smaller gap and a better test accuracy.

The experiment trains a 784-1024-1024-10 ReLU MLP on 1,000 mnist-5k training images, with and
without Dropout(0.5) after each hidden layer, with brique.train.fit and validation on the
1,000 mnist-5k test images; the training set is also evaluated in eval mode (no dropout)
after every epoch, so that the train/test gap compares like with like.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import models, optim
from brique.train import Callback, evaluate, fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_subset


class EvalOn(Callback):
    """After each epoch, evaluate the model on `loader` in eval mode and keep the results."""

    def __init__(self, loader):
        self.loader, self.loss, self.accuracy = loader, [], []

    def on_epoch_end(self, epoch, logs=None):
        res = evaluate(self.state.model, self.loader, "cross_entropy", ["accuracy"])
        self.loss.append(res["loss"])
        self.accuracy.append(res["accuracy"])


def _arrays(train, n, rng):
    x, y = mnist_subset(train, n, rng, scale="unit", flat=True)
    return TensorDataset(brique.tensor(x), brique.tensor(y))


@register
class DropoutExperiment(Experiment):
    name = "dropout"
    claim = ("A 784-1024-1024-10 MLP trained on 1,000 mnist-5k images overfits (train accuracy "
             "~100%, a train/test gap); Dropout(0.5) on its hidden layers shrinks the gap "
             "and does not lower (here: raises) the test accuracy.")

    def run(self, ctx):
        width = ctx.size(1024, 256)
        n_train, n_test = ctx.size(1000, 500), ctx.size(1000, 500)
        epochs = ctx.size(40, 30)
        rng = np.random.default_rng(ctx.seed)
        train, test = _arrays(True, n_train, rng), _arrays(False, n_test, rng)
        runs = {label: self._train(ctx, train, test, width, p, epochs)
                for label, p in (("no dropout", 0.0), ("dropout 0.5", 0.5))}
        # the last epochs' mean, so that one noisy epoch does not decide
        last = max(1, epochs // 8)
        summary = {label: _summarize(r, last) for label, r in runs.items()}
        ctx.metric("width", width)
        ctx.metric("n_train", n_train)
        ctx.metric("epochs", epochs)
        ctx.metric("summary", summary)
        ctx.metric("curves", runs)
        ctx.table(["model", "train acc", "test acc", "gap", "train loss", "test loss",
                   "test - train loss", "best test acc"],
                  [[k, s["train_acc"], s["test_acc"], s["gap"], s["train_loss"],
                    s["test_loss"], s["loss_gap"], s["best_test_acc"]]
                   for k, s in summary.items()],
                  caption=f"mean of the last {last} epochs of {epochs} ({n_train} training "
                          f"images, MLP 784-{width}-{width}-10, SGD lr 0.02 momentum 0.9, "
                          "batch 50); train figures in eval mode")
        plain, drop = summary["no dropout"], summary["dropout 0.5"]
        ctx.note(f"Train accuracy (eval mode) is {plain['train_acc']:.3f} without and "
                 f"{drop['train_acc']:.3f} with dropout, so the accuracy gap changes by the "
                 f"test accuracy's change ({drop['test_acc'] - plain['test_acc']:+.3f}); the "
                 f"loss gap (test minus train cross-entropy), {plain['loss_gap']:.3f} -> "
                 f"{drop['loss_gap']:.3f}, shows the same. Adam (lr 1e-3 or 1e-4) in place of "
                 "SGD with momentum gave no test gain from dropout in trial runs.")
        self._figure(ctx, runs, epochs)
        self._verdict(ctx, plain, drop)

    def _train(self, ctx, train, test, width, p, epochs):
        brique.manual_seed(ctx.seed)  # same initial weights and batch order for both
        model = models.MLP(784, (width, width), 10, dropout=p)
        loader = DataLoader(train, batch_size=50, shuffle=True, generator=ctx.seed)
        on_train = EvalOn(DataLoader(train, batch_size=500))
        hist = fit(model, loader, DataLoader(test, batch_size=500), epochs=epochs,
                   optimizer=optim.SGD(model.parameters(), lr=0.02, momentum=0.9),
                   loss="cross_entropy", metrics=["accuracy"], callbacks=[on_train],
                   verbose=0).history
        return {"train_loss": on_train.loss, "train_acc": on_train.accuracy,
                "test_loss": hist["val_loss"], "test_acc": hist["val_accuracy"],
                "fit_loss": hist["loss"]}

    def _verdict(self, ctx, plain, drop):
        held = (plain["train_acc"] > 0.98 and plain["gap"] > 0.05
                and drop["gap"] < plain["gap"] - 0.005
                and drop["loss_gap"] < plain["loss_gap"]
                and drop["test_acc"] >= plain["test_acc"])
        ctx.verdict(held, f"without dropout train {plain['train_acc']:.3f} / test "
                          f"{plain['test_acc']:.3f} (gap {plain['gap']:.3f}); with Dropout(0.5) "
                          f"train {drop['train_acc']:.3f} / test {drop['test_acc']:.3f} "
                          f"(gap {drop['gap']:.3f}); test accuracy "
                          f"{drop['test_acc'] - plain['test_acc']:+.3f}; test - train loss "
                          f"{plain['loss_gap']:.3f} -> {drop['loss_gap']:.3f}.")

    def _figure(self, ctx, runs, epochs):
        plt = pyplot()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
        ep = np.arange(1, epochs + 1)
        for i, (label, r) in enumerate(runs.items()):
            a1.plot(ep, r["train_loss"], "--", color=f"C{i}", label=f"{label}, train")
            a1.plot(ep, r["test_loss"], "-", color=f"C{i}", label=f"{label}, test")
            a2.plot(ep, r["train_acc"], "--", color=f"C{i}", label=f"{label}, train")
            a2.plot(ep, r["test_acc"], "-", color=f"C{i}", label=f"{label}, test")
        a1.set(xlabel="epoch", ylabel="cross-entropy", title="loss", yscale="log")
        a2.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
        a2.legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "curves.png", "train (dashed, eval mode) and test (solid) loss and "
                   "accuracy per epoch, without and with Dropout(0.5)")


def _summarize(r, last):
    """Means of the last `last` epochs, the train-test gaps, the best test accuracy."""
    s = {k: float(np.mean(r[k][-last:])) for k in ("train_acc", "test_acc", "train_loss",
                                                   "test_loss")}
    s["gap"] = s["train_acc"] - s["test_acc"]
    s["loss_gap"] = s["test_loss"] - s["train_loss"]
    s["best_test_acc"] = float(max(r["test_acc"]))
    return s
