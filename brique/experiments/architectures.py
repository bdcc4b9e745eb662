"""Classic architectures side by side (course 000 "Examples of architectures": AlexNet and
Network in Network; 002 "Residual blocks ... ResNet GoogleNet VGG AlexNet"; 003 "Architecture
design"): an MLP, LeNet-5 and small AlexNet-, VGG-, NiN- and ResNet-style nets trained on
mnist-5k with one budget (same epochs, optimizer, learning rate, batch size, data order).
The table gives each net's parameters, time per epoch and test accuracy: the convolutional
nets, which share weights across positions, beat the fully-connected MLP at equal budget, most
of them with fewer parameters."""
from __future__ import annotations

import time

import numpy as np

from .. import manual_seed, models, optim, tensor
from ..train import evaluate, fit
from ..train.callbacks import LearningRateScheduler
from ..utils.data import DataLoader, TensorDataset
from . import Experiment, pyplot, register
from ._common import mnist_subset, standardize


def mnist_tensors(n_train, n_test, seed):
    """(train set, test set) of mnist-5k as (N, 1, 28, 28) float32 TensorDatasets standardized
    with the training subset's mean and std: a seeded random subset of n_train training images,
    one of n_test test images."""
    x, y = mnist_subset(True, n_train, np.random.default_rng(seed), scale="unit",
                        pick="permutation")
    xt, yt = mnist_subset(False, n_test, np.random.default_rng(seed + 1), scale="unit",
                          pick="permutation")
    x, xt, _ = standardize(x, xt)
    return TensorDataset(tensor(x), tensor(y)), TensorDataset(tensor(xt), tensor(yt))


def zoo(ctx):
    """name -> a function building the net; the widths shrink under --quick."""
    s = ctx.size(1, 2)  # quick: half the widths
    p = ctx.size(0.25, 0.0)  # quick: no dropout, which slows the first hundred steps down
    return {
        "MLP": lambda: models.MLP(784, (ctx.size(256, 128),), 10),
        "LeNet-5": lambda: models.LeNet5(),
        "AlexNet-style": lambda: models.AlexNet(widths=(32 // s, 64 // s, 96 // s),
                                                hidden=256 // s, norm="lrn", dropout=p),
        "VGG-style": lambda: models.VGG([16 // s, "M", 32 // s, "M", 64 // s, 64 // s, "M"],
                                        hidden=128 // s, dropout=p),
        "NiN": lambda: models.NiN(widths=(32 // s, 64 // s), dropout=p, batch_norm=True),
        "ResNet-8": lambda: models.ResNet(1, width=16),  # small already: full width in quick too
    }


@register
class Architectures(Experiment):
    name = "architectures"
    claim = ("at one training budget on mnist-5k (4 epochs of Adam, batch 64), each of the five "
             "conv nets (LeNet-5, AlexNet-, VGG-, NiN- and ResNet-style) reaches a higher test "
             "accuracy than the MLP, most with fewer parameters")

    def run(self, ctx):
        n_train, n_test = ctx.size(4000, 1000), ctx.size(1000, 500)
        epochs, batch, lr = ctx.size(4, 3), ctx.size(64, 16), ctx.size(2e-3, 5e-3)
        train, test = mnist_tensors(n_train, n_test, ctx.seed)
        ctx.note(f"Data: {n_train} mnist-5k training images, {n_test} test images, "
                 f"normalized. Budget for every net: {epochs} epochs of Adam (lr {lr}, cosine "
                 f"decay to 0 over the run, per batch), batch {batch}, the same shuffling "
                 f"seed; dropout {ctx.size(0.25, 0.0)} where a net has dropout; NiN with "
                 f"batch norm. Times are wall-clock seconds per epoch on this machine (CPU, shared).")
        results = {name: self._train_one(ctx, build, train, test, epochs, batch, lr)
                   for name, build in zoo(ctx).items()}
        ctx.metric("results", results)
        ctx.table(["net", "parameters", "s / epoch", "train loss (last epoch)", "test loss",
                   "test accuracy %"],
                  [[name, f"{r['params']:,}", round(r["seconds_per_epoch"], 1), r["train_loss"],
                    r["test_loss"], round(100 * r["test_accuracy"], 1)]
                   for name, r in results.items()],
                  caption="one budget, six architectures")
        self._figure(ctx, results)
        self._verdict(ctx, results)

    def _train_one(self, ctx, build, train, test, epochs, batch, lr):
        manual_seed(ctx.seed)
        model = build()
        params = sum(p.numel() for p in model.parameters())
        opt = optim.Adam(model.parameters(), lr=lr)
        loader = DataLoader(train, batch_size=batch, shuffle=True)
        # Decaying the rate lets the batch-norm running statistics catch up with the
        # weights: at a constant 2e-3, ResNet-8's eval-mode accuracy lags far behind.
        decay = LearningRateScheduler(
            optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(loader)),
            interval="batch")
        start = time.perf_counter()
        history = fit(model, loader, epochs=epochs, optimizer=opt, loss="cross_entropy",
                      metrics=["accuracy"], callbacks=[decay], verbose=0)
        per_epoch = (time.perf_counter() - start) / epochs
        scores = evaluate(model, DataLoader(test, batch_size=256), "cross_entropy",
                          ["accuracy"])
        return dict(params=params, seconds_per_epoch=per_epoch,
                    train_loss=history.history["loss"][-1],
                    test_loss=scores["loss"], test_accuracy=scores["accuracy"])

    def _figure(self, ctx, results):
        plt = pyplot()
        names = list(results)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
        colors = ["tab:gray"] + ["tab:blue"] * (len(names) - 1)
        acc = [100 * results[k]["test_accuracy"] for k in names]
        ax1.bar(names, acc, color=colors)
        ax1.set_ylim(max(0.0, min(acc) - 10), 100)
        ax1.set_ylabel("test accuracy (%)")
        for i, a in enumerate(acc):
            ax1.text(i, a + 0.3, f"{a:.1f}", ha="center", fontsize=8)
        ax2.bar(names, [results[k]["params"] for k in names], color=colors)
        ax2.set_yscale("log")
        ax2.set_ylabel("parameters")
        for ax in (ax1, ax2):
            ax.tick_params(axis="x", rotation=35)
        fig.tight_layout()
        ctx.figure(fig, "accuracy.png", "test accuracy and parameter count (MLP in gray)")

    def _verdict(self, ctx, results):
        mlp = results["MLP"]["test_accuracy"]
        conv = {k: v for k, v in results.items() if k != "MLP"}
        margins = {k: v["test_accuracy"] - mlp for k, v in conv.items()}
        fewer = sum(v["params"] < results["MLP"]["params"] for v in conv.values())
        ctx.metric("mlp_accuracy", mlp)
        ctx.metric("min_conv_margin", min(margins.values()))
        ctx.metric("conv_with_fewer_params", fewer)
        worst = min(margins, key=margins.get)
        held = min(margins.values()) > 0 and fewer > len(conv) / 2
        ctx.verdict(held, f"MLP {100 * mlp:.1f}% test accuracy; the weakest conv net, {worst}, "
                          f"{100 * conv[worst]['test_accuracy']:.1f}% "
                          f"({100 * margins[worst]:+.1f} points); best "
                          f"{max(conv, key=lambda k: conv[k]['test_accuracy'])} "
                          f"{100 * max(v['test_accuracy'] for v in conv.values()):.1f}%; "
                          f"{fewer} of {len(conv)} conv nets have fewer parameters than the "
                          f"MLP ({results['MLP']['params']:,}).")
