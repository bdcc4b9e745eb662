"""The optimal learning rate is about 1 / lambda_max, the largest eigenvalue of the Hessian.

The course (seed 000, "Optimal learning rate", after LeCun, Bottou, Orr and Mueller's
"Efficient BackProp") studies gradient descent w <- w - eta grad f(w) near a minimum, where
f is close to the quadratic 1/2 w^T H w: along an eigenvector of H with eigenvalue lambda the
error is multiplied by (1 - eta lambda) at every step, so eta < 1/lambda converges slowly,
eta = 1/lambda reaches the minimum of that direction in one step, 1/lambda < eta < 2/lambda
oscillates but converges, and eta > 2/lambda diverges. The largest eigenvalue sets the limit:
the best step is about 1/lambda_max, and lambda_max can be estimated without forming H, by
power iteration on Hessian-vector products.

Part 1 runs gradient descent (gradients from brique's autograd) on a 2-D quadratic with known
eigenvalues, at the four kinds of step. Part 2 estimates lambda_max of the Hessian of a small
MLP's training loss on mnist-5k by power iteration, each product H v computed by double
backward (brique.grad with create_graph=True, then the gradient of g . v), and compares
1 / lambda_max with the best learning rate of a sweep of plain SGD runs from the same
initial weights.
"""
from __future__ import annotations

import math

import numpy as np

import brique
from brique import models, optim
from brique.nn import functional as F
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, pyplot, register
from ._common import mnist_subset

LAMBDAS = (2.0, 0.4)  # eigenvalues of the quadratic's Hessian (axis-aligned)
STEPS = {"slow": 0.5, "optimal": 1.0, "oscillating": 1.5, "diverging": 2.1}  # x 1/lambda_max


def gd_quadratic(eta, w0, steps):
    """Gradient descent on f(w) = 1/2 w^T H w, gradients by autograd; returns (path, losses)."""
    h = brique.tensor(np.array(LAMBDAS, dtype=np.float64))
    w = brique.tensor(np.array(w0, dtype=np.float64), requires_grad=True)
    path, losses = [w.detach().numpy().copy()], []
    for _ in range(steps + 1):
        loss = 0.5 * (h * w * w).sum()
        losses.append(loss.item())
        if len(losses) > steps:
            break
        (g,) = brique.grad(loss, [w])
        with brique.no_grad():
            w -= eta * g
        path.append(w.detach().numpy().copy())
    return np.array(path), np.array(losses)


def hessian_vector_product(loss_fn, params, v):
    """H v for the Hessian of loss_fn() with respect to params, by double backward."""
    grads = brique.grad(loss_fn(), params, create_graph=True)
    gv = sum((g * vi).sum() for g, vi in zip(grads, v))
    return brique.grad(gv, params)


def top_eigenvalue(loss_fn, params, max_iters, seed, tol=1e-4):
    """Power iteration on H v, stopped when the Rayleigh quotient v^T H v changes by less
    than tol (relative) for 5 steps in a row: returns (lambda_max estimate, the estimates)."""
    rng = np.random.default_rng(seed)
    v = [brique.tensor(rng.standard_normal(p.shape).astype(np.float32)) for p in params]
    estimates, calm = [], 0
    for _ in range(max_iters):
        norm = math.sqrt(sum(float((vi * vi).sum()) for vi in v))
        v = [vi / norm for vi in v]
        hv = hessian_vector_product(loss_fn, params, v)
        estimates.append(sum(float((a * b).sum()) for a, b in zip(v, hv)))
        v = [t.detach() for t in hv]
        if len(estimates) > 1 and abs(estimates[-1] - estimates[-2]) < tol * abs(estimates[-1]):
            calm += 1
            if calm == 5:
                break
        else:
            calm = 0
    return estimates[-1], estimates


def _mnist(n, rng):
    x, y = mnist_subset(True, n, rng, scale="unit", flat=True)
    return brique.tensor(x), brique.tensor(y)


