"""Under- and over-fitting: training and test error of polynomial fits vs their order N.

What the course shows (seed 004, "Under / Overfitting"): a few noisy points, "Human fitting:
Hey, this looks like a 2nd order polynomial", then "Learned fitting" with N = 1 (underfitting),
N = 2, and N = N_pts (overfitting); "The order N is called the capacity"; the training error
falls as N grows while the generalization (test) error falls then rises, with an "Optimal" N
in between. Seed 000 ("Depth and capacity") and 002 ("Balance model capacity vs. data amount")
make the same point.

Setting: n = 16 noisy samples y = sin(pi x) + e at evenly spaced x in [-1, 1] (as in the
course's figure), e ~ N(0, sigma^2) drawn afresh for each training set; for each order N the
least-squares polynomial of degree N. The design matrix is built with brique
tensors in the Legendre basis P_0..P_N (the three-term recurrence (k+1) P_{k+1} = (2k+1) x P_k
- k P_{k-1}), which spans the same polynomials as 1, x, ..., x^N but is far better conditioned
on [-1, 1]. The least-squares solve itself is numpy.linalg.lstsq (SVD): near N + 1 = n the
normal equations' matrix Phi^T Phi is too ill-conditioned to invert in float64. brique's
autograd then checks that each solution satisfies the normal equations: the gradient of the
training MSE there, Phi^T (Phi w - y) * 2/n, is ~0. Errors are mean squared errors, the test
error on many fresh noisy points with x uniform in [-1, 1] (its floor is sigma^2), summarized
by the median over many independent training draws (noise redrawn each time).
"""
from __future__ import annotations

import numpy as np

import brique

from . import Experiment, pyplot, register


def target(x):
    return np.sin(np.pi * x)


def legendre_features(x, order):
    """Design matrix [P_0(x), ..., P_order(x)] of Legendre polynomials, built with brique.

    Shape: x (n,) -> (n, order + 1).
    """
    columns = [brique.ones_like(x)]
    if order >= 1:
        columns.append(x)
    for k in range(1, order):
        columns.append(((2 * k + 1) * x * columns[k] - k * columns[k - 1]) / (k + 1))
    return brique.stack(columns, 1)


def fit_polynomial(x, y, order):
    """Least-squares coefficients (Legendre basis) of the degree-`order` polynomial and the
    relative size of the training-MSE gradient there (0 at an exact least-squares solution).

    Shape: x, y (n,) float64 tensors -> coefficients (order + 1,) numpy, float.
    """
    phi = legendre_features(x, order)
    coef = np.linalg.lstsq(phi.numpy(), y.numpy(), rcond=None)[0]
    w = brique.tensor(coef, requires_grad=True)
    ((phi @ w - y) ** 2).mean().backward()
    scale = (2 / len(x)) * np.linalg.norm(phi.numpy(), 2) * np.linalg.norm(y.numpy())
    return coef, float(np.linalg.norm(w.grad.numpy()) / scale)


def mse(coef, x, y):
    with brique.no_grad():
        pred = legendre_features(x, len(coef) - 1) @ brique.tensor(coef)
    return ((pred - y) ** 2).mean().item()


def predict(coef, x):
    with brique.no_grad():
        return (legendre_features(brique.tensor(x), len(coef) - 1)
                @ brique.tensor(coef)).numpy()


