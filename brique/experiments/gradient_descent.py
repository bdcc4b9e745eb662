"""Batch, stochastic and minibatch gradient descent.

The courses (seed 000 and seed 003, "Gradient descent", "Stochastic gradient descent",
"Mini-batch") compare three ways of walking down the same loss: batch gradient descent takes one
exact step per pass over the data; stochastic gradient descent (one example per step) takes N
noisy steps per pass, so it gets far in few epochs but its path zig-zags and its loss never
settles; minibatches (here 32 examples) average the noise away enough while keeping many steps
per epoch, and one matrix product per step keeps each step cheap, which wins on wall-clock.

The experiment trains the same softmax regression (784 -> 10) on the same mnist-5k images with
the three regimes, each with its own tuned step size, and records the full training loss against
epochs and against the wall-clock time spent in the steps. On a two-parameter least-squares
problem it also draws the three paths over the loss contours, and measures their noise as
the path's length over the distance it covers (1 for a straight walk).
"""
from __future__ import annotations

import time

import numpy as np

import brique
import brique.nn as nn
from brique import optim
from brique.nn import functional as F

from . import Experiment, pyplot, register
from ._common import mnist_subset

REGIMES = {"batch": (None, 0.5), "minibatch (32)": (32, 0.1), "stochastic (1)": (1, 0.01)}
LINE_LR = 0.1  # one step size for the three paths of the line fit, for a fair picture


def descend(model, x, y, loss_fn, batch, lr, epochs, evals, seed):
    """Plain SGD over shuffled batches of `batch` examples (None: all); the full-data loss is
    evaluated `evals` times per epoch. Returns epochs, step seconds, losses, parameter path."""
    rng = np.random.default_rng(seed)
    opt = optim.SGD(model.parameters(), lr=lr)
    n, batch = len(x), batch or len(x)
    xt, yt = brique.tensor(x), brique.tensor(y)
    every = max(1, (n // batch) // evals)
    log = {"epoch": [0.0], "seconds": [0.0], "loss": [full_loss(model, xt, yt, loss_fn)],
           "path": [params_of(model)]}
    spent = 0.0
    for epoch in range(epochs):
        order = rng.permutation(n)
        for step, i in enumerate(range(0, n, batch)):
            idx = order[i:i + batch]
            start = time.perf_counter()
            opt.zero_grad()
            loss_fn(model(brique.tensor(x[idx])), brique.tensor(y[idx])).backward()
            opt.step()
            spent += time.perf_counter() - start
            if (step + 1) % every == 0:
                log["epoch"].append(epoch + (i + len(idx)) / n)
                log["seconds"].append(spent)
                log["loss"].append(full_loss(model, xt, yt, loss_fn))
                log["path"].append(params_of(model))
    return log


def full_loss(model, xt, yt, loss_fn):
    with brique.no_grad():
        return float(loss_fn(model(xt), yt).item())


def params_of(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])[:2]


def tortuosity(path):
    """Length of the path over the distance between its ends (1: a straight walk)."""
    path = np.asarray(path)
    length = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
    return float(length / np.linalg.norm(path[-1] - path[0]))


def line_data(seed, n=200):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 1)).astype(np.float32)
    y = (2.0 * x - 1.0 + 0.5 * rng.normal(size=(n, 1))).astype(np.float32)
    return x, y


