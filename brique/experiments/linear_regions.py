"""Linear regions of ReLU networks: deep versus shallow.

The courses (seed 000 and seed 003, "why deep?": Pascanu, Montufar et al. 2014, "On the number
of linear regions of deep neural networks") explain depth by counting: a ReLU net is linear on
each region of input space where the pattern of active units is fixed. N units in one hidden
layer on a 2-D input cut the plane with N lines, at most 1 + N + N(N-1)/2 regions; deep nets
can fold the space and reach exponentially many: Montufar et al.'s lower bound on the maximum
for L layers of width n >= 2 on 2 inputs is (floor(n/2)^2)^(L-1) * (1 + n + n(n-1)/2). That is
what the best deep nets *can* do; Hanin & Rolnick (2019) showed that at initialisation and
through training the count is about N^2 per unit of input area whatever the depth.

The experiment counts the regions of 2-input ReLU nets with the same total number of units N
(one layer of N; layers of 8; layers of 4) as the number of distinct activation patterns on a
fine grid of [-1.5, 1.5]^2 (a fixed pattern is one convex region, so patterns are regions;
regions smaller than a grid cell are missed), at initialisation and after training on a 2-D
two-circles task, and draws the region maps as in Pascanu et al.
"""
from __future__ import annotations

import math

import numpy as np

import brique
import brique.nn as nn
from brique import optim
from brique.nn import functional as F

from . import Experiment, pyplot, register

BOX = 1.5


def shallow_bound(n):
    return 1 + n + n * (n - 1) // 2


def montufar_bound(width, depth, n0=2):
    """Montufar et al. (2014)'s lower bound on the maximal number of regions, n0 inputs."""
    return (width // n0) ** (n0 * (depth - 1)) * sum(math.comb(width, j) for j in range(n0 + 1))


def make_net(widths):
    layers, d = [], 2
    for w in widths:
        layers += [nn.Linear(d, w), nn.ReLU()]
        d = w
    return nn.Sequential(*layers, nn.Linear(d, 2))


def patterns(net, points):
    """The on/off pattern of every hidden unit at each point, packed into one integer id."""
    h, bits = points, []
    linears = [m for m in net if isinstance(m, nn.Linear)][:-1]
    for lin in linears:
        h = h @ lin.weight.detach().numpy().T + lin.bias.detach().numpy()
        bits.append(h > 0)
        h = np.maximum(h, 0)
    packed = np.packbits(np.concatenate(bits, axis=1), axis=1)
    return packed.view(np.dtype((np.void, packed.shape[1])))  # one comparable row per point


def count_regions(net, grid):
    side = np.linspace(-BOX, BOX, grid, dtype=np.float64)
    pts = np.stack(np.meshgrid(side, side), -1).reshape(-1, 2)
    _, ids = np.unique(patterns(net, pts).ravel(), return_inverse=True)
    return int(ids.max()) + 1, ids.reshape(grid, grid)


def circles(n, rng):
    """Two classes: inside radius 0.5 or on a ring of radius 0.8-1.0."""
    r = np.where(rng.random(n) < 0.5, rng.uniform(0, 0.5, n), rng.uniform(0.8, 1.0, n))
    a = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.cos(a), r * np.sin(a)], 1).astype(np.float32)
    return x, (r > 0.65).astype(np.int64)


def train(net, x, y, steps):
    opt = optim.Adam(net.parameters(), lr=0.01)
    xt, yt = brique.tensor(x), brique.tensor(y)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(net(xt), yt)
        loss.backward()
        opt.step()
    with brique.no_grad():
        return float((net(xt).argmax(1).numpy() == y).mean())


