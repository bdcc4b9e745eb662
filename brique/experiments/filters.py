"""Hand-set filters, then local contrast normalization, then pooling.

The courses (seed 000 "Convolution layer", seed 004 "Image filters", seed 002 "A simple
example": convolution -> LCN -> pooling) show what a convolution does with filters set by hand
before any learning: a vertical-edge filter (1 0 -1 in each row) lights up on vertical strokes,
a horizontal one on horizontal strokes, the identity copies the image, sharpen and Laplacian
stress the outlines. Local contrast normalization (Jarrett et al. 2009) then removes each
neighbourhood's mean and divides by its spread, so the maps no longer depend on the image's
contrast; 2x2 max-pooling halves the maps and makes them less sensitive to a one-pixel shift.

The experiment applies the five filters with F.conv2d to mnist-5k test digits and checks each
step: the conv against a direct NumPy cross-correlation, the edge filters' preference for
strokes of their orientation (on synthetic bars and on digits), LCN's invariance to contrast,
and pooling's tolerance of shifts.
"""
from __future__ import annotations

import numpy as np

import brique
import brique.nn as nn
from brique.nn import functional as F

from . import Experiment, pyplot, register
from ._common import mnist_subset

FILTERS = {
    "vertical edge": [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "horizontal edge": [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}


def bank():
    """The five filters as a conv2d weight (5, 1, 3, 3)."""
    return brique.tensor(np.array(list(FILTERS.values()), dtype=np.float32)[:, None])


def pipeline(x, weight):
    """conv (padding 1) -> |.| -> LCN 9x9 -> max-pool 2x2, keeping every stage (NumPy)."""
    with brique.no_grad():
        conv = F.conv2d(brique.tensor(x), weight, padding=1)
        rect = conv.abs()  # an edge is an edge whichever side is bright
        lcn = nn.LocalContrastNorm(9)(rect)
        pooled = F.max_pool2d(lcn, 2)
    return {"conv": conv.numpy(), "lcn": lcn.numpy(), "pooled": pooled.numpy()}


def correlate(image, kernel):
    """Direct cross-correlation with zero padding 1 (what conv2d computes), pixel by pixel."""
    padded = np.pad(image, 1)
    h, w = image.shape
    return np.array([[np.sum(padded[i:i + 3, j:j + 3] * kernel) for j in range(w)]
                     for i in range(h)])


def bars():
    """A vertical and a horizontal bar, (2, 1, 28, 28)."""
    x = np.zeros((2, 1, 28, 28), np.float32)
    x[0, 0, 6:22, 12:16] = 1.0
    x[1, 0, 12:16, 6:22] = 1.0
    return x


def relative_change(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


@register
class FiltersExperiment(Experiment):
    name = "filters"
    claim = ("Hand-set filters applied with F.conv2d respond as drawn (edge filters to strokes "
             "of their orientation, identity copies); local contrast normalization makes the "
             "maps independent of the image's contrast; 2x2 max-pooling makes them less "
             "sensitive to a one-pixel shift.")

    def run(self, ctx):
        n = ctx.size(200, 40)
        x, labels = mnist_subset(False, n, np.random.default_rng(ctx.seed), scale="unit")
        weight = bank()
        stages = pipeline(x, weight)
        checks = self._measure(ctx, x, weight, stages)
        self._figure(ctx, x, labels, stages)
        held = (checks["conv_error"] < 1e-4 and checks["bar_vertical"] > 3
                and checks["bar_horizontal"] > 3 and checks["identity_error"] < 1e-6
                and checks["lcn_contrast_change"] < 0.01 < checks["conv_contrast_change"]
                and checks["shift_pooled"] < checks["shift_lcn"])
        ctx.verdict(held, f"conv vs NumPy max error {checks['conv_error']:.1e}; on bars the "
                          f"vertical filter prefers the vertical bar {checks['bar_vertical']:.1f}x"
                          f", the horizontal one the horizontal bar "
                          f"{checks['bar_horizontal']:.1f}x; a contrast x0.3 changes the conv "
                          f"maps by {checks['conv_contrast_change']:.2f} and the LCN maps by "
                          f"{checks['lcn_contrast_change']:.1e} (relative); a one-pixel shift "
                          f"changes the LCN maps by {checks['shift_lcn']:.2f} and the pooled "
                          f"ones by {checks['shift_pooled']:.2f}.")

    def _measure(self, ctx, x, weight, stages):
        kernels = weight.numpy()[:, 0]
        conv_error = max(float(np.abs(stages["conv"][i, c] - correlate(x[i, 0], kernels[c])).max())
                         for i in range(3) for c in range(len(FILTERS)))
        b = pipeline(bars(), weight)["conv"]
        energy = np.abs(b).sum(axis=(2, 3))  # (bar, filter)
        low = pipeline(0.3 * x, weight)
        shifted = pipeline(np.roll(x, 1, axis=3), weight)
        c = {"conv_error": conv_error,
             "bar_vertical": float(energy[0, 0] / energy[1, 0]),
             "bar_horizontal": float(energy[1, 1] / energy[0, 1]),
             "digit_energy": {k: float(np.abs(stages["conv"][:, i]).mean())
                              for i, k in enumerate(FILTERS)},
             "identity_error": float(np.abs(stages["conv"][:, 2] - x[:, 0]).max()),
             "conv_contrast_change": relative_change(stages["conv"], low["conv"]),
             "lcn_contrast_change": relative_change(stages["lcn"], low["lcn"]),
             "shift_lcn": relative_change(stages["lcn"], shifted["lcn"]),
             "shift_pooled": relative_change(stages["pooled"], shifted["pooled"])}
        for k, v in c.items():
            ctx.metric(k, v)
        ctx.table(["check", "value"], [[k, v] for k, v in c.items() if k != "digit_energy"],
                  caption=f"{len(x)} mnist-5k test digits; relative changes are "
                          "||f(x') - f(x)|| / ||f(x)||")
        ctx.table(["filter", "mean |response| on digits"], list(c["digit_energy"].items()))
        return c

    def _figure(self, ctx, x, labels, stages):
        plt = pyplot()
        i = int(np.flatnonzero(labels == 4)[0]) if (labels == 4).any() else 0
        names = list(FILTERS)
        fig, axes = plt.subplots(3, len(names) + 1, figsize=(2 * (len(names) + 1), 6.2))
        axes[0, 0].imshow(x[i, 0], cmap="gray")
        axes[0, 0].set_title("digit", fontsize=9)
        for r, stage in enumerate(("conv", "lcn", "pooled")):
            axes[r, 0].set_ylabel({"conv": "conv", "lcn": "|conv| -> LCN",
                                   "pooled": "-> max-pool 2x2"}[stage], fontsize=9)
            for c, name in enumerate(names):
                m = stages[stage][i, c]
                lim = np.abs(m).max() if r == 0 else None  # signed conv maps: white is 0
                axes[r, c + 1].imshow(m, cmap="gray" if r else "RdBu_r",
                                      vmin=-lim if lim else None, vmax=lim)
                if r == 0:
                    axes[r, c + 1].set_title(name, fontsize=9)
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
        for ax in axes[1:, 0]:
            ax.set_frame_on(False)
        fig.tight_layout()
        ctx.figure(fig, "filters.png", "a digit through the five hand-set filters (row 1), "
                   "then |.| and local contrast normalization (row 2), then 2x2 max-pooling "
                   "(row 3), as the courses draw it")