@register
class LearningRate(Experiment):
    name = "learning-rate"
    claim = ("Gradient descent on a quadratic is slow below 1/lambda_max, one-step on the top "
             "direction at 1/lambda_max, oscillating-but-converging up to 2/lambda_max and "
             "divergent above; for an MLP on mnist-5k, 1/lambda_max from Hessian-vector power "
             "iteration is within a factor 4 of the best SGD learning rate of a sweep.")

    def run(self, ctx):
        quad_ok = self._quadratic(ctx)
        net_ok = self._network(ctx)
        m, q = ctx.metrics, ctx.metrics["quadratic"]
        ctx.verdict(quad_ok and net_ok,
                    f"quadratic (lambda_max = {LAMBDAS[0]}): top-direction component after one "
                    f"step at 1/lambda_max {q['optimal']['top_after_1']:.1e}, sign changes at "
                    f"1.5/lambda_max {q['oscillating']['sign_changes']}, final loss at "
                    f"2.1/lambda_max {q['diverging']['final_loss']:.3g} (start "
                    f"{q['diverging']['losses'][0]:.3g}); MLP: lambda_max = "
                    f"{m['lambda_max']:.3g}, 1/lambda_max = {1 / m['lambda_max']:.3g}, best "
                    f"swept lr = {m['best_lr']:.3g}, ratio best lr / (1/lambda_max) = "
                    f"{m['best_lr_times_lambda_max']:.2f}.")

    # -- part 1: a 2-D quadratic -------------------------------------------------------------
    def _quadratic(self, ctx):
        steps, w0 = 20, (1.0, 1.5)
        lam_max = LAMBDAS[0]
        results, paths = {}, {}
        for kind, k in STEPS.items():
            path, losses = gd_quadratic(k / lam_max, w0, steps)
            top = path[:, 0]  # the coordinate along lambda_max's eigenvector
            results[kind] = {
                "eta": k / lam_max, "eta_times_lambda_max": k,
                "contraction_top": abs(1 - k),
                "contraction_bottom": abs(1 - k * LAMBDAS[1] / lam_max),
                "top_after_1": float(abs(top[1])),
                "sign_changes": int(np.sum(np.sign(top[1:]) * np.sign(top[:-1]) < 0)),
                "final_loss": float(losses[-1]), "losses": losses}
            paths[kind] = path
        ctx.metric("quadratic", results)
        ctx.table(["step", "eta x lambda_max", "abs(1 - eta lambda_max)",
                   "abs(1 - eta lambda_min)", "abs(w_top) after 1 step", "sign changes (top)",
                   f"loss after {steps} steps"],
                  [[k, r["eta_times_lambda_max"], r["contraction_top"], r["contraction_bottom"],
                    r["top_after_1"], r["sign_changes"], r["final_loss"]]
                   for k, r in results.items()],
                  caption=f"gradient descent on f(w) = 1/2 w^T H w, H = diag{LAMBDAS}, "
                          f"from w0 = {w0} (loss {results['slow']['losses'][0]:.3g})")
        lam_min = LAMBDAS[1]
        ctx.note(f"Along each eigenvector the error is multiplied by (1 - eta lambda) per step. "
                 f"eta = 1/lambda_max zeroes the lambda_max component in one step; the whole "
                 f"loss then decays at the pace of the flattest direction, "
                 f"abs(1 - eta lambda_min) = {1 - lam_min / lam_max:.2f} per step, which is why "
                 f"1.5/lambda_max (0.5 along lambda_max, oscillating, and "
                 f"{abs(1 - 1.5 * lam_min / lam_max):.2f} along lambda_min) ends lower after "
                 f"{steps} steps. For the whole loss the best fixed step is "
                 f"2/(lambda_max + lambda_min) = "
                 f"{2 * lam_max / (lam_max + lam_min):.2f}/lambda_max; "
                 f"1/lambda_max is the course's safe rule, a factor "
                 f"{2 * lam_max / (lam_max + lam_min):.2f} below it and a factor 2 below "
                 f"divergence.")
        self._quadratic_figure(ctx, paths, results)
        r = results
        start = r["slow"]["losses"][0]
        return (r["slow"]["sign_changes"] == 0 and r["slow"]["final_loss"] < start
                and r["slow"]["top_after_1"] > 0.1
                and r["optimal"]["top_after_1"] < 1e-9
                and r["oscillating"]["sign_changes"] == steps
                and r["oscillating"]["final_loss"] < 1e-2 * start
                and r["diverging"]["final_loss"] > start)

    def _quadratic_figure(self, ctx, paths, results):
        plt = pyplot()
        fig, axes = plt.subplots(1, 5, figsize=(17, 3.6))
        g1, g2 = np.meshgrid(np.linspace(-2.2, 2.2, 120), np.linspace(-1.8, 1.8, 120))
        f = 0.5 * (LAMBDAS[0] * g1 ** 2 + LAMBDAS[1] * g2 ** 2)
        for ax, (kind, path) in zip(axes, paths.items()):
            ax.contour(g1, g2, f, levels=np.geomspace(0.02, 5, 10), cmap="Greys", linewidths=0.7)
            shown = path[np.all(np.abs(path) < 3, axis=1)]
            ax.plot(shown[:, 0], shown[:, 1], "o-", ms=3, color="C3")
            ax.set(xlim=(-2.2, 2.2), ylim=(-1.8, 1.8), aspect="equal",
                   title=f"{kind}: eta = {results[kind]['eta_times_lambda_max']:g}/lambda_max")
            ax.set_xlabel("w1 (lambda_max direction)", fontsize=8)
        ax = axes[-1]
        for i, (kind, r) in enumerate(results.items()):
            ax.semilogy(r["losses"], "o-", ms=3, color=f"C{i}",
                        label=f"{r['eta_times_lambda_max']:g}/lambda_max ({kind})")
        ax.set(xlabel="step", ylabel="f(w)", title="loss")
        ax.legend(fontsize=7)
        fig.tight_layout()
        ctx.figure(fig, "quadratic.png", f"gradient descent on a 2-D quadratic with eigenvalues "
                   f"{LAMBDAS}: trajectories on the contours and loss per step")

    # -- part 2: a real network ---------------------------------------------------------------
    def _network(self, ctx):
        n, hidden = ctx.size(4000, 1000), ctx.size(100, 32)
        epochs, iters = ctx.size(3, 2), ctx.size(300, 150)
        batch = 50
        rng = np.random.default_rng(ctx.seed)
        x, y = _mnist(n, rng)
        model = models.MLP(784, (hidden,), 10)
        init_state = {k: v.clone() for k, v in model.state_dict().items()}
        params = list(model.parameters())

        lam, estimates = top_eigenvalue(lambda: F.cross_entropy(model(x), y), params, iters,
                                        ctx.seed)
        ctx.metric("lambda_max", lam)
        ctx.metric("power_iteration", estimates)

        # a log grid of learning rates, factor 2^(1/2), around any plausible 1/lambda_max
        lrs = [2.0 ** (k / 2) for k in range(-12, 9)]
        data = TensorDataset(x, y)
        finals = []
        for lr in lrs:
            model.load_state_dict(init_state)
            opt = optim.SGD(model.parameters(), lr=lr)
            loader = DataLoader(data, batch_size=batch, shuffle=True, generator=ctx.seed)
            finite = True
            for _ in range(epochs):
                for xb, yb in loader:
                    opt.zero_grad()
                    loss = F.cross_entropy(model(xb), yb)
                    if not math.isfinite(loss.item()):
                        finite = False
                        break
                    loss.backward()
                    opt.step()
                if not finite:
                    break
            with brique.no_grad():
                final = F.cross_entropy(model(x), y).item() if finite else float("inf")
            finals.append(final if math.isfinite(final) else float("inf"))
        best = int(np.argmin(finals))
        best_lr = lrs[best]
        ratio = best_lr * lam
        ctx.metric("sweep_lr", lrs)
        ctx.metric("sweep_final_loss", finals)
        ctx.metric("best_lr", best_lr)
        ctx.metric("inverse_lambda_max", 1 / lam)
        ctx.metric("best_lr_times_lambda_max", ratio)
        ctx.metric("sweep_setting", {"n_train": n, "hidden": hidden, "epochs": epochs,
                                     "batch": batch})
        ctx.table(["lr", "lr x lambda_max", f"training loss after {epochs} epochs"],
                  [[lr, lr * lam, f] for lr, f in zip(lrs, finals)],
                  caption=f"plain SGD (batch {batch}) on {n} mnist-5k images, MLP 784-{hidden}-10 "
                          f"from the same initial weights; lambda_max = {lam:.4g} at those "
                          f"weights ({len(estimates)} power iterations on the full-set loss)")
        collapsed = [lr for lr, f in zip(lrs, finals) if lr > 2 / lam and f > 2.0]
        if collapsed:
            ctx.note(f"Above 2/lambda_max = {2 / lam:.3g} the first steps blow up; the runs at "
                     f"lr >= {min(collapsed):.3g} end near ln 10 = 2.30, the loss of a constant "
                     f"guess (dead ReLUs), rather than at NaN.")
        self._sweep_figure(ctx, lrs, finals, lam, estimates, epochs)
        return 0.25 <= ratio <= 4 and len(estimates) < iters

    def _sweep_figure(self, ctx, lrs, finals, lam, estimates, epochs):
        plt = pyplot()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
        ok = [(lr, f) for lr, f in zip(lrs, finals) if math.isfinite(f)]
        a1.loglog([p[0] for p in ok], [p[1] for p in ok], "o-", color="C0")
        bad = [lr for lr, f in zip(lrs, finals) if not math.isfinite(f)]
        if bad:
            top = max(p[1] for p in ok)
            a1.plot(bad, [top] * len(bad), "x", color="C3", label="diverged")
        a1.axvline(1 / lam, color="C2", ls="--", label="1/lambda_max")
        a1.axvline(2 / lam, color="C3", ls=":", label="2/lambda_max")
        a1.set(xlabel="learning rate", ylabel=f"training loss after {epochs} epochs",
               title="SGD learning-rate sweep")
        a1.legend(fontsize=8)
        a2.plot(np.arange(1, len(estimates) + 1), estimates, "o-", ms=3)
        a2.set(xlabel="power iteration", ylabel="v^T H v", title=f"lambda_max = {lam:.3g}")
        fig.tight_layout()
        ctx.figure(fig, "sweep.png", "final training loss vs learning rate, 1/lambda_max and "
                   "2/lambda_max marked; convergence of the power iteration")
