"""Sparse autoencoder.

The course (seed 000, "Guiding the learning through regularization": "Constraints on
activities (of neurons in a hidden layer) -> induces sparsity: L1 or L2; mean activity
constraint (sparse autoencoders, [Ng et al.])") adds to the reconstruction loss a penalty on
the code's activity, so that each image is described by few active units and each unit
learns a local feature (a stroke) rather than a blurred whole digit.

The experiment trains the same one-hidden-layer autoencoder (784-100-784, ReLU code, sigmoid
outputs, binary cross-entropy, Adam) on the mnist-5k training images without and with an L1
activity penalty on the code (brique.nn.activity_l1, per sample), then measures on the test
images the mean code activation, the fraction of code values that are (near) zero (< 0.01)
and the reconstruction error, and draws the learnt filters (the encoder's weight rows as
28x28 images).
"""
from __future__ import annotations

import numpy as np

import brique
from brique import models, optim

from . import Experiment, pyplot, register
from ._common import (encode, image_rows, mnist_subset, mse, one_per_digit, reconstruct,
                      train_autoencoder)


@register
class SparseAutoencoderExperiment(Experiment):
    name = "sparse-autoencoder"
    claim = ("An L1 activity penalty on the 100-unit code of a 784-100-784 autoencoder trained "
             "on mnist-5k lowers the mean code activation and raises the fraction of near-zero "
             "code values, while its test reconstructions stay within twice the plain "
             "autoencoder's error and far below the mean image's.")

    def run(self, ctx):
        rng = np.random.default_rng(ctx.seed)
        n_train, epochs = ctx.size(4000, 1000), ctx.size(20, 4)
        code, weight, eps = 100, 5e-4, 0.01
        x_train, _ = mnist_subset(True, n_train, rng, scale="unit")
        x_test, y_test = mnist_subset(False, ctx.size(1000, 300), rng, scale="unit")
        mean_err = mse(x_test, x_train.mean(0, keepdims=True))
        res, filters, recs = {}, {}, {}
        for label, w in (("plain", 0.0), ("L1 penalty", weight)):
            brique.manual_seed(ctx.seed)
            model = models.SparseAutoencoder(784, (), code, sparsity="l1", weight=w)
            losses = train_autoencoder(model, x_train, epochs,
                                       optim.Adam(model.parameters(), lr=1e-3), batch_size=32,
                                       seed=ctx.seed,
                                       penalty=(lambda m: m.penalty()) if w else None)
            z = encode(model, x_test)
            recs[label] = reconstruct(model, x_test)
            filters[label] = model.encoder[0].weight.detach().numpy()
            res[label] = {"mean_activation": float(z.mean()),
                          "near_zero": float((np.abs(z) < eps).mean()),
                          "dead_units": int((z.max(0) < eps).sum()),
                          "test_mse": mse(recs[label], x_test),
                          "first_loss": losses[0], "last_loss": losses[-1]}
        ctx.metric("n_train", n_train)
        ctx.metric("epochs", epochs)
        ctx.metric("l1_weight", weight)
        ctx.metric("mean_image_mse", mean_err)
        ctx.metric("results", res)
        ctx.table(["model", "mean code activation", f"fraction of code values < {eps}",
                   "units never active", "test MSE per pixel"],
                  [[k, r["mean_activation"], r["near_zero"], r["dead_units"], r["test_mse"]]
                   for k, r in res.items()],
                  caption=f"{len(x_test)} mnist-5k test images; 784-{code}-784 autoencoder, "
                          f"ReLU code, trained {epochs} epochs on {n_train} images (Adam lr "
                          f"1e-3, batch 32); L1 penalty {weight} x sum |code| per sample; the "
                          f"mean image's MSE is {mean_err:.4f}")
        self._filters(ctx, filters)
        show = one_per_digit(y_test)
        self._recs(ctx, x_test[show], {k: v[show] for k, v in recs.items()})
        p, s = res["plain"], res["L1 penalty"]
        held = (s["mean_activation"] < p["mean_activation"] and s["near_zero"] > p["near_zero"]
                and s["test_mse"] < 2 * p["test_mse"]
                and s["test_mse"] < (0.9 if ctx.quick else 0.5) * mean_err
                and all(r["last_loss"] < r["first_loss"] for r in res.values()))
        ctx.verdict(held, f"mean code activation {p['mean_activation']:.3f} -> "
                          f"{s['mean_activation']:.3f}, near-zero code values "
                          f"{p['near_zero']:.3f} -> {s['near_zero']:.3f}; test MSE "
                          f"{p['test_mse']:.4f} -> {s['test_mse']:.4f} (mean image "
                          f"{mean_err:.4f}).")

    def _filters(self, ctx, filters):
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 5.2))
        for ax, (label, w) in zip(axes, filters.items()):
            tiles = [t.reshape(28, 28) / (np.abs(t).max() + 1e-8) for t in w[:100]]
            grid = np.ones((10 * 29 - 1, 10 * 29 - 1)) * np.nan
            for i, t in enumerate(tiles):
                r, c = divmod(i, 10)
                grid[r * 29:r * 29 + 28, c * 29:c * 29 + 28] = t
            ax.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1)
            ax.set_title(label)
            ax.axis("off")
        fig.tight_layout()
        ctx.figure(fig, "filters.png", "the encoder's 100 filters (weight rows as 28x28 "
                   "images, each scaled to its largest magnitude; red positive, blue negative) "
                   "without and with the L1 activity penalty")

    def _recs(self, ctx, x, recs):
        image_rows(ctx, [("original", x)] + list(recs.items()), "reconstructions.png",
                   "test digits and their reconstructions without and with the sparsity "
                   "penalty")
