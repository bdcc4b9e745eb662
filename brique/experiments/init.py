"""Weight initialization and the spread of activations through a deep network.

The course (seed 000, "Initialization"; seed 003, the 10-layer x 500-unit tanh network of
activation statistics) shows that with small Gaussian weights N(0, 0.01) the activations of
a deep tanh network collapse towards 0 layer after layer (and so do the weight gradients,
which are products of activations and back-propagated errors), that Xavier (Glorot)
initialization, std = sqrt(2 / (fan_in + fan_out)), keeps their spread, and that with ReLU,
which zeroes half its inputs, Xavier's activations fade layer after layer while He
initialization, std = sqrt(2 / fan_in), keeps them.

The experiment feeds a batch of N(0, 1) inputs through 10 Linear(500, 500) + activation
layers (biases 0), records every layer's output with forward hooks, then backpropagates a
cross-entropy loss of a linear head on random labels and records each layer's weight-gradient
norm.
"""
from __future__ import annotations

import numpy as np

import brique
from brique import nn
from brique.nn import functional as F

from . import Experiment, pyplot, register

# (label, activation, initializer): the rows of every table and figure.
SCHEMES = [
    ("tanh, N(0, 0.01)", nn.Tanh, lambda w: nn.init.normal_(w, 0.0, 0.01)),
    ("tanh, Xavier normal", nn.Tanh, nn.init.xavier_normal_),
    ("tanh, Xavier uniform", nn.Tanh, nn.init.xavier_uniform_),
    ("ReLU, Xavier normal", nn.ReLU, nn.init.xavier_normal_),
    ("ReLU, He normal", nn.ReLU, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
]


def deep_net(width, depth, activation, init):
    """depth x (Linear(width, width), activation), weights drawn by `init`, biases 0."""
    layers = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        init(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, activation()]
    return nn.Sequential(*layers)


def probe(net, head, x, y):
    """Forward x through net (hooks record each activation layer's output), backprop the
    head's cross-entropy; returns (list of activation arrays, list of weight-grad norms)."""
    acts = []
    handles = [m.register_forward_hook(lambda mod, inp, out: acts.append(out.detach().numpy()))
               for m in net if not isinstance(m, nn.Linear)]
    loss = F.cross_entropy(head(net(x)), y)
    loss.backward()
    for h in handles:
        h.remove()
    norms = [float(np.linalg.norm(m.weight.grad.numpy())) for m in net if isinstance(m, nn.Linear)]
    return acts, norms


@register
class Initialization(Experiment):
    name = "init"
    claim = ("In a 10-layer, 500-unit tanh net, N(0, 0.01) weights make the activations "
             "collapse (std of layer 10 < 1e-3 x layer 1) while Xavier keeps their spread "
             "(ratio > 0.3); with ReLU, Xavier's activations fade (ratio < 0.1) while He "
             "keeps them (ratio within 0.5-2).")

    def run(self, ctx):
        width, depth = ctx.size(500, 200), ctx.size(10, 8)
        n = ctx.size(1000, 500)
        rng = np.random.default_rng(ctx.seed)
        x = brique.tensor(rng.standard_normal((n, width)).astype(np.float32))
        y = brique.tensor(rng.integers(0, 10, n))

        stds, ratios, grads, acts_by_scheme = {}, {}, {}, {}
        for label, activation, init in SCHEMES:
            net = deep_net(width, depth, activation, init)
            head = nn.Linear(width, 10)  # default init, the same kind for every scheme
            acts, norms = probe(net, head, x, y)
            stds[label] = [float(a.std()) for a in acts]
            ratios[label] = stds[label][-1] / stds[label][0]
            grads[label] = norms
            acts_by_scheme[label] = acts
        ctx.metric("width", width)
        ctx.metric("depth", depth)
        ctx.metric("activation_std", stds)
        ctx.metric("std_ratio_last_first", ratios)
        ctx.metric("grad_norm", grads)
        ctx.metric("grad_ratio_first_last",
                   {k: v[0] / v[-1] if v[-1] else float("inf") for k, v in grads.items()})

        headers = ["scheme"] + [f"layer {i + 1}" for i in range(depth)] + ["last / first"]
        ctx.table(headers, [[k] + v + [ratios[k]] for k, v in stds.items()],
                  caption=f"std of each layer's activations ({n} inputs N(0, 1), "
                          f"{depth} layers x {width} units)")
        ctx.table(["scheme"] + [f"layer {i + 1}" for i in range(depth)],
                  [[k] + v for k, v in grads.items()],
                  caption="norm of each layer's weight gradient (cross-entropy of a linear "
                          "head on random labels)")
        ctx.note("The weight gradient of layer l is the product of its input activations "
                 "(shrinking forward) and the back-propagated error (shrinking backward), so "
                 "with N(0, 0.01) weights the two decays cancel along the depth but leave every "
                 "layer's gradient tiny: "
                 f"{min(grads[SCHEMES[0][0]]):.1e} to {max(grads[SCHEMES[0][0]]):.1e}, against "
                 f"{min(grads[SCHEMES[1][0]]):.2g} to {max(grads[SCHEMES[1][0]]):.2g} with "
                 "Xavier: learning stalls from the start.")
        self._histograms(ctx, acts_by_scheme, depth)
        self._curves(ctx, stds, grads, depth)

        small, xav_n, xav_u, relu_x, relu_he = (ratios[s[0]] for s in SCHEMES)
        held = (small < 1e-3 and min(xav_n, xav_u) > 0.3 and relu_x < 0.1
                and 0.5 < relu_he < 2 and relu_he > 5 * relu_x)
        ctx.verdict(held, f"std(layer {depth}) / std(layer 1): tanh N(0, 0.01) {small:.2g}, "
                          f"tanh Xavier normal {xav_n:.2f}, uniform {xav_u:.2f}; "
                          f"ReLU Xavier {relu_x:.3f}, ReLU He {relu_he:.2f}.")

    def _histograms(self, ctx, acts_by_scheme, depth):
        plt = pyplot()
        rows = len(acts_by_scheme)
        fig, axes = plt.subplots(rows, depth, figsize=(1.3 * depth, 1.2 * rows), squeeze=False)
        for r, (label, acts) in enumerate(acts_by_scheme.items()):
            # one x range per row (layer 1's), so that a collapse shows as a narrowing spike;
            # ReLU outputs without their zeros, whose spike would hide the rest
            relu = "ReLU" in label
            lim = max(float(np.abs(acts[0]).max()), 1e-12)
            lo = 0.0 if relu else -lim
            for c, a in enumerate(acts):
                values = a[a > 0] if relu else a.ravel()
                counts, edges = np.histogram(values, bins=40, range=(lo, lim))
                ax = axes[r, c]
                ax.stairs(counts, edges, fill=True, color=f"C{r}")
                ax.set(xlim=(lo, lim), xticks=[], yticks=[])
                if r == 0:
                    ax.set_title(f"layer {c + 1}", fontsize=8)
            axes[r, 0].set_ylabel(f"{label}\n[{lo:.2g}, {lim:.2g}]"
                                  + ("\n(nonzero)" if relu else ""), fontsize=7)
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.02, top=0.93, wspace=0.08,
                            hspace=0.15)
        ctx.figure(fig, "histograms.png", "activation histograms, one row per scheme, one "
                   "column per layer; the x range of each row (that of layer 1) is under its "
                   "name; ReLU rows show the nonzero outputs")

    def _curves(self, ctx, stds, grads, depth):
        plt = pyplot()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
        layers = np.arange(1, depth + 1)
        for i, label in enumerate(stds):
            style = "-" if "tanh" in label else "--"
            a1.semilogy(layers, stds[label], style, marker="o", color=f"C{i}", label=label)
            a2.semilogy(layers, grads[label], style, marker="o", color=f"C{i}", label=label)
        a1.set(xlabel="layer", ylabel="activation std", title="activations")
        a2.set(xlabel="layer", ylabel="||dL/dW||", title="weight gradients")
        a1.legend(fontsize=7)
        fig.tight_layout()
        ctx.figure(fig, "per_layer.png", "per-layer activation std and weight-gradient norm "
                   "(log scale)")
