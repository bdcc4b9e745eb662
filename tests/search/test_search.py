"""brique.search: samplers, pruning through fit, threads and processes, the trials table and
figures, on a small two-blob problem that a linear layer solves."""
import threading

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

import brique  # noqa: E402
from brique import nn, optim  # noqa: E402
from brique.search import Pruning, search  # noqa: E402
from brique.utils.data import DataLoader, TensorDataset  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _blobs(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = (rng.normal(size=(n, 2)) + 2.0 * (2 * y[:, None] - 1)).astype(np.float32)
    return DataLoader(TensorDataset(brique.tensor(x), brique.tensor(y)), batch_size=32)


TRAIN, VAL = _blobs(256, 0), _blobs(128, 1)


def space(trial):
    brique.manual_seed(trial.number)
    width = trial.suggest_categorical("width", [4, 8])
    lr = trial.suggest_float("lr", 1e-4, 0.5, log=True)
    model = nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 2))
    return model, {"optimizer": optim.SGD(model.parameters(), lr=lr), "epochs": 3}


def test_tpe_search_finds_a_good_model_and_writes_its_report(tmp_path):
    result = search(space, TRAIN, VAL, n_trials=8, sampler="tpe", seed=0, pruner="none")
    assert len(result.completed) == 8
    assert result.best_value > 0.95 and result.best_params["lr"] > 1e-2
    rows = result.rows()
    assert [r["trial"] for r in rows] == list(range(8))
    assert {"state", "val_accuracy", "epochs", "seconds", "params_count", "width", "lr"} <= set(rows[0])
    assert all(r["epochs"] == 3 for r in rows)
    paths = result.write(tmp_path)
    for name in ("trials.csv", "trials.md", "history.png", "importance.png", "parallel.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert len((tmp_path / "trials.csv").read_text().splitlines()) == 9
    assert len(paths) == 5
    assert abs(sum(result.importance().values()) - 1) < 1e-6


def test_grid_sampler_visits_every_point_once():
    grid = {"width": [4, 8], "lr": [0.01, 0.1, 0.3]}
    result = search(space, TRAIN, VAL, sampler="grid", grid=grid, seed=0, pruner="none")
    seen = sorted((t.params["width"], t.params["lr"]) for t in result.trials)
    assert seen == sorted((w, lr) for w in grid["width"] for lr in grid["lr"])


def test_random_sampler_with_a_loss_monitor_minimizes():
    result = search(space, TRAIN, VAL, n_trials=4, sampler="random", monitor="val_loss", seed=1)
    assert result.study.direction == optuna.study.StudyDirection.MINIMIZE
    assert result.best_value == min(t.value for t in result.completed)


def frozen_or_learning(trial):
    """lr 0 with a zero last layer: a constant output, ~50% accuracy whatever the init."""
    brique.manual_seed(trial.number)
    lr = trial.suggest_categorical("lr", [0.0, 0.3])
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    nn.init.zeros_(model[2].weight)
    nn.init.zeros_(model[2].bias)
    return model, {"optimizer": optim.SGD(model.parameters(), lr=lr), "epochs": 3}


def test_pruning_stops_hopeless_trials_through_the_fit_callback():
    # trials below 80% validation accuracy after their first epoch are stopped there
    result = search(frozen_or_learning, TRAIN, VAL, sampler="grid", grid={"lr": [0.0, 0.3]},
                    seed=0, pruner=optuna.pruners.ThresholdPruner(lower=0.8))
    by_lr = {t.params["lr"]: t for t in result.trials}
    assert by_lr[0.0].state == optuna.trial.TrialState.PRUNED
    assert len(by_lr[0.0].intermediate_values) == 1
    assert by_lr[0.3].state == optuna.trial.TrialState.COMPLETE
    assert [r["state"] for r in result.rows()].count("pruned") == 1


def test_pruning_callback_needs_the_monitored_value():
    study = optuna.create_study()
    cb = Pruning(study.ask(), monitor="val_accuracy")
    with pytest.raises(ValueError, match="val_accuracy"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_trials_in_threads_and_grad_mode_is_per_thread():
    seen = []

    def other():
        seen.append(brique.is_grad_enabled())
    with brique.no_grad():
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == [True]
    result = search(space, TRAIN, VAL, n_trials=4, n_jobs=2, sampler="random", seed=0,
                    pruner="none")
    assert len(result.completed) == 4 and result.best_value > 0.9


def test_trials_in_processes_share_a_journal_file(tmp_path):
    path = tmp_path / "journal.log"
    result = search(space, TRAIN, VAL, n_trials=4, processes=2, storage=str(path),
                    sampler="random", seed=0, pruner="none")
    assert len(result.completed) == 4 and path.stat().st_size > 0
    again = search(space, TRAIN, VAL, n_trials=1, storage=str(path), load_if_exists=True,
                   sampler="random", seed=5, pruner="none")
    assert len(again.trials) == 5


def test_bad_arguments_say_what_is_expected():
    with pytest.raises(ValueError, match="grid"):
        search(space, TRAIN, VAL, sampler="grid")
    with pytest.raises(ValueError, match="unknown sampler"):
        search(space, TRAIN, VAL, n_trials=1, sampler="bayes")
    with pytest.raises(ValueError, match="journal"):
        search(space, TRAIN, VAL, n_trials=2, processes=2)
    with pytest.raises(TypeError, match="model, settings"):
        search(lambda trial: nn.Linear(2, 2), TRAIN, VAL, n_trials=1)
