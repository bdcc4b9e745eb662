"""Figures of a search (matplotlib, drawn from the trials table): the optimisation history,
the parameters' importance and the parallel coordinates of the trials."""
from __future__ import annotations

import math


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def history_figure(result):
    """Each trial's value (pruned trials: their last reported value, as crosses) and the best
    value so far."""
    plt = _pyplot()
    rows, monitor = result.rows(), result.monitor
    fig, ax = plt.subplots(figsize=(6, 3.6))
    done = [r for r in rows if r["state"] == "complete"]
    cut = [r for r in rows if r["state"] == "pruned" and r[monitor] is not None]
    ax.plot([r["trial"] for r in done], [r[monitor] for r in done], "o", color="C0",
            label="complete")
    if cut:
        ax.plot([r["trial"] for r in cut], [r[monitor] for r in cut], "x", color="0.5",
                label="pruned (last report)")
    best, xs, ys = None, [], []
    for r in done:
        v = r[monitor]
        if best is None or (v > best if result.maximize else v < best):
            best = v
        xs.append(r["trial"])
        ys.append(best)
    ax.step(xs, ys, where="post", color="C3", label="best so far")
    ax.set(xlabel="trial", ylabel=monitor, title="optimisation history")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def importance_figure(result):
    """fANOVA importance of each parameter; None when it is not defined."""
    imp = result.importance()
    if not imp:
        return None
    plt = _pyplot()
    names = list(imp)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.4 * len(names)))
    ax.barh(names, [imp[n] for n in names], color="C0")
    ax.set(xlabel=f"importance for {result.monitor} (fANOVA)", title="parameter importance")
    fig.tight_layout()
    return fig


def _axis(values):
    """Positions in [0, 1] for one parameter's values: numbers linearly (log when they span
    more than a decade and are positive), anything else by category."""
    present = [v for v in values if v is not None]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)
    if numeric and present and len(set(present)) > 1:
        logs = min(present) > 0 and max(present) / min(present) > 10
        f = math.log10 if logs else float
        lo, hi = f(min(present)), f(max(present))
        return [None if v is None else (f(v) - lo) / (hi - lo) for v in values], \
            (min(present), max(present))
    cats = sorted({str(v) for v in present})
    pos = {c: (i / (len(cats) - 1) if len(cats) > 1 else 0.5) for i, c in enumerate(cats)}
    return [None if v is None else pos[str(v)] for v in values], cats


def parallel_figure(result):
    """One line per completed trial across the parameter axes and the value, coloured by value."""
    rows = [r for r in result.rows() if r["state"] == "complete"]
    names = result.param_names()
    if not rows or not names:
        return None
    plt = _pyplot()
    columns = names + [result.monitor]
    axes = [_axis([r[n] for r in rows]) for n in columns]
    values = [r[result.monitor] for r in rows]
    lo, hi = min(values), max(values)
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(1.6 * len(columns) + 1, 4))
    for i, v in enumerate(values):
        ys = [a[0][i] for a in axes]
        xs = [j for j, y in enumerate(ys) if y is not None]
        ax.plot(xs, [ys[j] for j in xs], color=cmap((v - lo) / (hi - lo) if hi > lo else 0.5),
                alpha=0.7)
    for j, (_, labels) in enumerate(axes):
        ax.axvline(j, color="0.7", lw=0.8)
        if isinstance(labels, tuple):  # numbers: the low end at the bottom, the high at the top
            marks = [(0.0, f"{labels[0]:.3g}"), (1.0, f"{labels[1]:.3g}")]
        else:  # categories at their positions
            marks = [(i / (len(labels) - 1) if len(labels) > 1 else 0.5, c)
                     for i, c in enumerate(labels)]
        for y, text in marks:
            ax.text(j + 0.03, y, text, ha="left", va="center", fontsize=7,
                    bbox=dict(fc="white", ec="none", alpha=0.7, pad=0.5))
    ax.set_xticks(range(len(columns)), columns, rotation=20)
    ax.set_yticks([])
    ax.set_ylim(-0.05, 1.05)
    ax.set_title(f"parallel coordinates (colour: {result.monitor})")
    fig.tight_layout()
    return fig
