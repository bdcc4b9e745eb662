"""Depth, shortcuts and batch normalization (course 000 "Residual Networks", "Batch
Normalization", "Making gradient flow (ResNets, LSTM, ...)"; 003 "Yet the depth alone is not
enough ... Make the gradient flow with activation normalization (Batch Normalization), with
structural constraints (Identity mapping)"; 002 "Residual blocks").

He et al. (2015) found that stacking more layers on a plain convolutional net makes it *train*
worse (higher training loss, so not overfitting), while the same nets with identity shortcuts
keep improving with depth. Here CIFAR-style ResNets (models.ResNet, 6n+2 layers) and their
plain twins (plain=True: the shortcuts removed, nothing else changed) are trained on mnist-5k
with one budget, and the 20-layer nets are trained again without batch normalization."""
from __future__ import annotations

import time

import numpy as np

from .. import manual_seed, models, optim, tensor
from ..train import History, fit
from ..utils.data import DataLoader, TensorDataset
from . import Experiment, pyplot, register
from ._common import mnist_subset, smooth, standardize


def mnist_train(n_train, seed):
    """A seeded random subset of n_train mnist-5k training images, (N, 1, 28, 28),
    standardized with its own mean and std, as a TensorDataset."""
    x, y = mnist_subset(True, n_train, np.random.default_rng(seed), scale="unit",
                        pick="permutation")
    x, _ = standardize(x)
    return TensorDataset(tensor(x), tensor(y))


