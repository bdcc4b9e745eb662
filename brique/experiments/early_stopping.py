"""Early stopping on a validation curve.

The courses (seed 001 and seed 003, "Early stopping": stop training when the validation error
starts to rise, keep the best model seen) treat the number of epochs as a hyper-parameter chosen
on held-out data: the training loss keeps falling, the validation loss falls, reaches a minimum
and climbs as the network starts to learn its training set by heart. Keras's EarlyStopping
(here brique.train.EarlyStopping, `patience` epochs without improvement of `val_loss`, with
`restore_best_weights`) stops there and returns the weights of the best epoch.

The experiment trains an MLP on 1,000 mnist-5k images, validating on 1,000 others, twice from
the same initial weights and batch order: once with EarlyStopping and once for the full number
of epochs; it draws the validation curve with the epoch where EarlyStopping stopped and the
best epoch it restored, and compares both models on the 1,000 test images.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import models, optim
from brique.train import EarlyStopping, evaluate, fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_subset


def loaders(n_train, seed):
    """Train / validation from mnist-5k's training part (disjoint), test from its test part."""
    rng = np.random.default_rng(seed)
    x, y = mnist_subset(True, 2 * n_train, rng, scale="unit", flat=True, pick="permutation")
    xt, yt = mnist_subset(False, None, rng, scale="unit", flat=True)
    make = lambda a, b: TensorDataset(brique.tensor(a), brique.tensor(b))  # noqa: E731
    return (make(x[:n_train], y[:n_train]), make(x[n_train:], y[n_train:]), make(xt, yt))


def train(train_set, val_loader, epochs, width, seed, callbacks=()):
    brique.manual_seed(seed)  # the same initial weights and batch order for both runs
    model = models.MLP(784, (width, width), 10)
    loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=seed)
    history = fit(model, loader, val_loader, epochs=epochs, loss="cross_entropy",
                  optimizer=optim.Adam(model.parameters(), lr=1e-3), metrics=["accuracy"],
                  callbacks=list(callbacks), verbose=0)
    return model, history.history


@register
class EarlyStoppingExperiment(Experiment):
    name = "early-stopping"
    claim = ("Training an MLP on 1,000 mnist-5k images, the validation loss reaches a minimum "
             "and rises; EarlyStopping(val_loss, patience) stops `patience` epochs after that "
             "minimum and restores the best weights, which have a lower test loss than the "
             "weights at the end of training on and a test accuracy within 2 points of theirs, "
             "for a fraction of the epochs.")

    def run(self, ctx):
        n, epochs, patience = ctx.size(1000, 300), ctx.size(40, 15), ctx.size(5, 3)
        width = ctx.size(512, 256)
        train_set, val_set, test_set = loaders(n, ctx.seed)
        val, test = DataLoader(val_set, batch_size=500), DataLoader(test_set, batch_size=500)
        stopper = EarlyStopping("val_loss", patience=patience, restore_best_weights=True)
        stopped_model, short = train(train_set, val, epochs, width, ctx.seed, [stopper])
        full_model, full = train(train_set, val, epochs, width, ctx.seed)
        tests = {"early stopping (best restored)": evaluate(stopped_model, test, "cross_entropy",
                                                            ["accuracy"]),
                 f"trained on ({epochs} epochs)": evaluate(full_model, test, "cross_entropy",
                                                          ["accuracy"])}
        best, stop = stopper.best_epoch + 1, len(short["val_loss"])
        same = np.allclose(short["val_loss"], full["val_loss"][:stop], rtol=1e-4)
        ctx.metric("width", width)
        self._report(ctx, tests, best, stop, epochs, patience, same, n)
        self._figure(ctx, full, best, stop)

    def _report(self, ctx, tests, best, stop, epochs, patience, same, n):
        (es, es_res), (on, on_res) = tests.items()
        ctx.metric("best_epoch", best)
        ctx.metric("stopped_after", stop)
        ctx.metric("epochs", epochs)
        ctx.metric("same_path", bool(same))
        ctx.metric("test", {"early_stopping": es_res, "trained_on": on_res})
        ctx.table(["model", "epochs trained", "test loss", "test accuracy"],
                  [[es, stop, es_res["loss"], es_res["accuracy"]],
                   [on, epochs, on_res["loss"], on_res["accuracy"]]],
                  caption=f"MLP 784-{ctx.metrics['width']}-{ctx.metrics['width']}-10, Adam 1e-3, batch 32, {n} training and {n} "
                          f"validation images, 1,000 test images; EarlyStopping(val_loss, "
                          f"patience={patience}, restore_best_weights=True)")
        held = (same and stop == best + patience and stop < epochs
                and es_res["loss"] < on_res["loss"]
                and es_res["accuracy"] >= on_res["accuracy"] - 0.02)
        ctx.verdict(held, f"the validation loss was lowest at epoch {best}; EarlyStopping "
                          f"stopped after epoch {stop} (of {epochs}) and restored epoch {best}: "
                          f"test loss {es_res['loss']:.3f} vs {on_res['loss']:.3f} trained on, "
                          f"test accuracy {es_res['accuracy']:.3f} vs "
                          f"{on_res['accuracy']:.3f}; both runs followed the same path up to "
                          f"the stop: {same}.")

    def _figure(self, ctx, full, best, stop):
        plt = pyplot()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
        ep = np.arange(1, len(full["loss"]) + 1)
        a1.plot(ep, full["loss"], label="training loss")
        a1.plot(ep, full["val_loss"], label="validation loss")
        a2.plot(ep, full["accuracy"], label="training accuracy")
        a2.plot(ep, full["val_accuracy"], label="validation accuracy")
        for ax in (a1, a2):
            ax.axvline(best, color="C2", ls="--", label=f"best epoch ({best}), restored")
            ax.axvline(stop, color="C3", ls=":", label=f"EarlyStopping stops ({stop})")
            ax.set(xlabel="epoch")
        a1.set(yscale="log", ylabel="cross-entropy", title="loss")
        a2.set(ylabel="accuracy", title="accuracy")
        a1.legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "curves.png", "training and validation curves of the run trained on, "
                   "with the epoch EarlyStopping restored and the one where it stopped")
