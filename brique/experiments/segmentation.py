"""Semantic segmentation with a small U-Net (seed 001 "CNNs": fully-convolutional nets,
transposed convolution / upsampling, U-Net skip connections; seed 004 on unpooling and
upsampling; COURSE_MAP section 2, "small U-Net").

Every pixel gets a label: the net maps an image to an image of logits of the same size. The
data are generated here with NumPy from the seed: random filled circles, axis-aligned
rectangles and triangles, brighter than a background that has a random level and gradient,
all under Gaussian pixel noise, with the binary mask of the shapes as the target. The noise
is strong enough that thresholding each pixel's intensity makes many mistakes (reported as
a baseline): the U-Net must use the neighbourhood (its encoder) and still place the edges
to the pixel (its skip connections carry the full-resolution features to the decoder).
"""
from __future__ import annotations

import numpy as np

import brique
from brique import optim
from brique.models import UNet
from brique.nn import functional as F
from brique.train import LearningRateScheduler, fit, predict
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register


def make_shapes(n, size, rng, noise=0.2, max_shapes=3):
    """n noisy grey images (n, 1, size, size) float32 and their binary masks (same shape):
    1 to max_shapes shapes (circle, rectangle or triangle) per image."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5   # pixel centres
    images = np.empty((n, 1, size, size), np.float32)
    masks = np.zeros((n, 1, size, size), np.float32)
    for i in range(n):
        mask = np.zeros((size, size), bool)
        for _ in range(rng.integers(1, max_shapes + 1)):
            kind = rng.integers(3)
            cy, cx = rng.uniform(0.15 * size, 0.85 * size, 2)
            r = rng.uniform(0.1 * size, 0.22 * size)
            if kind == 0:
                mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
            elif kind == 1:
                h, w = rng.uniform(0.6, 1.4, 2) * r
                mask |= (np.abs(yy - cy) <= h) & (np.abs(xx - cx) <= w)
            else:
                angles = rng.uniform(0, 2 * np.pi) + np.array([0, 2, 4]) * np.pi / 3 \
                    + rng.uniform(-0.4, 0.4, 3)
                vy, vx = cy + 1.3 * r * np.sin(angles), cx + 1.3 * r * np.cos(angles)
                sides = [(vx[(k + 1) % 3] - vx[k]) * (yy - vy[k])
                         - (vy[(k + 1) % 3] - vy[k]) * (xx - vx[k]) for k in range(3)]
                mask |= np.all([s >= 0 for s in sides], 0) | np.all([s <= 0 for s in sides], 0)
        level = rng.uniform(0.0, 0.3)
        gy, gx = rng.uniform(-0.15, 0.15, 2)
        background = level + gy * (yy / size - 0.5) + gx * (xx / size - 0.5)
        contrast = rng.uniform(0.4, 0.7)
        images[i, 0] = background + contrast * mask + rng.normal(0, noise, (size, size))
        masks[i, 0] = mask
    return images, masks


def bce_dice_loss(logits, target):
    """Binary cross-entropy plus the soft Dice loss 1 - 2|P.T| / (|P| + |T|): the Dice term
    looks at the shapes as a whole, so the many background pixels do not dominate."""
    p = logits.sigmoid()
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return F.binary_cross_entropy_with_logits(logits, target) + dice


def iou(pred, true):
    """Intersection over union of two boolean masks, pooled over all images."""
    return float((pred & true).sum() / max((pred | true).sum(), 1))


@register
class Segmentation(Experiment):
    name = "segmentation"
    claim = ("a small U-Net (2 poolings, skip connections) trained with BCE + Dice segments "
             "noisy circles, rectangles and triangles with an IoU of at least 0.9 on held-out "
             "images")

    def run(self, ctx):
        size = 32
        n_train, n_test = ctx.size(1200, 160), ctx.size(300, 100)
        epochs, width = ctx.size(6, 2), ctx.size(8, 8)
        threshold = ctx.size(0.9, 0.5)
        rng = np.random.default_rng(ctx.seed)
        x_train, y_train = make_shapes(n_train, size, rng)
        x_test, y_test = make_shapes(n_test, size, rng)

        model = UNet(in_channels=1, out_channels=1, base_width=width, depth=2)
        loader = DataLoader(TensorDataset(brique.tensor(x_train), brique.tensor(y_train)),
                            batch_size=16, shuffle=True, generator=ctx.seed)
        opt = optim.Adam(model.parameters(), lr=ctx.size(3e-3, 1e-2))
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(loader))
        history = fit(model, loader, epochs=epochs, optimizer=opt, loss=bce_dice_loss,
                      callbacks=[LearningRateScheduler(sched, interval="batch")], verbose=0)

        logits = predict(model, brique.tensor(x_test)).numpy()
        pred, true = logits > 0, y_test > 0.5
        test_iou = ctx.metric("test_iou", iou(pred, true))
        pixel_acc = ctx.metric("pixel_accuracy", float((pred == true).mean()))
        ctx.metric("train_loss", history.history["loss"])

        # Baseline: the best single intensity threshold, chosen on the training images.
        cuts = np.quantile(x_train, np.linspace(0.05, 0.95, 91))
        best = max(cuts, key=lambda c: iou(x_train > c, y_train > 0.5))
        base_iou = ctx.metric("threshold_iou", iou(x_test > best, true))
        base_acc = ctx.metric("threshold_pixel_accuracy", float(((x_test > best) == true).mean()))
        ctx.metric("parameters", sum(p.numel() for p in model.parameters()))
        ctx.table(["method", "test IoU", "pixel accuracy"],
                  [["U-Net (BCE + Dice)", test_iou, pixel_acc],
                   [f"one intensity threshold ({best:.2f}, fit on train)", base_iou, base_acc]],
                  caption=f"{n_test} held-out {size}x{size} images, after {epochs} epochs on "
                          f"{n_train} training images")
        ctx.note(f"U-Net: base width {width}, depth 2, "
                 f"{ctx.metrics['parameters']:,} parameters; Adam with a cosine learning-rate "
                 f"schedule, batches of 16. Training loss by epoch: "
                 + ", ".join(f"{v:.3f}" for v in history.history["loss"]) + ".")

        plt = pyplot()
        k = 8
        fig, axes = plt.subplots(3, k, figsize=(1.4 * k, 4.4))
        for j in range(k):
            for row, (img, title) in enumerate([(x_test[j, 0], "input"),
                                                (y_test[j, 0], "true mask"),
                                                (pred[j, 0], "predicted")]):
                ax = axes[row, j]
                ax.imshow(img, cmap="gray", vmin=None if row == 0 else 0,
                          vmax=None if row == 0 else 1)
                ax.set_xticks([]), ax.set_yticks([])
                if j == 0:
                    ax.set_ylabel(title)
        fig.suptitle(f"held-out images: test IoU {test_iou:.3f}")
        ctx.figure(fig, "masks.png", "held-out inputs (top), true masks (middle), U-Net "
                                     "predictions (bottom)")

        held = test_iou >= threshold
        ctx.verdict(held, f"test IoU {test_iou:.3f} (threshold {threshold}), pixel accuracy "
                          f"{pixel_acc:.3f}; one intensity threshold gets IoU {base_iou:.3f}.")
