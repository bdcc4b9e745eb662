"""brique.search: hyper-parameter and architecture search on Optuna (the courses' "Lego game").

The search space is a function of an Optuna trial that builds the model and its training
settings; every trial is trained with `brique.train.fit`, reported after each epoch (so that a
pruner can stop a bad trial early) and scored by the best epoch's value of `monitor`:

    def space(trial):
        width = trial.suggest_categorical("width", [32, 64, 128])
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 10))
        lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        return model, {"optimizer": optim.SGD(model.parameters(), lr=lr), "epochs": 5}

    result = search(space, train_loader, val_loader, n_trials=20, sampler="tpe")
    result.write("runs/search")      # trials.csv, trials.md, history.png, importance.png, ...

Trials run one after another, in threads (`n_jobs`), or in processes (`processes`) that share
an Optuna journal file (`storage="path/journal.log"`), so several machines or shells can also
join the same study with `search(..., storage=same_path, load_if_exists=True)`.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import time

try:
    import optuna
except ImportError as e:  # pragma: no cover - the extra is installed in CI
    raise ImportError("brique.search needs Optuna: pip install 'brique[search]'") from e

from ..train import Callback, fit
from .report import SearchResult  # noqa: F401

SAMPLERS = ("tpe", "random", "grid")


class Pruning(Callback):
    """A fit callback: report `monitor` to the Optuna trial after each epoch and stop the
    training (raising optuna.TrialPruned) when the study's pruner says the trial is hopeless."""

    def __init__(self, trial, monitor="val_loss"):
        self.trial, self.monitor = trial, monitor

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"Pruning: monitor {self.monitor!r} is not among the epoch's "
                             f"logs {sorted(logs)}; pass validation data for val_* names")
        value = float(logs[self.monitor])
        self.trial.report(value, epoch)
        if not math.isfinite(value) or self.trial.should_prune():
            raise optuna.TrialPruned(f"epoch {epoch + 1}: {self.monitor} = {value:.4g}")


def make_sampler(sampler="tpe", grid=None, seed=None):
    """An Optuna sampler from a name ('tpe', 'random', 'grid' with `grid` = {param: values})
    or a sampler instance, returned as is."""
    if not isinstance(sampler, str):
        return sampler
    if sampler not in SAMPLERS:
        raise ValueError(f"search: unknown sampler {sampler!r}; expected one of {SAMPLERS} "
                         "or an optuna.samplers instance")
    if sampler == "grid":
        if not grid:
            raise ValueError("search: sampler='grid' needs grid={param: [values, ...]}")
        return optuna.samplers.GridSampler(grid, seed=seed)
    if sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)


def make_pruner(pruner="median"):
    """'median' (stop a trial whose value is worse than the median of earlier trials at the
    same epoch), 'none', or an optuna.pruners instance."""
    if pruner is None or pruner == "none":
        return optuna.pruners.NopPruner()
    if pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    if isinstance(pruner, str):
        raise ValueError(f"search: unknown pruner {pruner!r}; expected 'median', 'none' or "
                         "an optuna.pruners instance")
    return pruner


def journal(path):
    """Optuna storage in a journal file that several processes may append to."""
    from optuna.storages.journal import JournalFileBackend
    return optuna.storages.JournalStorage(JournalFileBackend(os.fspath(path)))


