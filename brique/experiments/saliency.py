"""Saliency maps of LeNet-5 on digits, and the sanity check that they depend on what it learnt.

The courses ask which pixels a network's decision rests on (000 "Visualizing", 001
"Interpretability"; COURSE_MAP section 4). Three gradient attributions from brique.explain are
drawn for test digits: the gradient of the class score (Simonyan et al. 2014), SmoothGrad
(Smilkov et al. 2017: the gradient averaged over 50 noisy copies) and integrated gradients
(Sundararajan et al. 2017: attributions that sum to f(x) - f(black image)). Then the model
parameter randomisation test of Adebayo et al. (2018): the layers are re-initialised one by
one from the top (the output layer) down, and each method's maps are compared with the trained
model's by Spearman rank correlation of their absolute values. A method that explained the
image rather than the model (an edge detector) would keep its maps; a faithful one loses them.
"""
from __future__ import annotations

import copy

import numpy as np

import brique
from brique import explain, models, optim
from brique.train import evaluate, fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_tensors, one_per_digit

METHODS = ("gradient", "SmoothGrad", "integrated gradients")


def train_lenet(ctx, x, y, xt, yt):
    """LeNet-5 trained with Adam on [0, 1] pixels; returns (model, test accuracy)."""
    model = models.LeNet5()
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=ctx.seed)
    fit(model, loader, epochs=ctx.size(6, 2), optimizer=optim.Adam(model.parameters(), lr=2e-3),
        loss="cross_entropy", verbose=0)
    test = evaluate(model, DataLoader(TensorDataset(xt, yt), batch_size=500), None,
                    ["accuracy"])
    return model.eval(), test["accuracy"]


def attribution_maps(model, x, target, n_noise, steps):
    """{method: (N, 28, 28) signed attributions}."""
    return {"gradient": explain.saliency(model, x, target)[:, 0].numpy(),
            "SmoothGrad": explain.smoothgrad(model, x, target, n=n_noise)[:, 0].numpy(),
            "integrated gradients":
                explain.integrated_gradients(model, x, target, steps=steps)[:, 0].numpy()}


MEASURES = ("signed", "|map|", "|map| on the digit")


def rank_correlations(a, b, images):
    """{measure: mean over examples of Spearman's rank correlation of a and b}: of the signed
    maps, of their absolute values, and of their absolute values on the digit's own (non-black)
    pixels, where integrated gradients can be non-zero."""
    from scipy.stats import spearmanr

    def mean(pairs):
        return float(np.mean([spearmanr(u.ravel(), v.ravel())[0] for u, v in pairs]))
    on = images > 0
    return {"signed": mean(zip(a, b)),
            "|map|": mean(zip(np.abs(a), np.abs(b))),
            "|map| on the digit": mean((np.abs(u[o]), np.abs(v[o])) for u, v, o in zip(a, b, on))}


def cascade(model, x, target, trained_maps, n_noise, steps, seed):
    """Re-initialise the layers from the top down; after each, each method's rank
    correlations with the trained maps. Returns (stage names, {method: {measure: [values]}},
    the maps of each stage)."""
    random_model = copy.deepcopy(model)
    layers = [("fc3", random_model.classifier[5]), ("fc2", random_model.classifier[3]),
              ("fc1", random_model.classifier[1]), ("conv2", random_model.features[3]),
              ("conv1", random_model.features[0])]
    images = x.numpy()[:, 0]
    stages, maps = ["trained"], [trained_maps]
    corr = {m: {k: [1.0] for k in MEASURES} for m in METHODS}
    brique.manual_seed(seed + 1)
    for name, layer in layers:
        layer.reset_parameters()
        stage_maps = attribution_maps(random_model, x, target, n_noise, steps)
        stages.append(name if name == "fc3" else f"..{name}")
        for m in METHODS:
            for k, v in rank_correlations(trained_maps[m], stage_maps[m], images).items():
                corr[m][k].append(v)
        maps.append(stage_maps)
    return stages, corr, maps


