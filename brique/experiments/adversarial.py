"""Adversarial examples: imperceptible pixel changes that fool softmax regression, an MLP and
LeNet-5, and adversarial training that makes LeNet-5 harder to fool.

The courses (000 "Adversarial examples", 001 "Robustness"; COURSE_MAP section 4) show
Goodfellow et al.'s panda that becomes a gibbon: a step of size eps along the sign of the
loss's input gradient (FGSM) changes every pixel by at most eps yet changes the decision; for a
linear model the change of its score grows with eps times the number of pixels. Goodfellow et
al. (2015) report a 99.9% error rate of softmax regression on MNIST at eps = 0.25. This
experiment trains the three models on mnist-5k (pixels in [0, 1]), measures test accuracy under
FGSM and under PGD (Madry et al. 2018: 10 signed steps projected back into the eps-ball) for eps
from 0 to 0.3, and trains LeNet-5 again on batches that also carry PGD adversarial copies of
the images (brique.attacks.AdversarialBatches), which raises its accuracy under attack.
"""
from __future__ import annotations

import brique
from brique import attacks, models, nn, optim
from brique.train import fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_tensors

TRAIN_EPS = 0.25  # adversarial training: PGD, 3 steps of 0.1 from a random start in the ball


def build(ctx):
    """name -> (model, epochs, Adam learning rate)."""
    return {"softmax regression": (nn.Sequential(nn.Flatten(), nn.Linear(784, 10)),
                                   ctx.size(10, 5), 1e-2),
            "MLP 784-256-10": (models.MLP(784, (256,), 10), ctx.size(8, 3), 1e-3),
            "LeNet-5": (models.LeNet5(), ctx.size(6, 2), 2e-3)}


def train(model, data, epochs, lr):
    fit(model, data, epochs=epochs, optimizer=optim.Adam(model.parameters(), lr=lr),
        loss="cross_entropy", verbose=0)
    return model.eval()


def accuracy(model, x, y):
    with brique.no_grad():
        return float((model(x).argmax(1) == y).float().mean().item())


def under_attack(model, x, y, grid, steps):
    """{"FGSM": [accuracy at each eps], "PGD": [...]}; PGD takes steps of 2.5 eps / steps."""
    curves = {"FGSM": [], "PGD": []}
    for eps in grid:
        curves["FGSM"].append(accuracy(model, attacks.fgsm(model, x, y, eps), y))
        curves["PGD"].append(accuracy(model, attacks.pgd(model, x, y, eps, 2.5 * eps / steps,
                                                         steps), y))
    return curves


def adversarially_trained(ctx, x, y, epochs):
    """LeNet-5 trained from scratch on batches holding the clean images and their PGD copies."""
    model = models.LeNet5()
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=ctx.seed)
    batches = attacks.AdversarialBatches(loader, model, "pgd", eps=TRAIN_EPS, alpha=0.1,
                                         steps=3, random_start=True)
    return train(model, batches, epochs, 2e-3)