@register
class LinearRegionsExperiment(Experiment):
    name = "linear-regions"
    claim = ("Counted on a fine grid, 2-input ReLU nets with N = 24 units have fewer than N^2 "
             "linear regions whether they are shallow or deep, at initialisation and after "
             "training (as Hanin & Rolnick 2019 predict): the shallow net stays under its "
             "bound 1 + N + N(N-1)/2 and the deep nets stay far below Montufar et al.'s "
             "exponential lower bound on what deep nets can reach.")

    ARCHS = {"1 x 24 (shallow)": [24], "3 x 8": [8, 8, 8], "6 x 4": [4] * 6}

    def run(self, ctx):
        grid, steps = ctx.size(1000, 300), ctx.size(1500, 300)
        x, y = circles(1000, np.random.default_rng(ctx.seed))
        rows, maps = [], {}
        for name, widths in self.ARCHS.items():
            brique.manual_seed(ctx.seed)
            net = make_net(widths)
            before, maps[(name, "init")] = count_regions(net, grid)
            accuracy = train(net, x, y, steps)
            after, maps[(name, "trained")] = count_regions(net, grid)
            bound = shallow_bound(24) if len(widths) == 1 else montufar_bound(widths[0],
                                                                              len(widths))
            rows.append({"net": name, "init": before, "trained": after, "accuracy": accuracy,
                         "bound": bound, "bound_kind": "shallow (exact max)" if len(widths) == 1
                         else "Montufar (lower bound on max)"})
        ctx.metric("grid", grid)
        ctx.metric("rows", rows)
        self._report(ctx, rows, grid, steps)
        self._figure(ctx, maps, rows)

    def _report(self, ctx, rows, grid, steps):
        n2 = 24 ** 2
        ctx.table(["net", "regions at init", "after training", "train accuracy",
                   "regions / N^2 (trained)", "bound", "kind of bound"],
                  [[r["net"], r["init"], r["trained"], r["accuracy"], r["trained"] / n2,
                    r["bound"], r["bound_kind"]] for r in rows],
                  caption=f"distinct activation patterns on a {grid} x {grid} grid of "
                          f"[-{BOX}, {BOX}]^2; training: two circles, 1,000 points, full-batch "
                          f"Adam 0.01, {steps} steps; N = 24 hidden units in every net")
        shallow, deep = rows[0], rows[1:]
        held = (shallow["init"] <= shallow["bound"] and shallow["trained"] <= shallow["bound"]
                and all(r[k] < r["bound"] / 10 for r in deep for k in ("init", "trained"))
                and all(r[k] < n2 for r in rows for k in ("init", "trained"))
                and all(r["accuracy"] > 0.9 for r in rows))
        counts = "; ".join(f"{r['net']}: {r['init']} -> {r['trained']}" for r in rows)
        ratio = max(r["trained"] for r in deep) / shallow["trained"]
        ctx.verdict(held, f"regions at init -> after training: {counts} (N^2 = {n2}); shallow "
                          f"bound {shallow['bound']}; Montufar's bounds "
                          f"{', '.join(str(r['bound']) for r in deep)} are never approached. "
                          f"At init the deep nets have fewer regions than the shallow one; after "
                          f"training at most {ratio:.1f}x as many, still under N^2: what deep "
                          "nets can do is not what initialisation or gradient descent gives.")

    def _figure(self, ctx, maps, rows):
        plt = pyplot()
        fig, axes = plt.subplots(2, len(rows), figsize=(4 * len(rows), 8))
        rng = np.random.default_rng(0)
        for c, r in enumerate(rows):
            for i, when in enumerate(("init", "trained")):
                ids = maps[(r["net"], when)]
                colours = rng.random((ids.max() + 1, 3))
                axes[i, c].imshow(colours[ids], origin="lower", extent=(-BOX, BOX, -BOX, BOX))
                axes[i, c].set_title(f"{r['net']}, {when}: {r[when]} regions", fontsize=9)
                axes[i, c].set_xticks([])
                axes[i, c].set_yticks([])
        fig.tight_layout()
        ctx.figure(fig, "regions.png", "linear regions (one colour per activation pattern) "
                   "at initialisation (top) and after training on two circles (bottom)")
