"""Denoising autoencoder.

The course (seed 000, "Guiding the learning through regularization": "Noisy inputs (e.g.
Denoising Autoencoder, link to L2 regularization)") disturbs the inputs during training so
that the network cannot learn the identity: a denoising autoencoder (Vincent et al., 2008)
gets a corrupted image and is trained to give back the clean one.

The experiment trains a diabolo autoencoder (784-256-64-256-784, sigmoid outputs, binary
cross-entropy, Adam) wrapped in brique.models.DenoisingAutoencoder (Gaussian noise of std 0.5,
clipped to [0, 1], drawn afresh at every step) on the mnist-5k training images, then corrupts
the test images with the same kind of noise (a fixed draw), denoises them, and measures the
mean squared error per pixel of the noisy and of the denoised images against the clean ones.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import models, optim
from brique.models.autoencoder import corrupt

from . import Experiment, register
from ._common import (image_rows, mnist_subset, mse, one_per_digit, reconstruct,
                      train_autoencoder)


@register
class DenoisingExperiment(Experiment):
    name = "denoising"
    claim = ("A denoising autoencoder trained on mnist-5k with Gaussian input noise (std 0.5) "
             "brings noisy test digits back to less than a third of the noisy images' squared "
             "error against the clean ones.")

    def run(self, ctx):
        rng = np.random.default_rng(ctx.seed)
        std = 0.5
        n_train, epochs = ctx.size(4000, 1000), ctx.size(20, 4)
        x_train, _ = mnist_subset(True, n_train, rng, scale="unit")
        x_test, y_test = mnist_subset(False, ctx.size(1000, 300), rng, scale="unit")
        brique.manual_seed(ctx.seed)
        dae = models.DenoisingAutoencoder(models.Autoencoder(784, (256,), 64), "gaussian", std,
                                          generator=ctx.seed)
        losses = train_autoencoder(dae, x_train, epochs, optim.Adam(dae.parameters(), lr=1e-3),
                                   batch_size=32, seed=ctx.seed)
        noisy = corrupt(brique.tensor(x_test), "gaussian", std, generator=ctx.seed + 1).numpy()
        denoised = reconstruct(dae, noisy)
        clean_rec = reconstruct(dae, x_test)
        err = {"noisy": mse(noisy, x_test), "denoised": mse(denoised, x_test),
               "mean image": mse(x_test, x_train.mean(0, keepdims=True)),
               "clean input": mse(clean_rec, x_test)}
        ratio = err["denoised"] / err["noisy"]
        ctx.metric("n_train", n_train)
        ctx.metric("epochs", epochs)
        ctx.metric("noise_std", std)
        ctx.metric("train_loss", losses)
        ctx.metric("test_mse", err)
        ctx.metric("ratio", ratio)
        ctx.table(["images compared with the clean test images", "MSE per pixel"],
                  [["noisy inputs (Gaussian std 0.5, clipped)", err["noisy"]],
                   ["denoised outputs", err["denoised"]],
                   ["outputs for the clean inputs", err["clean input"]],
                   ["mean training image", err["mean image"]]],
                  caption=f"{len(x_test)} mnist-5k test images; denoising autoencoder "
                          f"784-256-64-256-784 trained {epochs} epochs on {n_train} images "
                          "(Adam lr 1e-3, batch 32, binary cross-entropy against the clean "
                          "images)")
        show = one_per_digit(y_test)
        ctx.note("The network has only seen noisy inputs: clipped Gaussian noise also brightens "
                 "the black background on average, so a clean image is out of its training "
                 "distribution, which is why its output for clean inputs "
                 f"({err['clean input']:.4f}) can be further from them than its output for "
                 f"noisy ones ({err['denoised']:.4f}).")
        self._figure(ctx, noisy[show], denoised[show], x_test[show])
        held = (losses[-1] < losses[0] and ratio < (1 / 3 if not ctx.quick else 0.5)
                and err["denoised"] < err["mean image"])
        ctx.verdict(held, f"noisy inputs MSE {err['noisy']:.4f}, denoised {err['denoised']:.4f} "
                          f"(ratio {ratio:.3f}), mean image {err['mean image']:.4f}; training "
                          f"loss {losses[0]:.4f} -> {losses[-1]:.4f}.")

    def _figure(self, ctx, noisy, denoised, clean):
        image_rows(ctx, [("noisy", noisy), ("denoised", denoised), ("clean", clean)],
                   "denoising.png", "noisy test digits (Gaussian std 0.5), the denoising "
                   "autoencoder's outputs, and the clean digits")
