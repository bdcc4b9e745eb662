"""Rosenblatt's perceptron learns AND and OR but never XOR; a one-hidden-layer MLP learns XOR.

What the courses show: the formal neuron y = step(w.x + b) (McCulloch & Pitts) trained by
Rosenblatt's rule (seed 002 "Origins", seed 000 "History of Neural Networks": "1960 :
Perceptron [Rosenblatt]", "1969 : Limitations of the Perceptron [Minsky]"), and seed 001
"Limitations: the overkill XOR function": "(0, 0) -> 0, (1, 1) -> 0, (1, 0) -> 1 and (0, 1) ->
1. A linear neural network can not learn the XOR function. Because we need a representation
layer!", followed by "Multi-Layer Perceptron (MLP)" with one hidden layer.

The perceptron rule, on one sample at a time with brique tensors:

    y_hat = Heaviside(w.x + b);   w += lr (y - y_hat) x;   b += lr (y - y_hat)

By the perceptron convergence theorem it stops making errors after finitely many updates when
the classes are linearly separable (AND, OR); XOR is not, so every epoch makes at least one
error, forever. A 2-H-1 tanh MLP trained by backpropagation (brique autograd, BCE, Adam) puts
the four XOR points on the right sides of a boundary made of two lines.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import nn
from brique.nn import functional as F

from . import Experiment, pyplot, register

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = {"AND": [0.0, 0.0, 0.0, 1.0], "OR": [0.0, 1.0, 1.0, 1.0], "XOR": [0.0, 1.0, 1.0, 0.0]}


def train_perceptron(x, y, epochs, lr=0.1, seed=0):
    """Rosenblatt's rule, online in a shuffled order each epoch; returns (w, b, errors per
    epoch), errors counted as the updates made during the epoch.

    Shape: x (n, d), y (n,) of 0/1 -> w (d,), b (1,), errors list of length epochs.
    """
    step = nn.Heaviside()
    w = brique.randn(x.shape[1]) * 0.1
    b = brique.zeros(1)
    order = np.random.default_rng(seed)
    errors = []
    for _ in range(epochs):
        wrong = 0
        for i in order.permutation(len(x)).tolist():
            y_hat = step(w @ x[i] + b)
            delta = y[i] - y_hat
            if delta.item() != 0.0:
                wrong += 1
                w = w + lr * delta * x[i]
                b = b + lr * delta
        errors.append(wrong)
    return w, b, errors


def perceptron_predict(w, b, x):
    return F.heaviside_step(x @ w + b)


class XorMLP(nn.Module):
    """2-hidden-1: h = tanh(W1 x + b1), logit = W2 h + b2.

    Shape: (N, 2) -> (N, 1) logits.
    """

    def __init__(self, hidden=4):
        super().__init__()
        self.hidden = nn.Linear(2, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.hidden(x).tanh())


def train_mlp(x, y, hidden, steps, lr=0.05):
    """Full-batch Adam on binary cross-entropy; returns (model, losses)."""
    model = XorMLP(hidden)
    opt = brique.optim.Adam(model.parameters(), lr=lr)
    target = y.reshape(-1, 1)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


@register
class Perceptron(Experiment):
    name = "perceptron"
    claim = ("Rosenblatt's perceptron rule reaches zero errors on AND and OR within a few "
             "epochs but never on XOR (at least one error in every epoch); a one-hidden-layer "
             "MLP trained by backpropagation classifies all 4 XOR points correctly.")

    def run(self, ctx):
        epochs = ctx.size(100, 30)
        hidden, steps = 4, ctx.size(1000, 400)
        x = brique.tensor(INPUTS)
        results, rows = {}, []
        for gate, target in TARGETS.items():
            y = brique.tensor(target)
            w, b, errors = train_perceptron(x, y, epochs, lr=0.1, seed=ctx.seed)
            correct = int((perceptron_predict(w, b, x) == y).sum().item())
            converged = next((e + 1 for e, n in enumerate(errors) if n == 0), None)
            results[gate] = (w, b, errors)
            key = gate.lower()
            ctx.metric(f"{key}_errors_per_epoch", errors)
            ctx.metric(f"{key}_first_error_free_epoch", converged if converged else -1)
            ctx.metric(f"{key}_min_errors", min(errors))
            ctx.metric(f"{key}_last_epoch_errors", errors[-1])
            ctx.metric(f"{key}_correct", correct)
            rows.append([f"{gate} (perceptron)", epochs,
                         converged if converged else "never", min(errors), errors[-1],
                         f"{correct}/4"])

        y_xor = brique.tensor(TARGETS["XOR"])
        mlp, losses = train_mlp(x, y_xor, hidden, steps)
        with brique.no_grad():
            mlp_out = mlp(x).reshape(-1)
        mlp_correct = int(((mlp_out > 0).float() == y_xor).sum().item())
        ctx.metric("mlp_xor_correct", mlp_correct)
        ctx.metric("mlp_xor_final_loss", losses[-1])
        ctx.metric("mlp_xor_outputs", brique.sigmoid(mlp_out).tolist())
        rows.append([f"XOR (MLP 2-{hidden}-1 tanh, Adam)", f"{steps} steps", "-", "-", "-",
                     f"{mlp_correct}/4"])
        ctx.table(["problem", "epochs", "first error-free epoch", "min errors/epoch",
                   "errors last epoch", "correct after training"], rows,
                  caption="Perceptron rule (lr 0.1, one sample at a time, shuffled each epoch)"
                          " and an MLP trained by backprop on the 4 Boolean inputs")
        ctx.note(f"The MLP's sigmoid outputs on (0,0), (0,1), (1,0), (1,1): "
                 f"{', '.join(f'{v:.3f}' for v in brique.sigmoid(mlp_out).tolist())} "
                 f"(final BCE {losses[-1]:.4f}).")

        self._figures(ctx, x, results, mlp)

        and_ok = results["AND"][2][-1] == 0 and ctx.metrics["and_correct"] == 4
        or_ok = results["OR"][2][-1] == 0 and ctx.metrics["or_correct"] == 4
        xor_fails = min(results["XOR"][2]) >= 1
        held = and_ok and or_ok and xor_fails and mlp_correct == 4
        ctx.verdict(held,
                    f"the perceptron is error-free from epoch "
                    f"{ctx.metrics['and_first_error_free_epoch']} on AND and "
                    f"{ctx.metrics['or_first_error_free_epoch']} on OR; on XOR it makes "
                    f"{min(results['XOR'][2])} to {max(results['XOR'][2])} errors in every one "
                    f"of {epochs} epochs; the {hidden}-hidden-unit MLP gets {mlp_correct}/4 "
                    f"XOR points right.")

    def _figures(self, ctx, x, results, mlp):
        plt = pyplot()
        grid = np.linspace(-0.5, 1.5, 201, dtype=np.float32)
        g1, g2 = np.meshgrid(grid, grid)
        points = brique.tensor(np.stack([g1.ravel(), g2.ravel()], 1))
        fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharey=True)
        panels = [(f"{g} - perceptron", perceptron_predict(w, b, points), TARGETS[g])
                  for g, (w, b, _) in results.items()]
        with brique.no_grad():
            panels.append(("XOR - MLP", (mlp(points).reshape(-1) > 0).float(), TARGETS["XOR"]))
        xs = np.asarray(INPUTS)
        for ax, (title, pred, target) in zip(axes, panels):
            ax.contourf(g1, g2, pred.numpy().reshape(g1.shape), levels=[-0.5, 0.5, 1.5],
                        colors=["#f4c7c3", "#c6dbef"])
            t = np.asarray(target)
            ax.scatter(xs[t == 0, 0], xs[t == 0, 1], c="#d62728", marker="o", s=80,
                       edgecolor="k", label="0")
            ax.scatter(xs[t == 1, 0], xs[t == 1, 1], c="#1f77b4", marker="s", s=80,
                       edgecolor="k", label="1")
            ax.set_title(title)
            ax.set_xlabel("x1")
            ax.set_aspect("equal")
        axes[0].set_ylabel("x2")
        axes[0].legend(loc="upper left", fontsize=8)
        ctx.figure(fig, "decision_boundaries.png",
                   "Decision regions (blue: output 1) after training: the perceptron's single "
                   "line separates AND and OR but not XOR; the MLP's hidden layer bends it")

        fig, ax = plt.subplots(figsize=(6, 3.4))
        for gate, (_, _, errors) in results.items():
            ax.plot(range(1, len(errors) + 1), errors, marker=".", label=gate)
        ax.set_xlabel("epoch")
        ax.set_ylabel("errors (updates) in the epoch")
        ax.set_ylim(-0.2, 4.2)
        ax.legend()
        ctx.figure(fig, "errors_per_epoch.png",
                   "Perceptron errors per epoch: AND and OR drop to 0 and stay there; XOR "
                   "never does")
