"""Conditional GAN: asking the generator for a given digit.

The course (seed 000, "GANs", conditional GAN; seeds 003-004) conditions both players on the
class label (Mirza & Osindero): the generator gets z and the label y and must produce a digit
of class y; the discriminator gets the image and y and rejects images that do not match
their label, so that the label, not chance, decides which digit comes out. One row per
requested digit shows it.

The experiment trains a conditional DCGAN (label embedding appended to z in the generator,
one-hot label planes stacked on the image in the discriminator) on the 4,000 mnist-5k
training digits with brique.train.train_adversarial(conditional=True), then asks for 100
samples of each digit and lets a LeNet-5 trained on the real digits say which digit each is.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import models, optim
from brique.train import train_adversarial
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import (GAN_ADAM, classify, image_grid, mnist_subset, samples_in_batches,
                      train_classifier)


@register
class CGANExperiment(Experiment):
    name = "cgan"
    claim = ("A conditional DCGAN trained on 4,000 mnist-5k digits draws the requested digit: "
             "a LeNet-5 trained on real digits agrees with the requested label on at least "
             "80% of 1,000 samples (100 per digit).")

    def run(self, ctx):
        latent = 64
        n_train, epochs = ctx.size(4000, 256), ctx.size(25, 2)
        width, per_class = ctx.size(32, 8), ctx.size(100, 20)
        rng = np.random.default_rng(ctx.seed)
        x, y = mnist_subset(True, n_train, rng, scale="signed")
        clf, clf_acc = train_classifier(ctx.seed, ctx.size(20, 1))
        ctx.metric("classifier_test_accuracy", clf_acc)
        G, hist = self._train(ctx, x, y, latent, width, epochs)
        asked = np.repeat(np.arange(10), per_class)
        gen = samples_in_batches(G, len(asked), latent, labels=asked)
        pred, conf = classify(clf, gen)
        agree = float((pred == asked).mean())
        per_digit = [float((pred[asked == c] == c).mean()) for c in range(10)]
        ctx.metric("n_train", n_train)
        ctx.metric("epochs", epochs)
        ctx.metric("n_samples", len(asked))
        ctx.metric("agreement", agree)
        ctx.metric("agreement_per_digit", per_digit)
        ctx.metric("mean_confidence", float(conf.mean()))
        for key in ("d_loss", "g_loss", "d_acc"):
            ctx.metric(key, hist[key])
        ctx.metric("sample_range", [float(gen.min()), float(gen.max())])
        ctx.metric("sample_shape", list(gen.shape))
        ctx.table(["requested digit"] + [str(c) for c in range(10)] + ["all"],
                  [["classifier agrees"] + per_digit + [agree]],
                  caption=f"{per_class} samples per requested digit, labelled by a LeNet-5 "
                          f"trained on real digits (test accuracy {clf_acc:.3f}); conditional "
                          f"DCGAN (width {width}), {epochs} epochs on {n_train} digits, Adam "
                          "lr 2e-4 betas (0.5, 0.999), batch 32")
        self._figures(ctx, gen, asked, per_class, hist)
        worst = int(np.argmin(per_digit))
        ctx.verdict(agree >= 0.8, f"the classifier agrees with the requested digit on "
                                  f"{agree:.3f} of {len(asked)} samples (worst digit {worst}: "
                                  f"{per_digit[worst]:.2f}; classifier test accuracy "
                                  f"{clf_acc:.3f}).")

    def _train(self, ctx, x, y, latent, width, epochs):
        brique.manual_seed(ctx.seed)
        G = models.DCGANGenerator(latent, width, num_classes=10)
        D = models.DCGANDiscriminator(width, num_classes=10)
        loader = DataLoader(TensorDataset(brique.tensor(x), brique.tensor(y)), batch_size=32,
                            shuffle=True, generator=ctx.seed)
        hist = train_adversarial(G, D, loader, epochs=epochs, latent_dim=latent,
                                 conditional=True, num_classes=10,
                                 g_optimizer=optim.Adam(G.parameters(), **GAN_ADAM),
                                 d_optimizer=optim.Adam(D.parameters(), **GAN_ADAM))
        return G, hist

    def _figures(self, ctx, gen, asked, per_class, hist):
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(5, 5.2))
        rows = np.concatenate([gen[asked == c][:10] for c in range(10)])
        image_grid(ax, rows, 10, min(10, per_class))
        ax.set_yticks([14 + 28 * c for c in range(10)])
        ax.set_yticklabels([str(c) for c in range(10)])
        ax.set_ylabel("requested digit")
        ctx.figure(fig, "samples.png", "one row per requested digit (conditional DCGAN)")
        fig, ax = plt.subplots(figsize=(5, 3))
        ep = np.arange(1, len(hist["d_loss"]) + 1)
        ax.plot(ep, hist["d_loss"], label="discriminator")
        ax.plot(ep, hist["g_loss"], label="generator (non-saturating)")
        ax.set(xlabel="epoch", ylabel="BCE")
        ax.legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "losses.png", "per-epoch mean losses of the two players")