COMPLETENESS_STEPS = (10, 50, 200)


def completeness(model, x, target):
    """{steps: (max, mean) over examples of |sum(IG) - (f(x) - f(0))| / |f(x) - f(0)|}: the
    error of the Riemann sum, which shrinks as the steps grow."""
    with brique.no_grad():
        scores = model(x).numpy()[np.arange(len(target)), target]
        base = model(brique.zeros_like(x)).numpy()[np.arange(len(target)), target]
    gap = scores - base
    errors = {}
    for steps in COMPLETENESS_STEPS:
        ig = explain.integrated_gradients(model, x, target, steps=steps).numpy()
        relative = np.abs(ig.reshape(len(gap), -1).sum(1) - gap) / np.abs(gap)
        errors[steps] = (float(relative.max()), float(relative.mean()))
    return errors


@register
class Saliency(Experiment):
    name = "saliency"
    claim = ("Gradient, SmoothGrad and integrated-gradients maps of LeNet-5 on mnist-5k digits "
             "depend on what it learnt: re-initialising its layers from the top down drops "
             "each method's rank correlation with the trained model's maps below 0.5 "
             "(Adebayo et al. 2018); integrated gradients sum to f(x) - f(0) within 1%.")

    def run(self, ctx):
        x, y, xt, yt = mnist_tensors(ctx.size(4000, 1000), ctx.size(1000, 500), ctx.seed)
        model, accuracy = train_lenet(ctx, x, y, xt, yt)
        n_noise, steps, n_maps = ctx.size(50, 10), ctx.size(50, 20), ctx.size(100, 20)
        xs, target = xt[:n_maps], yt.numpy()[:n_maps]
        trained = attribution_maps(model, xs, target, n_noise, steps)
        errors = completeness(model, xs, target)
        error = errors[COMPLETENESS_STEPS[-1]][0]
        stages, corr, maps = cascade(model, xs, target, trained, n_noise, steps, ctx.seed)
        self.report(ctx, accuracy, errors, stages, corr, n_maps, n_noise, steps)
        self.draw_maps(ctx, xs.numpy()[:, 0], target, trained)
        self.draw_cascade(ctx, xs.numpy()[0, 0], stages, corr, maps)
        final = {m: {k: corr[m][k][-1] for k in MEASURES} for m in METHODS}
        shrinks = error < errors[COMPLETENESS_STEPS[0]][0]
        held = error < 0.01 and shrinks and all(final[m][k] < 0.5 for m in METHODS
                                    for k in ("signed", "|map| on the digit"))
        ctx.verdict(held, f"LeNet-5 test accuracy {accuracy:.3f}; once every layer is "
                    "re-initialised, the rank correlation with the trained maps (signed / "
                    "|map| on the digit) is " +
                    ", ".join(f"{m} {v['signed']:.2f} / {v['|map| on the digit']:.2f}"
                              for m, v in final.items()) +
                    f" (threshold 0.5); integrated gradients' completeness error at most "
                    f"{100 * error:.2f}% over {n_maps} digits with {COMPLETENESS_STEPS[-1]} "
                    f"steps (threshold 1%), down from {100 * errors[COMPLETENESS_STEPS[0]][0]:.1f}"
                    f"% with {COMPLETENESS_STEPS[0]}.")

    def report(self, ctx, accuracy, errors, stages, corr, n_maps, n_noise, steps):
        ctx.metric("test_accuracy", accuracy)
        ctx.metric("completeness_error", {k: v[0] for k, v in errors.items()})
        ctx.metric("stages", stages)
        ctx.metric("rank_correlation", corr)
        ctx.note(f"LeNet-5 trained with Adam (lr 0.002, batches of 64, {ctx.size(6, 2)} "
                 f"epochs) on {ctx.size(4000, 1000)} mnist-5k images with pixels in [0, 1]; "
                 f"test accuracy {accuracy:.3f}. Maps for the first {n_maps} test digits and "
                 f"their true class: SmoothGrad with n = {n_noise} and noise 0.15 x the pixel "
                 f"range; integrated gradients with {steps} steps from a black image.")
        ctx.table(["randomised", *METHODS],
                  [[s, *[" / ".join(f"{corr[m][k][i]:.2f}" for k in MEASURES)
                         for m in METHODS]] for i, s in enumerate(stages)],
                  caption="Mean Spearman rank correlation with the trained model's maps "
                          "(signed / |map| / |map| on the digit's pixels), as layers are "
                          "re-initialised from the top down ('..conv1': every layer).")
        ig = corr["integrated gradients"]["|map|"][-1]
        ctx.note(f"Integrated gradients keep a whole-image |map| correlation of {ig:.2f}: "
                 "(x - baseline) is zero on every black pixel, so about 80% of each map is "
                 "zero whatever the weights, and those tied ranks agree. On the digit's own "
                 "pixels, and signed, their maps change like the others (Adebayo et al. warn "
                 "about this resemblance to the input for gradient x input methods).")
        ctx.table(["steps", "max error (%)", "mean error (%)"],
                  [[k, 100 * v[0], 100 * v[1]] for k, v in errors.items()],
                  caption="Integrated gradients' completeness: |sum of attributions - (f(x) - "
                          f"f(0))| / |f(x) - f(0)| over the {n_maps} digits, against the number "
                          "of steps of the Riemann sum (midpoint rule).")

    def draw_maps(self, ctx, images, target, maps):
        plt = pyplot()
        picks = one_per_digit(target)
        fig, axes = plt.subplots(4, len(picks), figsize=(1.3 * len(picks), 5.6))
        for col, i in enumerate(picks):
            axes[0, col].imshow(images[i], cmap="gray_r")
            axes[0, col].set_title(f"{target[i]}", fontsize=9)
            for row, m in enumerate(METHODS, 1):
                scale = np.abs(maps[m][i]).max() + 1e-12
                axes[row, col].imshow(maps[m][i], cmap="RdBu_r", vmin=-scale, vmax=scale)
        for row, label in enumerate(("digit", *METHODS)):
            axes[row, 0].set_ylabel(label.replace(" ", "\n"), fontsize=8)
        for ax in axes.ravel():
            ax.set_xticks([])
            ax.set_yticks([])
        ctx.figure(fig, "maps.png", "Test digits and their attributions for the true class "
                   "(red: raises the class score, blue: lowers it; each map on its own scale).")

    def draw_cascade(self, ctx, image, stages, corr, maps):
        plt = pyplot()
        fig = plt.figure(figsize=(11, 5.5))
        grid = fig.add_gridspec(4, len(stages), height_ratios=(1, 1, 1, 2.2))
        for col, stage_maps in enumerate(maps):
            for row, m in enumerate(METHODS):
                ax = fig.add_subplot(grid[row, col])
                ax.imshow(np.abs(stage_maps[m][0]), cmap="gray_r")
                ax.set_xticks([])
                ax.set_yticks([])
                if row == 0:
                    ax.set_title(stages[col], fontsize=8)
                if col == 0:
                    ax.set_ylabel(m.replace(" ", "\n"), fontsize=7)
        ax = fig.add_subplot(grid[3, :])
        for m, colour in zip(METHODS, ("tab:blue", "tab:orange", "tab:green")):
            ax.plot(stages, corr[m]["signed"], "o-", color=colour, label=f"{m}, signed")
            ax.plot(stages, corr[m]["|map| on the digit"], "s--", color=colour,
                    label=f"{m}, |map| on the digit")
        ax.axhline(0.5, color="gray", ls="--", lw=1)
        ax.set_ylabel("rank correlation")
        ax.set_xlabel("layers re-initialised (top down)")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        ctx.figure(fig, "cascade.png", "Model parameter randomisation test: |maps| of the "
                   "first test digit as the layers are re-initialised from the top down, and "
                   "each method's mean rank correlation with the trained model's maps.")
