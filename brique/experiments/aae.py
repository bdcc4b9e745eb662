"""Adversarial autoencoder (Makhzani et al., 2015; seed 000 "Towards AI" and 004): a
discriminator on the 2-D code pushes the encoder's codes towards a prior N(0, I), so the
decoder turns prior samples into digits. Compared with the same autoencoder without the
adversary, whose codes spread however reconstruction likes.

brique.models.AdversarialAutoencoder trained by brique.train.train_adversarial_autoencoder:
each batch makes a reconstruction step (encoder + decoder), then the two-player step shared
with the GANs (the discriminator: prior samples real, codes fake; the encoder as the
generator, non-saturating loss).
"""
from __future__ import annotations

import numpy as np

import brique
from brique import models, optim
from brique.train import train_adversarial_autoencoder
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import encode, image_grid, mnist_subset, mse, reconstruct, train_autoencoder

HIDDEN = (256, 128)
GAME = dict(lr=1e-3, betas=(0.5, 0.999))


def train(x, epochs, adversarial, seed, batch_size=64):
    """A 2-D-code deep autoencoder, with or without the adversary on its code; returns the
    model and the last epoch's discriminator accuracy (None without the adversary)."""
    brique.manual_seed(seed)
    if not adversarial:
        ae = models.DeepAutoencoder(hidden=HIDDEN, code=2)
        train_autoencoder(ae, x, epochs, optim.Adam(ae.parameters(), lr=1e-3),
                          batch_size=batch_size, seed=seed)
        return ae, None
    aae = models.AdversarialAutoencoder(hidden=HIDDEN, code=2)
    loader = DataLoader(TensorDataset(brique.tensor(x)), batch_size=batch_size, shuffle=True,
                        generator=seed)
    opts = dict(optimizer=optim.Adam(aae.autoencoder.parameters(), lr=1e-3),
                d_optimizer=optim.Adam(aae.discriminator.parameters(), **GAME),
                g_optimizer=optim.Adam(aae.autoencoder.encoder.parameters(), **GAME))
    # The game oscillates: at a constant step size the codes of the last epoch sit wherever
    # the chase left them (60 epochs at lr 1e-3: code means up to 0.9 away from 0 for seeds
    # 0-2). The last quarter at a tenth of every step size lets them settle on the prior
    # (means within 0.15, 84-88% within radius 2, for the same seeds).
    settle = epochs // 4
    hist = train_adversarial_autoencoder(aae, loader, epochs=epochs - settle, **opts)
    for opt in opts.values():
        for group in opt.param_groups:
            group["lr"] *= 0.1
    hist = train_adversarial_autoencoder(aae, loader, epochs=settle, **opts)
    return aae, hist["d_acc"][-1]


def code_stats(z):
    radius = np.sqrt((z ** 2).sum(1))
    return {"mean": z.mean(0).tolist(), "std": z.std(0).tolist(),
            "within_2": float((radius < 2).mean())}


@register
class AdversarialAutoencoder(Experiment):
    name = "aae"
    claim = ("An adversarial autoencoder's 2-D codes of mnist-5k test digits match the N(0, I) "
             "prior (per-dimension mean within 0.3 of 0, std within 0.7-1.3, 75-95% of codes "
             "within radius 2, the prior's 86%) while the plain autoencoder's do not, both "
             "reconstruct better than the mean image, and the discriminator ends unsure "
             "(accuracy below 80%).")

    def run(self, ctx):
        rng = np.random.default_rng(ctx.seed)
        x, _ = mnist_subset(True, ctx.size(None, 2000), rng, scale="unit")
        xt, yt = mnist_subset(False, ctx.size(None, 300), rng, scale="unit")
        epochs = ctx.size(60, 10)
        xf, xtf = x.reshape(len(x), -1), xt.reshape(len(xt), -1)
        results = {}
        for label, adversarial in (("plain", False), ("adversarial", True)):
            ae, d_acc = train(xf, epochs, adversarial, ctx.seed)
            z = encode(ae, xtf)
            stats = code_stats(z)
            stats["error"] = mse(reconstruct(ae, xtf), xtf)
            stats["d_accuracy"] = d_acc
            results[label] = (ae, z, stats)
            ctx.metric(label, stats)
        mean_error = ctx.metric("mean_image_error", mse(xf.mean(0, keepdims=True), xtf))
        ctx.table(["autoencoder", "code mean", "code std", "within radius 2", "test error",
                   "discriminator accuracy"],
                  [[k, " ".join(f"{v:.2f}" for v in s["mean"]),
                    " ".join(f"{v:.2f}" for v in s["std"]), f"{s['within_2']:.0%}",
                    s["error"], "-" if s["d_accuracy"] is None else f"{s['d_accuracy']:.0%}"]
                   for k, (_, _, s) in results.items()],
                  caption=f"2-D codes of {len(xt)} test digits ({epochs} epochs; mean-image "
                          f"error {mean_error:.4f}; the N(0, I) prior: mean 0, std 1, 86% "
                          "within radius 2)")
        self._figures(ctx, results, yt)
        s, p = results["adversarial"][2], results["plain"][2]

        def gaussian(st):
            return (all(abs(m) < 0.3 for m in st["mean"]) and
                    all(0.7 <= v <= 1.3 for v in st["std"]) and 0.75 <= st["within_2"] <= 0.95)
        held = (gaussian(s) and not gaussian(p) and s["error"] < mean_error and
                p["error"] < mean_error and s["d_accuracy"] < 0.8)
        ctx.verdict(held, f"adversarial codes: mean {s['mean'][0]:.2f}, {s['mean'][1]:.2f}, std "
                          f"{s['std'][0]:.2f}, {s['std'][1]:.2f}, {s['within_2']:.0%} within "
                          f"radius 2; plain codes: std {p['std'][0]:.2f}, {p['std'][1]:.2f}, "
                          f"{p['within_2']:.0%} within radius 2; test errors "
                          f"{s['error']:.4f} and {p['error']:.4f} vs mean image "
                          f"{mean_error:.4f}; discriminator accuracy {s['d_accuracy']:.0%}.")

    def _figures(self, ctx, results, labels):
        plt = pyplot()
        fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        for ax, key in zip(axes[:2], ("plain", "adversarial")):
            z = results[key][1]
            points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=6)
            ax.add_patch(plt.Circle((0, 0), 2, fill=False, ls="--", color="k"))
            ax.set_title(f"{key} autoencoder: test codes")
            ax.set_aspect("equal")
        fig.colorbar(points, ax=axes[1], label="digit")
        ae = results["adversarial"][0]
        grid = np.linspace(-2, 2, 9)
        z = np.array([[a, b] for b in grid[::-1] for a in grid], dtype=np.float32)
        ae.eval()
        with brique.no_grad():
            images = ae.decode(brique.tensor(z)).numpy()
        image_grid(axes[2], images, 9, 9, vmin=None, vmax=None)
        axes[2].set_title("decoded from the prior's grid [-2, 2]^2")
        axes[2].axis("off")
        ctx.figure(fig, "codes.png", "Test codes coloured by digit (dashed: radius 2) and "
                                     "digits decoded from a grid over the prior")
