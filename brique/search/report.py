"""What a search leaves behind: a table of its trials (CSV and markdown) and figures of the
optimisation history, the parameters' importance and their parallel coordinates."""
from __future__ import annotations

import csv
import math
import os

import optuna

STATES = {optuna.trial.TrialState.COMPLETE: "complete", optuna.trial.TrialState.PRUNED: "pruned",
          optuna.trial.TrialState.FAIL: "failed", optuna.trial.TrialState.RUNNING: "running",
          optuna.trial.TrialState.WAITING: "waiting"}


def _last_reported(trial):
    return trial.intermediate_values[max(trial.intermediate_values)] \
        if trial.intermediate_values else None


class SearchResult:
    """A finished study with its `monitor`; `rows()` is the trials table, `write(out)` saves it
    with the figures."""

    def __init__(self, study, monitor, seconds):
        self.study, self.monitor, self.seconds = study, monitor, seconds
        self.maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE

    @property
    def trials(self):
        return self.study.trials

    @property
    def completed(self):
        return [t for t in self.trials if t.state == optuna.trial.TrialState.COMPLETE]

    @property
    def pruned(self):
        return [t for t in self.trials if t.state == optuna.trial.TrialState.PRUNED]

    @property
    def best_trial(self):
        return self.study.best_trial

    @property
    def best_params(self):
        return self.study.best_params

    @property
    def best_value(self):
        return self.study.best_value

    def param_names(self):
        names = []
        for t in self.trials:
            names += [n for n in t.params if n not in names]
        return names

    def rows(self):
        """One dict per trial: number, state, value (pruned: the last reported value),
        epochs, seconds, params_count and every parameter."""
        out = []
        for t in sorted(self.trials, key=lambda t: t.number):
            value = t.value if t.value is not None else _last_reported(t)
            row = {"trial": t.number, "state": STATES.get(t.state, str(t.state)),
                   self.monitor: value, "epochs": t.user_attrs.get("epochs",
                                                                    len(t.intermediate_values)),
                   "seconds": t.user_attrs.get("seconds"),
                   "params_count": t.user_attrs.get("params_count")}
            row.update({n: t.params.get(n) for n in self.param_names()})
            out.append(row)
        return out

    def importance(self):
        """Optuna's fANOVA importance of each parameter (sums to 1), or {} when fewer than
        two trials completed or no parameter varied."""
        if len(self.completed) < 2:
            return {}
        try:
            return dict(optuna.importance.get_param_importances(self.study))
        except (RuntimeError, ValueError):
            return {}

    def write(self, out):
        """trials.csv, trials.md, history.png, importance.png (when defined) and
        parallel.png into the folder `out`; returns the written paths."""
        os.makedirs(out, exist_ok=True)
        rows = self.rows()
        paths = [os.path.join(out, "trials.csv"), os.path.join(out, "trials.md")]
        with open(paths[0], "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["trial"])
            writer.writeheader()
            writer.writerows(rows)
        with open(paths[1], "w") as f:
            f.write(self.markdown(rows) + "\n")
        from .figures import history_figure, importance_figure, parallel_figure
        for name, draw in (("history.png", history_figure), ("importance.png", importance_figure),
                           ("parallel.png", parallel_figure)):
            fig = draw(self)
            if fig is not None:
                fig.savefig(os.path.join(out, name), dpi=90, bbox_inches="tight")
                paths.append(os.path.join(out, name))
                import matplotlib.pyplot as plt
                plt.close(fig)
        return paths

    def markdown(self, rows=None):
        rows = self.rows() if rows is None else rows
        if not rows:
            return "(no trials)"
        keys = list(rows[0])
        lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        for r in rows:
            lines.append("| " + " | ".join(_cell(r[k]) for k in keys) + " |")
        return "\n".join(lines)


def _cell(v):
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return "" if v is None else str(v)
