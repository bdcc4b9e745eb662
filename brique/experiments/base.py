"""The experiment runner: an Experiment states a claim, runs, and records what it measured in
a Context, which writes report.md (claim, setting, tables, figures, verdict), the PNG figures
and metrics.json (every figure the report quotes) into OUT/NAME/."""
from __future__ import annotations

import json
import math
import os
import time

from .. import backend


class Experiment:
    """Subclasses set `name` (the CLI name, e.g. 'feature-engineering'), `claim` (one line:
    what the full run shows) and write `run(ctx)`. `run` reads ctx.quick, ctx.seed and
    ctx.device, records with ctx.metric / ctx.table / ctx.figure / ctx.note, and ends with
    ctx.verdict(held, why)."""

    name = ""
    claim = ""

    def run(self, ctx):
        raise NotImplementedError(f"experiment {self.name!r} has no run()")


class Context:
    def __init__(self, experiment, quick, seed, device, out_dir):
        self.experiment, self.quick, self.seed, self.device = experiment, quick, seed, device
        self.out_dir = out_dir
        self.metrics, self.blocks, self.held, self.why = {}, [], None, ""
        os.makedirs(out_dir, exist_ok=True)

    def size(self, full, quick):
        """The full-run value, or the quick one under --quick (epochs, samples, widths...)."""
        return quick if self.quick else full

    def metric(self, key, value):
        """Record a number (or a list/dict of numbers) quoted by the report; returns it."""
        self.metrics[key] = _plain(value)
        return value

    def note(self, text):
        self.blocks.append(text.strip())

    def table(self, headers, rows, caption=None):
        """A markdown table; cells are formatted with `format_cell`."""
        lines = [f"*{caption}*", ""] if caption else []
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        for row in rows:
            lines.append("| " + " | ".join(format_cell(c) for c in row) + " |")
        self.blocks.append("\n".join(lines))

    def figure(self, fig, filename, caption):
        """Save a matplotlib figure as OUT/NAME/filename (PNG) and show it in the report."""
        import matplotlib.pyplot as plt
        fig.savefig(os.path.join(self.out_dir, filename), dpi=90, bbox_inches="tight")
        plt.close(fig)
        self.blocks.append(f"![{caption}]({filename})\n\n*{caption}*")

    def verdict(self, held, why):
        """Whether the claim held in this run, and the numbers that say so."""
        self.held, self.why = bool(held), why
        self.metrics["claim_held"] = bool(held)


def format_cell(value):
    if isinstance(value, float):
        if value != value or math.isinf(value):
            return str(value)
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def _plain(value):
    """JSON-able copy: numpy scalars and arrays become Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return value


def pyplot():
    """matplotlib.pyplot on the headless Agg backend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def run_experiment(experiment, quick=False, seed=0, device="cpu", out="runs/experiments"):
    """Run one experiment; write report.md, metrics.json and figures; return the metrics."""
    out_dir = os.path.join(out, experiment.name)
    ctx = Context(experiment, quick, seed, device, out_dir)
    backend.manual_seed(seed)
    pyplot()
    start = time.perf_counter()
    experiment.run(ctx)
    seconds = time.perf_counter() - start
    if ctx.held is None:
        raise RuntimeError(f"experiment {experiment.name!r} ended without a verdict")
    ctx.metrics.update(seconds=round(seconds, 2), quick=quick, seed=seed, device=str(device))
    with open(os.path.join(out_dir, "metrics.json"), "w") as f:
        json.dump(ctx.metrics, f, indent=2, sort_keys=True)
    mode = "quick (--quick: small data and few epochs)" if quick else "full"
    report = [f"# {experiment.name}", "", f"**Claim.** {experiment.claim}", "",
              f"**Setting.** {mode} run, seed {seed}, device {device}, {seconds:.0f} s. "
              f"Reproduce: `brique experiment run {experiment.name}"
              f"{' --quick' if quick else ''} --seed {seed}`.", ""]
    report += [b + "\n" for b in ctx.blocks]
    report += [f"**Claim held: {'yes' if ctx.held else 'no'}.** {ctx.why}", ""]
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write("\n".join(report))
    return ctx.metrics
