"""Generative adversarial networks: GAN and DCGAN on digits.

The course (seed 000, "GANs"; seeds 003 and 004, generative models) presents Goodfellow et
al.'s two-player game: a generator G maps noise z to images, a discriminator D tells real
images from G's; D maximizes E[log D(x)] + E[log(1 - D(G(z)))], G minimizes it (in practice
maximizes log D(G(z)), the non-saturating loss). DCGAN (Radford et al.) makes both players
convolutional (transposed convolutions to upsample, strided convolutions to downsample,
batch normalization, ReLU / LeakyReLU(0.2), tanh output, Adam lr 2e-4 beta1 0.5), which gives
sharper digits. Moving along a straight line between two latent codes morphs one digit into
another (latent interpolation).

The experiment trains an MLP GAN and a DCGAN on the 4,000 mnist-5k training digits (scaled to
[-1, 1]) with brique.train.train_adversarial, draws samples from fixed codes along training,
plots both players' losses, and an interpolation strip. A LeNet-5 trained on the real digits
then labels 1,000 DCGAN samples: a generator that covers the data produces every class
(no mode collapse) with digits the classifier recognizes confidently.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import models, optim
from brique.train import sample_generator, train_adversarial
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import (GAN_ADAM, classify, image_grid, mnist_subset, samples_in_batches,
                      train_classifier)

@register
class GANExperiment(Experiment):
    name = "gan"
    claim = ("A DCGAN trained on 4,000 mnist-5k digits produces at least 9 of the 10 digit "
             "classes, each on at least 3% of 1,000 samples, with a LeNet-5 (trained on real "
             "digits) mean confidence of at least 0.8 on them.")

    def run(self, ctx):
        cfg = dict(latent=64, n_train=ctx.size(4000, 512), epochs=ctx.size(25, 2),
                   width=ctx.size(32, 8), hidden=ctx.size((256, 512), (64, 128)),
                   n_eval=ctx.size(1000, 200), clf_epochs=ctx.size(20, 1))
        rng = np.random.default_rng(ctx.seed)
        x, _ = mnist_subset(True, cfg["n_train"], rng, scale="signed")
        xt, _ = mnist_subset(False, ctx.size(1000, 200), rng, scale="signed")
        clf, judge = self._judge(ctx, cfg, xt)
        epochs = cfg["epochs"]
        checkpoints = sorted({0, epochs // 4, epochs // 2, (3 * epochs) // 4, epochs - 1})
        fixed_z = brique.randn(10, cfg["latent"])
        runs = {label: self._train_pair(ctx, cfg, x, make, batch, clf, checkpoints, fixed_z)
                for label, (make, batch) in self._players(cfg).items()}
        summary = {label: _summarize(r, cfg["n_eval"]) for label, r in runs.items()}
        self._report(ctx, cfg, runs, summary, judge)
        self._figures(ctx, runs, checkpoints, cfg["latent"])
        d, m = summary["DCGAN"], summary["GAN (MLP)"]
        held = d["classes_3pct"] >= 9 and d["mean_confidence"] >= 0.8
        ctx.verdict(held, f"DCGAN: {d['classes_3pct']} classes with at least 3% of "
                          f"{cfg['n_eval']} samples (smallest share "
                          f"{d['min_class_fraction']:.3f}), mean classifier confidence "
                          f"{d['mean_confidence']:.3f} (classifier test accuracy "
                          f"{judge[0]:.3f}); MLP GAN: {m['classes_3pct']} classes, "
                          f"confidence {m['mean_confidence']:.3f}.")

    def _judge(self, ctx, cfg, xt):
        """The LeNet-5 that labels the samples; returns it and (its test accuracy, its mean
        confidence on real test digits)."""
        clf, clf_acc = train_classifier(ctx.seed, cfg["clf_epochs"])
        ctx.metric("classifier_test_accuracy", clf_acc)
        _, real_conf = classify(clf, xt)
        ctx.metric("classifier_confidence_real", float(real_conf.mean()))
        return clf, (clf_acc, float(real_conf.mean()))

    @staticmethod
    def _players(cfg):
        latent, hidden, width = cfg["latent"], cfg["hidden"], cfg["width"]
        return {"GAN (MLP)": (lambda: (models.MLPGenerator(latent, hidden),
                                       models.MLPDiscriminator(hidden[::-1])), 64),
                "DCGAN": (lambda: (models.DCGANGenerator(latent, width),
                                   models.DCGANDiscriminator(width)), 32)}

    def _train_pair(self, ctx, cfg, x, make, batch_size, clf, checkpoints, fixed_z):
        latent = cfg["latent"]
        brique.manual_seed(ctx.seed)
        G, D = make()
        grids = {}

        def keep(epoch, g, d, h):
            if epoch in checkpoints:
                grids[epoch] = sample_generator(g, 10, latent, z=fixed_z).numpy()

        loader = DataLoader(TensorDataset(brique.tensor(x)), batch_size=batch_size,
                            shuffle=True, generator=ctx.seed)
        hist = train_adversarial(G, D, loader, epochs=cfg["epochs"], latent_dim=latent,
                                 g_optimizer=optim.Adam(G.parameters(), **GAN_ADAM),
                                 d_optimizer=optim.Adam(D.parameters(), **GAN_ADAM),
                                 callback=keep)
        gen = samples_in_batches(G, cfg["n_eval"], latent)
        pred, conf = classify(clf, gen)
        return dict(G=G, hist=hist, grids=grids, samples=gen,
                    counts=np.bincount(pred, minlength=10), conf=float(conf.mean()))

    def _report(self, ctx, cfg, runs, summary, judge):
        n_eval, epochs, n_train = cfg["n_eval"], cfg["epochs"], cfg["n_train"]
        ctx.metric("n_train", n_train)
        ctx.metric("epochs", epochs)
        ctx.metric("n_eval", n_eval)
        ctx.metric("summary", summary)
        ctx.metric("curves", {k: {m: r["hist"][m] for m in ("d_loss", "g_loss", "d_acc")}
                              for k, r in runs.items()})
        ctx.table(["model", "classes >= 3%", "min class share", "max class share",
                   "mean confidence", "D accuracy (last epoch)", "D loss", "G loss"],
                  [[k, s["classes_3pct"], s["min_class_fraction"], s["max_class_fraction"],
                    s["mean_confidence"], s["d_acc_last"], s["d_loss_last"], s["g_loss_last"]]
                   for k, s in summary.items()],
                  caption=f"{n_eval} samples of each generator labelled by a LeNet-5 trained "
                          f"on real digits (test accuracy {judge[0]:.3f}, mean confidence "
                          f"{judge[1]:.3f} on real test digits); {epochs} epochs on "
                          f"{n_train} digits, batch 64 (MLP) / 32 (DCGAN), Adam lr 2e-4 betas "
                          "(0.5, 0.999)")
        ctx.table(["model"] + [str(c) for c in range(10)],
                  [[k] + s["class_counts"] for k, s in summary.items()],
                  caption="classifier's label counts on the generated samples")

    def _figures(self, ctx, runs, checkpoints, latent):
        plt = pyplot()
        height = 0.55 * len(checkpoints) + 0.8
        fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), height))
        for ax, (label, r) in zip(axes, runs.items()):
            image_grid(ax, np.concatenate([r["grids"][e] for e in checkpoints]),
                       len(checkpoints), 10)
            ax.set_yticks([14 + 28 * i for i in range(len(checkpoints))])
            ax.set_yticklabels([f"epoch {e + 1}" for e in checkpoints])
            ax.set_title(label)
        fig.tight_layout()
        ctx.figure(fig, "samples.png", "samples from the same 10 latent codes after each "
                   "checkpoint epoch (one row per checkpoint)")

        fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.2))
        for ax, (label, r) in zip(axes, runs.items()):
            ep = np.arange(1, len(r["hist"]["d_loss"]) + 1)
            ax.plot(ep, r["hist"]["d_loss"], label="discriminator")
            ax.plot(ep, r["hist"]["g_loss"], label="generator (non-saturating)")
            ax.set(xlabel="epoch", ylabel="BCE", title=label)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "losses.png", "per-epoch mean losses of the two players")

        G = runs["DCGAN"]["G"]
        z = brique.randn(2, latent).numpy()
        t = np.linspace(0, 1, 10, dtype=np.float32)[:, None]
        strip = sample_generator(G, 10, latent, z=brique.tensor((1 - t) * z[0] + t * z[1]))
        fig, ax = plt.subplots(figsize=(8, 1.1))
        image_grid(ax, strip.numpy(), 1, 10)
        ctx.figure(fig, "interpolation.png", "DCGAN samples along the straight line between "
                   "two latent codes")


def _summarize(r, n_eval):
    """What a trained pair's samples and losses say, as numbers for the report."""
    frac = r["counts"] / n_eval
    h = r["hist"]
    return dict(
        classes_3pct=int((frac >= 0.03).sum()), classes_present=int((frac > 0).sum()),
        min_class_fraction=float(frac.min()), max_class_fraction=float(frac.max()),
        mean_confidence=r["conf"], class_counts=r["counts"].tolist(),
        d_loss_first=h["d_loss"][0], d_loss_last=h["d_loss"][-1],
        g_loss_first=h["g_loss"][0], g_loss_last=h["g_loss"][-1],
        d_acc_last=h["d_acc"][-1], d_real_last=h["d_real"][-1],
        d_fake_last=h["d_fake"][-1],
        sample_min=float(r["samples"].min()), sample_max=float(r["samples"].max()),
        sample_shape=list(r["samples"].shape))
