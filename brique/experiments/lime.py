"""LIME: explain single decisions by a linear model fitted around them, on digits and on tabular
data whose relevant features are known.

The courses (001 "Interpretability", 000 "Trust"; COURSE_MAP section 4) present LIME (Ribeiro
et al. 2016): switch parts of one input off at random, watch the model's probability for the
class, and fit a weighted ridge regression of that probability on which parts were on; its
coefficients say which parts the decision rests on, for any black-box model. Two checks with
brique.explain.lime:

- digits: LeNet-5's decisions on test digits, explained with 4x4-pixel patches switched off to
  black. Deleting the 5 patches LIME ranks highest must lower the class probability more than
  deleting 5 random patches of the digit.
- tabular: 10 standard Gaussian features of which only 3 decide the label,
  y = [2 x0 - 2 x3 + x6^2 > 1]; an MLP learns it; LIME (features switched off to their mean, 0)
  must put its weight on features 0, 3 and 6 and next to none on the other seven.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import explain, models, nn, optim
from brique.train import fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_tensors

RELEVANT, N_FEATURES, PATCH, TOP = (0, 3, 6), 10, 4, 5


def tabular(n, rng):
    """(x, y): standard Gaussian features; the label depends on features 0, 3 and 6 only."""
    x = rng.standard_normal((n, N_FEATURES)).astype(np.float32)
    y = (2 * x[:, 0] - 2 * x[:, 3] + x[:, 6] ** 2 > 1).astype(np.int64)
    return brique.tensor(x), brique.tensor(y)


def train(model, x, y, epochs, lr, seed):
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=seed)
    fit(model, loader, epochs=epochs, optimizer=optim.Adam(model.parameters(), lr=lr),
        loss="cross_entropy", verbose=0)
    model.eval()
    return model


def explain_all(model, xs, num_samples, **kwargs):
    """(predicted classes, LIME weights (N, segments), their probabilities)."""
    def predict(batch):
        return model(batch).softmax(1)
    with brique.no_grad():
        probs = predict(xs).numpy()
    classes = probs.argmax(1)
    weights = np.stack([explain.lime(predict, xs[i], int(c), num_samples, **kwargs).numpy()
                        for i, c in enumerate(classes)])
    return classes, weights, probs.max(1)


def deletion(model, xs, classes, weights, rng, draws=10):
    """Class probability after blacking out the TOP patches LIME ranks highest, and after
    blacking out TOP random patches that hold ink (mean of `draws`). Returns two arrays (N,)."""
    labels = explain.patch_segments(28, 28, PATCH)
    images = xs.numpy()[:, 0]
    batches, owners = [], []
    for i, (image, w) in enumerate(zip(images, weights)):
        inked = np.flatnonzero(np.bincount(labels.ravel(), image.ravel()) > 0)
        choices = [np.argsort(-w)[:TOP]] + [rng.choice(inked, min(TOP, len(inked)), False)
                                            for _ in range(draws)]
        batches += [np.where(np.isin(labels, c), 0.0, image) for c in choices]
        owners += [i] * len(choices)
    with brique.no_grad():
        logits = model(brique.tensor(np.stack(batches)[:, None].astype(np.float32)))
    p = logits.softmax(1).numpy()[np.arange(len(owners)), classes[owners]].reshape(len(xs), -1)
    return p[:, 0], p[:, 1:].mean(1)


@register
class Lime(Experiment):
    name = "lime"
    claim = ("LIME finds what decisions rest on: deleting the 5 4x4 patches it ranks highest "
             "lowers LeNet-5's class probability more than deleting 5 random inked patches, on "
             "average and for most test digits; on tabular data where only features 0, 3 and 6 "
             "decide the label, they get LIME's three largest mean |weights|, each over 5x any "
             "other feature's.")

    def run(self, ctx):
        rng = np.random.default_rng(ctx.seed)
        x, y, xt, yt = mnist_tensors(ctx.size(4000, 1000), ctx.size(500, 100), ctx.seed)
        lenet = train(models.LeNet5(), x, y, ctx.size(6, 2), 2e-3, ctx.seed)
        samples, n = ctx.size(1000, 300), ctx.size(20, 6)
        digits = explain_all(lenet, xt[:n], samples, patch_size=PATCH)
        kept = deletion(lenet, xt[:n], digits[0], digits[1], rng)
        tx, ty = tabular(ctx.size(4000, 2000), rng)
        mlp = train(nn.Sequential(nn.Linear(N_FEATURES, 64), nn.ReLU(), nn.Linear(64, 64),
                                  nn.ReLU(), nn.Linear(64, 2)), tx, ty, ctx.size(20, 10),
                    1e-3, ctx.seed)
        vx, vy = tabular(ctx.size(50, 20) + 1000, rng)
        with brique.no_grad():
            table_accuracy = float((mlp(vx[50:]).argmax(1) == vy[50:]).float().mean().item())
        table = explain_all(mlp, vx[:ctx.size(50, 20)], samples)
        self.report(ctx, digits, kept, table, table_accuracy, samples)
        self.draw_digits(ctx, xt.numpy()[:6, 0], digits, kept)
        self.draw_tabular(ctx, table[1])
        self.conclude(ctx, kept, table[1])

    def report(self, ctx, digits, kept, table, table_accuracy, samples):
        top, random = kept
        ctx.metric("digits_probability", digits[2])
        ctx.metric("digits_after_deleting_top", top)
        ctx.metric("digits_after_deleting_random", random)
        ctx.metric("tabular_accuracy", table_accuracy)
        ctx.metric("tabular_mean_abs_weight", np.abs(table[1]).mean(0))
        ctx.note(f"LeNet-5 trained with Adam (lr 0.002, {ctx.size(6, 2)} epochs) on "
                 f"{ctx.size(4000, 1000)} mnist-5k images, pixels in [0, 1]. LIME: {samples} "
                 f"perturbed copies per explanation, a uniform number of segments switched "
                 "off in each, an exponential kernel of width 0.25 on the cosine distance, "
                 "ridge penalty 1. Digits: 49 patches of 4x4 pixels switched off to black. "
                 f"Tabular: an MLP 10-64-64-2 (test accuracy {table_accuracy:.3f}), features "
                 "switched off to 0 (their mean).")
        ctx.table(["", "class probability", f"after deleting LIME's top {TOP} patches",
                   f"after deleting {TOP} random inked patches"],
                  [["mean over digits", float(digits[2].mean()), float(top.mean()),
                    float(random.mean())]],
                  caption=f"Deletion check on {len(top)} test digits (the predicted class).")
        mean_abs = np.abs(table[1]).mean(0)
        ctx.table(["feature", *map(str, range(N_FEATURES))],
                  [["relevant", *["yes" if i in RELEVANT else "" for i in range(N_FEATURES)]],
                   ["mean abs LIME weight", *mean_abs.tolist()]],
                  caption=f"Tabular data: LIME's mean |weight| per feature over "
                          f"{len(table[1])} explained test points.")

    def conclude(self, ctx, kept, weights):
        top, random = kept
        better = float(np.mean(top < random))
        mean_abs = np.abs(weights).mean(0)
        ranked = set(np.argsort(-mean_abs)[:3].tolist())
        ratio = float(mean_abs[list(RELEVANT)].min() /
                      np.delete(mean_abs, RELEVANT).max())
        first = float(np.mean(np.isin(np.abs(weights).argmax(1), RELEVANT)))
        ctx.metric("digits_top_beats_random", better)
        ctx.metric("tabular_relevant_ratio", ratio)
        ctx.metric("tabular_top_feature_relevant", first)
        threshold = ctx.size(5, 3)  # quick: fewer samples, noisier weights
        held = top.mean() < random.mean() and better > 0.5 and ranked == set(RELEVANT) \
            and ratio > threshold
        ctx.verdict(held, f"deleting LIME's top {TOP} patches leaves a class probability of "
                    f"{top.mean():.3f} on average against {random.mean():.3f} for random "
                    f"patches, and less on {100 * better:.0f}% of the digits; the three largest "
                    f"mean |weights| are features {sorted(ranked)} (planted: {list(RELEVANT)}), "
                    f"the smallest of them {ratio:.1f}x the largest other (threshold "
                    f"{threshold}x); each point's largest "
                    f"weight is on a relevant feature for {100 * first:.0f}% of the points.")

    def draw_digits(self, ctx, images, digits, kept):
        plt = pyplot()
        classes, weights, probs = digits
        labels = explain.patch_segments(28, 28, PATCH)
        fig, axes = plt.subplots(3, len(images), figsize=(1.5 * len(images), 5))
        for i, image in enumerate(images):
            painted = weights[i][labels]
            scale = np.abs(painted).max() + 1e-12
            deleted = np.where(np.isin(labels, np.argsort(-weights[i])[:TOP]), 0.0, image)
            axes[0, i].imshow(image, cmap="gray_r", vmin=0, vmax=1)
            axes[0, i].set_title(f"{classes[i]}: p = {probs[i]:.2f}", fontsize=8)
            axes[1, i].imshow(painted, cmap="RdBu_r", vmin=-scale, vmax=scale)
            axes[1, i].imshow(image, cmap="gray_r", alpha=0.25)
            axes[2, i].imshow(deleted, cmap="gray_r", vmin=0, vmax=1)
            axes[2, i].set_title(f"p = {kept[0][i]:.2f}", fontsize=8)
        for ax, label in zip(axes[:, 0], ("digit", "LIME weights", f"top {TOP} deleted")):
            ax.set_ylabel(label, fontsize=8)
        for ax in axes.ravel():
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        ctx.figure(fig, "digits.png", "LeNet-5's prediction and probability for test digits, "
                   "LIME's weight for each 4x4 patch (red: raises the probability), and the "
                   f"digit with LIME's top {TOP} patches blacked out, with the new probability.")

    def draw_tabular(self, ctx, weights):
        plt = pyplot()
        mean_abs = np.abs(weights).mean(0)
        fig, ax = plt.subplots(figsize=(6, 3))
        colours = ["tab:red" if i in RELEVANT else "tab:gray" for i in range(N_FEATURES)]
        ax.bar(range(N_FEATURES), mean_abs, color=colours)
        ax.set_xticks(range(N_FEATURES))
        ax.set_xlabel("feature (red: the label depends on it)")
        ax.set_ylabel("mean |LIME weight|")
        fig.tight_layout()
        ctx.figure(fig, "tabular.png", "Tabular data with planted features: LIME's mean "
                   "absolute weight per feature over the explained test points.")