@register
class Adversarial(Experiment):
    name = "adversarial"
    claim = ("On mnist-5k, FGSM at eps = 0.25 makes softmax regression misclassify at least 90% "
             "of the test digits (Goodfellow et al. 2015: 99.9%); accuracy falls with eps under "
             "FGSM and faster under PGD for softmax regression, an MLP and LeNet-5; adversarial "
             "training (PGD, eps 0.25) raises LeNet-5's accuracy under both attacks at eps 0.1 "
             "to 0.3.")

    def run(self, ctx):
        x, y, xt, yt = mnist_tensors(ctx.size(4000, 1000), ctx.size(1000, 300), ctx.seed)
        grid = ctx.size([0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3], [0.0, 0.1, 0.2, 0.25, 0.3])
        steps = ctx.size(10, 5)
        loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=ctx.seed)
        curves, trained = {}, {}
        for name, (model, epochs, lr) in build(ctx).items():
            trained[name] = train(model, loader, epochs, lr)
            curves[name] = under_attack(model, xt, yt, grid, steps)
        robust = adversarially_trained(ctx, x, y, ctx.size(6, 2))
        curves["LeNet-5, adversarially trained"] = under_attack(robust, xt, yt, grid, steps)
        self.report(ctx, grid, steps, curves)
        self.draw_curves(ctx, grid, curves)
        self.draw_examples(ctx, trained["LeNet-5"], robust, xt[:8], yt[:8])
        self.conclude(ctx, grid, curves)

    def report(self, ctx, grid, steps, curves):
        ctx.metric("eps", grid)
        ctx.metric("accuracy", curves)
        ctx.note(f"Trained with Adam on {ctx.size(4000, 1000)} mnist-5k images (batches of 64; "
                 f"softmax regression {ctx.size(10, 5)} epochs at lr 0.01, MLP "
                 f"{ctx.size(8, 3)} and LeNet-5 {ctx.size(6, 2)} epochs at lr 0.001 and "
                 f"0.002); tested on {ctx.size(1000, 300)} test images, pixels in [0, 1], "
                 f"adversarial images clamped to [0, 1]. PGD: {steps} steps of 2.5 eps / "
                 f"{steps}. The adversarially trained LeNet-5 sees, in each batch, the images "
                 f"and their PGD copies (eps {TRAIN_EPS}, 3 steps of 0.1 from a random start), "
                 f"for {ctx.size(6, 2)} epochs from scratch.")
        rows = [[f"{name}, {attack}", *values] for name, c in curves.items()
                for attack, values in c.items()]
        ctx.table(["model, attack", *[f"eps {e:g}" for e in grid]], rows,
                  caption="Test accuracy under attack.")

    def conclude(self, ctx, grid, curves):
        i25 = grid.index(0.25)
        error = 1.0 - curves["softmax regression"]["FGSM"][i25]
        ctx.metric("softmax_fgsm_error_at_0.25", error)
        gains = {attack: [r - s for r, s, e in zip(curves["LeNet-5, adversarially trained"][
            attack], curves["LeNet-5"][attack], grid) if e >= 0.1] for attack in ("FGSM", "PGD")}
        ctx.metric("adversarial_training_gain", gains)
        falls = all(c["FGSM"][-1] < c["FGSM"][0] and
                    all(p <= f for p, f in zip(c["PGD"], c["FGSM"])) for c in curves.values())
        held = error >= 0.9 and falls and min(min(g) for g in gains.values()) > 0
        ctx.verdict(held, f"softmax regression misclassifies {100 * error:.1f}% of the test "
                    f"digits under FGSM at eps 0.25 (threshold 90%); adversarial training "
                    f"raises LeNet-5's accuracy at eps 0.1-0.3 by " +
                    ", ".join(f"{a} {100 * min(g):.1f}-{100 * max(g):.1f} points"
                              for a, g in gains.items()) +
                    f"; every model's accuracy falls with eps, and is no higher under PGD than "
                    f"under FGSM at any eps: {falls}.")

    def draw_curves(self, ctx, grid, curves):
        plt = pyplot()
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
        for ax, attack in zip(axes, ("FGSM", "PGD")):
            for name, c in curves.items():
                ax.plot(grid, c[attack], "o-" if "trained" not in name else "s--", label=name)
            ax.set_title(f"under {attack}")
            ax.set_xlabel("eps (L-infinity, pixels in [0, 1])")
        axes[0].set_ylabel("test accuracy")
        axes[1].legend(fontsize=8)
        fig.tight_layout()
        ctx.figure(fig, "accuracy.png", "Test accuracy against the attack's eps, for each model.")

    def draw_examples(self, ctx, model, robust, x, y, eps=0.2):
        plt = pyplot()
        adv = attacks.pgd(model, x, y, eps, 2.5 * eps / 10, 10)
        with brique.no_grad():
            before, after = model(x).argmax(1).numpy(), model(adv).argmax(1).numpy()
            kept = robust(attacks.pgd(robust, x, y, eps, 2.5 * eps / 10, 10)).argmax(1).numpy()
        images, noise = x.numpy()[:, 0], (adv - x).numpy()[:, 0]
        fig, axes = plt.subplots(3, len(images), figsize=(1.3 * len(images), 4.4))
        for i in range(len(images)):
            axes[0, i].imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
            axes[0, i].set_title(f"predicted {before[i]}", fontsize=8)
            axes[1, i].imshow(noise[i], cmap="RdBu_r", vmin=-eps, vmax=eps)
            axes[2, i].imshow(images[i] + noise[i], cmap="gray_r", vmin=0, vmax=1)
            axes[2, i].set_title(f"predicted {after[i]}\n(robust: {kept[i]})", fontsize=8)
        for ax, label in zip(axes[:, 0], ("original", f"perturbation\n(PGD, eps {eps})",
                                          "adversarial")):
            ax.set_ylabel(label, fontsize=8)
        for ax in axes.ravel():
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
        ctx.figure(fig, "examples.png", f"Test digits, the PGD perturbation (eps {eps}) "
                   "against LeNet-5, and the adversarial digits with LeNet-5's predictions; "
                   "'robust' is the adversarially trained LeNet-5's prediction on its own "
                   "PGD copy of the digit.")