@register
class Depth(Experiment):
    name = "depth"
    claim = ("at one budget (3 epochs of Adam on 1,500 mnist-5k digits), the 44-layer plain net "
             "ends with a higher training loss than a shallower plain net while the 44-layer "
             "ResNet ends lower than the shallower ResNets; and batch normalization lowers the "
             "epoch-1 loss of the 20-layer nets, plain and residual")

    def run(self, ctx):
        cfg = dict(n_train=ctx.size(1500, 320), epochs=ctx.size(3, 3), batch=ctx.size(64, 32),
                   lr=3e-3, width=ctx.size(8, 4), ns=ctx.size((1, 3, 7), (1, 2, 5)))
        train = mnist_train(cfg["n_train"], ctx.seed)
        self._describe(ctx, cfg)
        runs = {(kind, n): self._train_one(ctx, cfg, train, n, kind == "plain")
                for kind in ("plain", "residual") for n in cfg["ns"]}
        self._depth_table(ctx, cfg, runs)
        n_bn = cfg["ns"][1]
        no_bn = {kind: self._train_one(ctx, cfg, train, n_bn, kind == "plain", batch_norm=False)
                 for kind in ("plain", "residual")}
        with_bn = {kind: runs[kind, n_bn] for kind in ("plain", "residual")}
        self._bn_table(ctx, cfg, with_bn, no_bn)
        self._figure(ctx, cfg, runs, with_bn, no_bn)
        self._verdict(ctx, cfg, runs, with_bn, no_bn)

    def _describe(self, ctx, cfg):
        width, ns, epochs = cfg["width"], cfg["ns"], cfg["epochs"]
        depths = [6 * n + 2 for n in ns]
        ctx.note(f"Data: {cfg['n_train']} mnist-5k training images. Nets: models.ResNet(n, width="
                 f"{width}) (widths {width}/{2 * width}/{4 * width}, option-A identity shortcuts, "
                 f"batch norm, He init) with n = {', '.join(map(str, ns))}, i.e. "
                 f"{', '.join(map(str, depths))} weight layers, and the same nets with plain=True. "
                 f"Budget for every net: {epochs} epochs of Adam (lr {cfg['lr']}), batch "
                 f"{cfg['batch']}, the same initialization seed and data order. 'Training loss' "
                 f"is the mean cross-entropy over the batches of the last epoch, as fit() "
                 f"reports it.")

    def _train_one(self, ctx, cfg, train, n, plain, batch_norm=True):
        manual_seed(ctx.seed)
        model = models.ResNet(n, width=cfg["width"], plain=plain, batch_norm=batch_norm)
        curve = History(per_batch=True)
        start = time.perf_counter()
        history = fit(model, DataLoader(train, batch_size=cfg["batch"], shuffle=True),
                      epochs=cfg["epochs"], optimizer=optim.Adam(model.parameters(), lr=cfg["lr"]),
                      loss="cross_entropy", callbacks=[curve], verbose=0)
        return dict(epoch_loss=history.history["loss"], batch_loss=curve.batch_history["loss"],
                    seconds=time.perf_counter() - start)

    def _depth_table(self, ctx, cfg, runs):
        ns = cfg["ns"]
        final = {key: r["epoch_loss"][-1] for key, r in runs.items()}
        rows = [[6 * n + 2, final["plain", n], final["residual", n],
                 round(runs["plain", n]["seconds"], 1), round(runs["residual", n]["seconds"], 1)]
                for n in ns]
        ctx.table(["layers", "plain: training loss", "residual: training loss", "plain s",
                   "residual s"], rows, caption=f"training loss after {cfg['epochs']} epochs")
        ctx.metric("depths", [6 * n + 2 for n in ns])
        ctx.metric("plain_loss", [final["plain", n] for n in ns])
        ctx.metric("residual_loss", [final["residual", n] for n in ns])

    def _bn_table(self, ctx, cfg, with_bn, no_bn):
        n_bn, epochs = cfg["ns"][1], cfg["epochs"]
        bn_rows = [[f"{kind} {6 * n_bn + 2}", with_bn[kind]["epoch_loss"][0],
                    no_bn[kind]["epoch_loss"][0], with_bn[kind]["epoch_loss"][-1],
                    no_bn[kind]["epoch_loss"][-1]] for kind in ("plain", "residual")]
        ctx.table(["net", "epoch 1, BN", "epoch 1, no BN", f"epoch {epochs}, BN",
                   f"epoch {epochs}, no BN"], bn_rows,
                  caption="mean training loss per epoch with and without batch normalization")
        ctx.metric("bn_epoch1_loss", {k: v["epoch_loss"][0] for k, v in with_bn.items()})
        ctx.metric("no_bn_epoch1_loss", {k: v["epoch_loss"][0] for k, v in no_bn.items()})

    def _figure(self, ctx, cfg, runs, with_bn, no_bn):
        ns = cfg["ns"]
        plt = pyplot()
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True)
        k = max(1, len(runs["plain", ns[0]]["batch_loss"]) // (5 * cfg["epochs"]))
        colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(ns)))
        for ax, kind in zip(axes[:2], ("plain", "residual")):
            for n, color in zip(ns, colors):
                ax.plot(smooth(runs[kind, n]["batch_loss"], k), color=color,
                        label=f"{6 * n + 2} layers")
            ax.set_title(f"{kind} nets")
            ax.set_xlabel("batch")
            ax.legend()
        axes[0].set_ylabel(f"training loss (running mean of {k} batches)")
        for kind, style in (("plain", "--"), ("residual", "-")):
            axes[2].plot(smooth(with_bn[kind]["batch_loss"], k), style, color="tab:blue",
                         label=f"{kind}, BN")
            axes[2].plot(smooth(no_bn[kind]["batch_loss"], k), style, color="tab:red",
                         label=f"{kind}, no BN")
        axes[2].set_title(f"{6 * ns[1] + 2} layers, with and without batch norm")
        axes[2].set_xlabel("batch")
        axes[2].legend()
        fig.tight_layout()
        ctx.figure(fig, "training_loss.png", "training loss per batch: plain nets get worse "
                                             "with depth, residual nets do not; batch norm "
                                             "speeds both up")

    def _verdict(self, ctx, cfg, runs, with_bn, no_bn):
        ns, n_bn = cfg["ns"], cfg["ns"][1]
        plain = [runs["plain", n]["epoch_loss"][-1] for n in ns]
        res = [runs["residual", n]["epoch_loss"][-1] for n in ns]
        plain_degrades = plain[-1] > min(plain[:-1])
        residual_improves = res[-1] < min(res[:-1])
        bn_gain = {kind: no_bn[kind]["epoch_loss"][0] - with_bn[kind]["epoch_loss"][0]
                   for kind in ("plain", "residual")}
        ctx.metric("deepest_plain_minus_residual", plain[-1] - res[-1])
        ctx.metric("bn_epoch1_gain", bn_gain)
        held = plain_degrades and residual_improves and min(bn_gain.values()) > 0
        d = [6 * n + 2 for n in ns]
        ctx.verdict(held, f"plain nets: training loss {', '.join(f'{v:.3f}' for v in plain)} at "
                          f"{', '.join(map(str, d))} layers (the {d[-1]}-layer net "
                          f"{'above' if plain_degrades else 'not above'} the best shallower one, "
                          f"{min(plain[:-1]):.3f}); residual nets "
                          f"{', '.join(f'{v:.3f}' for v in res)} (the {d[-1]}-layer net "
                          f"{'below' if residual_improves else 'not below'} every shallower "
                          f"one). Epoch-1 loss of the {6 * n_bn + 2}-layer nets with / without "
                          f"BN: plain {with_bn['plain']['epoch_loss'][0]:.3f} / "
                          f"{no_bn['plain']['epoch_loss'][0]:.3f}, residual "
                          f"{with_bn['residual']['epoch_loss'][0]:.3f} / "
                          f"{no_bn['residual']['epoch_loss'][0]:.3f}.")