@register
class Capacity(Experiment):
    name = "capacity"
    claim = ("Fitting polynomials of order N = 1..15 to 16 noisy samples of sin(pi x): the "
             "training error falls monotonically with N while the test error is U-shaped, "
             "lowest at an intermediate N and at least 10x higher at both N = 1 "
             "(underfitting) and N = 15 (overfitting: the fit interpolates the noise).")

    def run(self, ctx):
        n_train, sigma, orders = 16, 0.1, list(range(1, 16))
        draws, n_test = ctx.size(100, 20), ctx.size(5000, 1000)
        rng = np.random.default_rng(ctx.seed)
        x_test = rng.uniform(-1, 1, n_test)
        x_test_t = brique.tensor(x_test)
        y_test_t = brique.tensor(target(x_test) + rng.normal(0, sigma, n_test))
        train_err = np.zeros((draws, len(orders)))
        test_err = np.zeros((draws, len(orders)))
        residual, fits = 0.0, {}
        x = np.linspace(-1, 1, n_train)
        for d in range(draws):
            y = target(x) + rng.normal(0, sigma, n_train)
            x_t, y_t = brique.tensor(x), brique.tensor(y)
            for j, order in enumerate(orders):
                coef, res = fit_polynomial(x_t, y_t, order)
                residual = max(residual, res)
                train_err[d, j] = mse(coef, x_t, y_t)
                test_err[d, j] = mse(coef, x_test_t, y_test_t)
                if d == 0:
                    fits[order] = (x, y, coef)

        train_med, test_med = np.median(train_err, 0), np.median(test_err, 0)
        best = orders[int(np.argmin(test_med))]
        tol = 1e-9 * train_err[:, :1]
        monotone = float(np.mean(np.all(np.diff(train_err, axis=1) <= tol, axis=1)))
        ctx.metric("orders", orders)
        ctx.metric("train_mse_median", train_med)
        ctx.metric("test_mse_median", test_med)
        ctx.metric("best_order", best)
        ctx.metric("best_test_mse", float(test_med.min()))
        ctx.metric("noise_variance", sigma ** 2)
        ctx.metric("train_monotone_fraction", monotone)
        ctx.metric("max_normal_equation_residual", residual)
        under, over = test_med[0] / test_med.min(), test_med[-1] / test_med.min()
        ctx.metric("test_ratio_underfit", under)
        ctx.metric("test_ratio_overfit", over)

        ctx.table(["order N", "parameters", "median train MSE", "median test MSE"],
                  [[n, n + 1, tr, te] for n, tr, te in zip(orders, train_med, test_med)],
                  caption=f"{n_train} training points, noise sigma {sigma} (test-error floor "
                          f"sigma^2 = {sigma ** 2:.2g}); medians over {draws} training draws, "
                          f"test on {n_test} fresh points")
        ctx.note(f"Best order N = {best} (median test MSE {test_med.min():.4g}). The training "
                 f"MSE never increases with N in {monotone:.0%} of the draws (the polynomial "
                 f"spaces are nested); every least-squares solution satisfies the normal "
                 f"equations to a relative gradient of at most {residual:.1e} (brique "
                 f"autograd).")
        self._figures(ctx, orders, train_err, test_err, fits, best, sigma, n_train)

        interior = orders[0] < best < orders[-1]
        held = monotone == 1.0 and interior and under >= 10 and over >= 10
        ctx.verdict(held,
                    f"median training MSE falls from {train_med[0]:.3g} (N = 1) to "
                    f"{train_med[-1]:.2g} (N = {orders[-1]}), never increasing with N in "
                    f"{monotone:.0%} of the {draws} draws; the median test MSE is lowest at "
                    f"N = {best} ({test_med.min():.3g}) and {under:.0f}x higher at N = 1, "
                    f"{over:.3g}x higher at N = {orders[-1]}.")

    def _figures(self, ctx, orders, train_err, test_err, fits, best, sigma, n_train):
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for err, label, color in ((train_err, "training error", "#1f77b4"),
                                  (test_err, "test (generalization) error", "#d62728")):
            lo, mid, hi = np.percentile(err, [25, 50, 75], axis=0)
            ax.plot(orders, mid, marker="o", color=color, label=f"{label} (median)")
            ax.fill_between(orders, lo, hi, color=color, alpha=0.15)
        ax.axhline(sigma ** 2, color="gray", linestyle=":", label="noise variance sigma^2")
        ax.axvline(best, color="k", linestyle="--", linewidth=1, label=f"best N = {best}")
        ax.set_yscale("log")
        floor = sigma ** 2 / 100
        ax.set_ylim(floor, None)
        if np.median(train_err[:, -1]) < floor:
            ax.annotate(f"N = {orders[-1]}: training MSE ~0\n(interpolates the {n_train} points)",
                        xy=(orders[-1], floor), xytext=(orders[-1] - 4.5, floor * 3),
                        fontsize=8, arrowprops=dict(arrowstyle="->", color="#1f77b4"))
        ax.set_xlabel("polynomial order N (capacity)")
        ax.set_ylabel("mean squared error")
        ax.set_xticks(orders)
        ax.legend(fontsize=8)
        ctx.figure(fig, "error_vs_order.png",
                   "Training and test MSE vs polynomial order (median and interquartile band "
                   f"over the training draws of {n_train} points)")

        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
        grid = np.linspace(-1, 1, 400)
        for ax, (order, title) in zip(axes, ((orders[0], "underfitting"),
                                            (best, "best"), (orders[-1], "overfitting"))):
            x, y, coef = fits[order]
            ax.plot(grid, target(grid), color="gray", linestyle="--", label="sin(pi x)")
            ax.plot(grid, predict(coef, grid), color="#d62728", label=f"fit, N = {order}")
            ax.scatter(x, y, color="#1f77b4", zorder=3, s=20, label="training points")
            ax.set_ylim(-2, 2)
            ax.set_title(f"N = {order}: {title}")
            ax.set_xlabel("x")
            ax.legend(fontsize=8, loc="lower right")
        axes[0].set_ylabel("y")
        ctx.figure(fig, "fits.png",
                   "Polynomial fits to the first training draw: order 1, the best order, and "
                   "the largest order")