@register
class GradientDescentExperiment(Experiment):
    name = "gradient-descent"
    claim = ("On the same softmax regression and mnist-5k images, stochastic and minibatch "
             "descent get much further per epoch than batch descent; the stochastic path is the "
             "noisiest (longest path for the ground it covers, a loss that keeps jumping); "
             "minibatches are the fastest in wall-clock.")

    def run(self, ctx):
        n, epochs = ctx.size(2000, 400), ctx.size(15, 4)
        x, y = mnist_subset(True, n, np.random.default_rng(ctx.seed), scale="unit", flat=True)
        logs, paths = {}, {}
        for name, (batch, lr) in REGIMES.items():
            brique.manual_seed(ctx.seed)
            logs[name] = descend(nn.Linear(784, 10), x, y, F.cross_entropy, batch, lr,
                                 epochs, 10, ctx.seed)
            brique.manual_seed(ctx.seed)
            lx, ly = line_data(ctx.seed)
            line = nn.Linear(1, 1)
            with brique.no_grad():
                line.weight.fill_(-2.0)
                line.bias.fill_(2.0)
            paths[name] = descend(line, lx, ly, F.mse_loss, batch, LINE_LR, 10, 10 ** 6,
                                  ctx.seed)
        self._report(ctx, logs, paths, n, epochs)

    def _report(self, ctx, logs, paths, n, epochs):
        stats = {}
        for name, log in logs.items():
            loss = np.array(log["loss"])
            one = int(np.searchsorted(log["epoch"], 1.0))
            stats[name] = {"loss_after_1_epoch": float(loss[one]), "final_loss": float(loss[-1]),
                           "loss_rises": float(np.mean(np.diff(loss) > 0)),
                           "step_seconds": float(log["seconds"][-1]),
                           "path_tortuosity": tortuosity(paths[name]["path"])}
        target = max(s["final_loss"] for s in stats.values())
        for name, log in logs.items():
            reached = np.flatnonzero(np.array(log["loss"]) <= target * 1.001)
            stats[name]["seconds_to_target"] = float(log["seconds"][reached[0]])
        ctx.metric("stats", stats)
        ctx.metric("curves", {k: {"epoch": v["epoch"], "seconds": v["seconds"], "loss": v["loss"]}
                              for k, v in logs.items()})
        ctx.table(["regime", "loss after 1 epoch", f"loss after {epochs}", "share of evaluations "
                   "where the loss rose", "step time (s)", f"s to loss {target:.3f}",
                   "path length / distance"],
                  [[k, s["loss_after_1_epoch"], s["final_loss"], s["loss_rises"],
                    s["step_seconds"], s["seconds_to_target"], s["path_tortuosity"]]
                   for k, s in stats.items()],
                  caption=f"softmax regression on {n} mnist-5k images, plain SGD with step "
                          f"sizes {[lr for _, lr in REGIMES.values()]}; the path is measured "
                          f"on the 2-parameter line fit (step size {LINE_LR}, every step)")
        self._figure(ctx, logs, paths)
        b, m, s = stats["batch"], stats["minibatch (32)"], stats["stochastic (1)"]
        held = (m["loss_after_1_epoch"] < b["loss_after_1_epoch"]
                and s["loss_after_1_epoch"] < b["loss_after_1_epoch"]
                and s["path_tortuosity"] > m["path_tortuosity"] > b["path_tortuosity"]
                and s["loss_rises"] > b["loss_rises"])
        fastest = min(stats, key=lambda k: stats[k]["seconds_to_target"])
        ctx.metric("fastest_to_target", fastest)
        ctx.note(f"Wall-clock (timing, not asserted in tests): {fastest} reached the loss "
                 f"{target:.3f} first ({stats[fastest]['seconds_to_target']:.2f} s of steps).")
        ctx.verdict(held, f"loss after one epoch: batch {b['loss_after_1_epoch']:.3f}, minibatch "
                          f"{m['loss_after_1_epoch']:.3f}, stochastic "
                          f"{s['loss_after_1_epoch']:.3f}; path length / distance: batch "
                          f"{b['path_tortuosity']:.2f}, minibatch {m['path_tortuosity']:.2f}, "
                          f"stochastic {s['path_tortuosity']:.2f}; the loss rose between "
                          f"evaluations {b['loss_rises']:.0%} (batch), {m['loss_rises']:.0%} "
                          f"(minibatch), {s['loss_rises']:.0%} (stochastic) of the time; "
                          f"first to loss {target:.3f}: {fastest}.")

    def _figure(self, ctx, logs, paths):
        plt = pyplot()
        fig, axes = plt.subplots(1, 3, figsize=(14, 4))
        for i, (name, log) in enumerate(logs.items()):
            axes[0].plot(log["epoch"], log["loss"], color=f"C{i}", label=name)
            axes[1].plot(log["seconds"], log["loss"], color=f"C{i}", label=name)
        axes[0].set(xlabel="epoch", ylabel="training loss", yscale="log", title="loss vs epochs")
        axes[1].set(xlabel="seconds spent in steps", yscale="log", title="loss vs wall-clock")
        axes[0].legend()
        lx, ly = line_data(ctx.seed)
        a, b = np.meshgrid(np.linspace(-2.5, 3, 80), np.linspace(-2, 2.5, 80))
        z = ((a[..., None] * lx[:, 0] + b[..., None] - ly[:, 0]) ** 2).mean(-1)
        axes[2].contour(a, b, z, levels=np.geomspace(z.min() * 1.05, z.max(), 12), colors="0.7")
        for i, (name, log) in enumerate(paths.items()):
            p = np.asarray(log["path"])
            axes[2].plot(p[:, 0], p[:, 1], ".-", color=f"C{i}", ms=2, lw=0.8, label=name)
        axes[2].set(xlabel="slope w", ylabel="intercept b", title="paths on a 2-parameter fit")
        fig.tight_layout()
        ctx.figure(fig, "descent.png", "training loss against epochs and against the time spent "
                   "in steps (softmax regression, mnist-5k), and the three paths over the loss "
                   "contours of a two-parameter line fit")
