"""Universal approximation with one hidden layer.

The courses (seed 000 and seed 003, "universal approximation theorem", Cybenko 1989, Hornik
1991) state that a network with a single hidden layer of enough sigmoid-like units can
approximate any continuous function on a compact set as closely as wanted; the catch is the
width it may take. The experiment fits 1-D functions, a sine and a step, on [-pi, pi] with
1-N-1 tanh networks of growing width N (full-batch Adam, the same number of steps for every
width) and measures the mean squared error on a grid four times finer than the training
points: the error falls as the width grows, fast for the smooth sine, slowly for the step,
whose jump a finite sum of smooth units can only steepen.
"""
from __future__ import annotations

import numpy as np

import brique
import brique.nn as nn
from brique import optim

from . import Experiment, pyplot, register

FLOOR = 1e-5  # below this MSE, float32 full-batch Adam is at its noise floor: widths tie

TARGETS = {"sine": np.sin, "step": lambda x: (x > 0).astype(np.float64)}


def fit_width(f, width, steps, seed):
    """Train 1-width-1 tanh net on 128 points of f on [-pi, pi]; return (model, train mse)."""
    brique.manual_seed(seed)
    x = np.linspace(-np.pi, np.pi, 128, dtype=np.float32)[:, None]
    xt, yt = brique.tensor(x), brique.tensor(f(x).astype(np.float32))
    model = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, 1))
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(xt) - yt) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
    return model, loss.item()


def evaluate_on_grid(model, f):
    x = np.linspace(-np.pi, np.pi, 512, dtype=np.float32)[:, None]
    with brique.no_grad():
        y = model(brique.tensor(x)).numpy()
    return x[:, 0], y[:, 0], float(np.mean((y - f(x)) ** 2))


@register
class UniversalApproximationExperiment(Experiment):
    name = "universal-approximation"
    claim = ("A one-hidden-layer tanh MLP fits a sine and a step on [-pi, pi] with an error "
             "that falls as the width grows (by orders of magnitude for the sine, more slowly "
             "for the step's jump).")

    def run(self, ctx):
        widths = ctx.size([1, 2, 4, 8, 16, 32, 64], [1, 4, 16])
        steps = ctx.size(3000, 600)
        errors, fits = {}, {}
        for name, f in TARGETS.items():
            errors[name], fits[name] = [], {}
            for w in widths:
                model, _ = fit_width(f, w, steps, ctx.seed)
                x, y, err = evaluate_on_grid(model, f)
                errors[name].append(err)
                fits[name][w] = y
        ctx.metric("widths", widths)
        ctx.metric("steps", steps)
        ctx.metric("mse", errors)
        ctx.table(["width"] + list(TARGETS), [[w] + [errors[k][i] for k in TARGETS]
                                              for i, w in enumerate(widths)],
                  caption=f"MSE on 512 grid points of [-pi, pi] (trained on 128), 1-N-1 tanh "
                          f"nets, full-batch Adam lr 0.02 (cosine decay), {steps} steps")
        self._figure(ctx, x, fits, errors, widths)
        gain = {k: errors[k][0] / errors[k][-1] for k in TARGETS}
        # 'falls': no width is worse than 1.5x the previous one's error (optimisation noise)
        # unless both sit at the float32 noise floor; and the widest beats the narrowest
        falling = {k: all(b < max(1.5 * a, FLOOR) for a, b in zip(e, e[1:]))
                   for k, e in errors.items()}
        ctx.metric("gain", gain)
        ctx.metric("falling", falling)
        held = all(falling.values()) and gain["sine"] > 100 and gain["step"] > 3
        ctx.verdict(held, f"from width {widths[0]} to {widths[-1]} the sine's MSE falls "
                          f"{errors['sine'][0]:.2e} -> {errors['sine'][-1]:.2e} "
                          f"({gain['sine']:.0f}x) and the step's {errors['step'][0]:.2e} -> "
                          f"{errors['step'][-1]:.2e} ({gain['step']:.0f}x); never rising by "
                          f"more than 1.5x from one width to the next (or staying under "
                          f"{FLOOR:.0e}, the float32 optimisation floor): {falling}.")

    def _figure(self, ctx, x, fits, errors, widths):
        plt = pyplot()
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
        for ax, (name, f) in zip(axes, TARGETS.items()):
            ax.plot(x, f(x), color="k", lw=2, label="target")
            shown = widths if len(widths) <= 4 else widths[::2]
            for i, w in enumerate(shown):
                ax.plot(x, fits[name][w], color=pyplot().get_cmap("viridis")(i / len(shown)),
                        label=f"width {w}")
            ax.set(title=f"{name}: fits", xlabel="x")
            ax.legend(fontsize=7)
        for name in TARGETS:
            axes[2].loglog(widths, errors[name], "o-", label=name)
        axes[2].set(xlabel="hidden units", ylabel="MSE", title="error vs width")
        axes[2].legend()
        fig.tight_layout()
        ctx.figure(fig, "fits.png", "one-hidden-layer fits of a sine and a step for several "
                   "widths, and the error against the width")