class Objective:
    """Builds (model, settings) with `space`, trains with fit and returns the best epoch's
    value of `monitor`; keeps the epoch count, the wall time and the model size per trial."""

    def __init__(self, space, train, val, monitor, direction, defaults):
        self.space, self.train, self.val = space, train, val
        self.monitor, self.direction, self.defaults = monitor, direction, defaults

    def __call__(self, trial):
        start = time.perf_counter()
        built = self.space(trial)
        if not (isinstance(built, tuple) and len(built) == 2 and isinstance(built[1], dict)):
            raise TypeError("search: the space function must return (model, settings) with "
                            f"settings a dict of fit arguments; got {type(built).__name__}")
        model, settings = built
        settings = {**self.defaults, **settings}
        if "optimizer" not in settings:
            raise ValueError("search: the space's settings need an 'optimizer' (built on the "
                             "model's parameters)")
        train, val = settings.pop("train", self.train), settings.pop("val", self.val)
        callbacks = [Pruning(trial, self.monitor)] + list(settings.pop("callbacks", ()))
        trial.set_user_attr("params_count", sum(p.numel() for p in model.parameters()))
        try:
            history = fit(model, train, val, callbacks=callbacks, verbose=0, **settings)
        finally:
            trial.set_user_attr("seconds", round(time.perf_counter() - start, 3))
        values = history.history.get(self.monitor, [])
        trial.set_user_attr("epochs", len(values))
        if not values:
            raise ValueError(f"search: monitor {self.monitor!r} was never logged")
        return max(values) if self.direction == "maximize" else min(values)


def _worker(study_name, storage_path, sampler, grid, seed, objective, n_trials):
    study = optuna.load_study(study_name=study_name, storage=journal(storage_path),
                              sampler=make_sampler(sampler, grid, seed))
    study.optimize(objective, n_trials=n_trials)


def search(space, train, val=None, *, n_trials=None, monitor="val_accuracy", direction=None,
           sampler="tpe", grid=None, pruner="median", n_jobs=1, processes=1, storage=None,
           study_name="brique", load_if_exists=False, seed=None, timeout=None,
           loss="cross_entropy", metrics=("accuracy",), epochs=1):
    """Run a study; returns a SearchResult.

    space(trial) -> (model, settings): settings are fit arguments ('optimizer' required;
    'epochs', 'loss', 'metrics', 'callbacks', and 'train'/'val' loaders override the defaults).
    sampler: 'tpe', 'random', 'grid' (with grid={param: values}; n_trials defaults to its size)
    or an optuna sampler. n_jobs > 1 runs trials in threads; processes > 1 forks that many
    workers sharing the journal file `storage` (required then).
    """
    if direction is None:
        direction = "minimize" if "loss" in monitor else "maximize"
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"search: direction must be 'minimize' or 'maximize', got {direction!r}")
    sampler_ = make_sampler(sampler, grid, seed)
    if n_trials is None:
        if sampler != "grid":
            raise ValueError("search: n_trials is needed unless sampler='grid'")
        n_trials = math.prod(len(v) for v in grid.values())
    if processes > 1 and storage is None:
        raise ValueError("search: processes > 1 share trials through a journal file; "
                         "pass storage='path/to/journal.log'")
    store = journal(storage) if isinstance(storage, (str, os.PathLike)) else storage
    study = optuna.create_study(study_name=study_name, storage=store, direction=direction,
                                sampler=sampler_, pruner=make_pruner(pruner), load_if_exists=load_if_exists)
    objective = Objective(space, train, val, monitor, direction,
                          {"loss": loss, "metrics": list(metrics), "epochs": epochs})
    start = time.perf_counter()
    if processes > 1:
        _run_processes(study_name, storage, sampler, grid, seed, objective, n_trials, processes)
    else:
        study.optimize(objective, n_trials=n_trials, n_jobs=n_jobs, timeout=timeout)
    if processes > 1:  # the workers wrote to the journal; read it back
        study = optuna.load_study(study_name=study_name, storage=journal(storage))
    return SearchResult(study, monitor, time.perf_counter() - start)


def _run_processes(study_name, storage, sampler, grid, seed, objective, n_trials, processes):
    # fork: the workers inherit the space function and the loaders, which need not pickle
    context = multiprocessing.get_context("fork")
    shares = [n_trials // processes + (i < n_trials % processes) for i in range(processes)]
    workers = [context.Process(target=_worker, args=(study_name, storage, sampler, grid,
                                                     None if seed is None else seed + i,
                                                     objective, share))
               for i, share in enumerate(shares) if share]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    failed = [w.exitcode for w in workers if w.exitcode]
    if failed:
        raise RuntimeError(f"search: {len(failed)} worker process(es) failed "
                           f"(exit codes {failed}); see their traceback above")
