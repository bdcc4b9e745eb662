"""fit(): learning, history, callbacks, exact resume."""
import csv
import math

import numpy as np
import pytest

import brique
import brique.nn as nn
from brique import datasets
from brique.train import (Callback, CSVLogger, EarlyStopping, LearningRateScheduler,
                          ModelCheckpoint, TerminateOnNaN, evaluate, fit, load_checkpoint,
                          predict, save_checkpoint)
from brique.utils.data import DataLoader


def blobs_loaders(seed=0):
    train = datasets.load("blobs", train=True, n_samples=300, seed=seed)
    test = datasets.load("blobs", train=False, n_samples=300, seed=seed)
    return DataLoader(train, batch_size=32, shuffle=True), DataLoader(test, batch_size=100)


def small_model():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def test_fit_learns_and_records_history():
    brique.manual_seed(0)
    train, test = blobs_loaders()
    model = small_model()
    opt = brique.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, train, test, epochs=8, optimizer=opt, loss="cross_entropy",
                  metrics=["accuracy"], verbose=0)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert len(h["loss"]) == 8 and h["loss"][-1] < h["loss"][0]
    assert h["val_accuracy"][-1] > 0.9
    assert evaluate(model, test, "cross_entropy", ["accuracy"])["accuracy"] == \
        pytest.approx(h["val_accuracy"][-1])
    assert predict(model, test).shape == (75, 3)


class Inject(Callback):
    """Puts a scripted 'score' into the logs and records the weights at each epoch end."""

    def __init__(self, scores):
        self.scores, self.weights = scores, []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]
        self.weights.append(self.state.model[0].weight.detach().numpy().copy())


def test_early_stopping_stops_and_restores_best_weights():
    brique.manual_seed(0)
    train, _ = blobs_loaders()
    model = small_model()
    opt = brique.optim.SGD(model.parameters(), lr=0.1)
    inject = Inject([0.5, 0.7, 0.9, 0.8, 0.85, 0.6, 0.99, 0.99])
    stop = EarlyStopping(monitor="score", mode="max", patience=2, restore_best_weights=True)
    history = fit(model, train, epochs=8, optimizer=opt, loss="cross_entropy",
                  callbacks=[inject, stop], verbose=0)
    assert stop.stopped_epoch == 4 and stop.best_epoch == 2 and len(history.epoch) == 5
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), inject.weights[2])


def test_early_stopping_names_missing_monitor():
    train, _ = blobs_loaders()
    model = small_model()
    with pytest.raises(KeyError, match="val_loss"):
        fit(model, train, epochs=1, optimizer=brique.optim.SGD(model.parameters(), lr=0.1),
            loss="cross_entropy", callbacks=[EarlyStopping()], verbose=0)


def test_csv_logger_checkpoint_and_lr_scheduler(tmp_path):
    brique.manual_seed(0)
    train, test = blobs_loaders()
    model = small_model()
    opt = brique.optim.SGD(model.parameters(), lr=0.1)
    sched = brique.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    fit(model, train, test, epochs=3, optimizer=opt, loss="cross_entropy",
        metrics=["accuracy"], verbose=0,
        callbacks=[LearningRateScheduler(sched), CSVLogger(tmp_path / "h.csv"),
                   ModelCheckpoint(tmp_path / "best.npz", monitor="val_accuracy")])
    rows = list(csv.DictReader(open(tmp_path / "h.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert [float(r["lr"]) for r in rows] == [0.1, 0.05, 0.025]
    ckpt = brique.load(tmp_path / "best.npz")
    assert ckpt["epoch"] >= 1 and "optimizer" in ckpt and "val_accuracy" in ckpt["logs"]


def test_reduce_lr_on_plateau_is_fed_the_monitored_value():
    train, test = blobs_loaders()
    model = small_model()
    opt = brique.optim.SGD(model.parameters(), lr=0.1)
    inject = Inject([1.0] * 6)
    sched = brique.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1, factor=0.1)
    h = fit(model, train, epochs=6, optimizer=opt, loss="cross_entropy", verbose=0,
            callbacks=[inject, LearningRateScheduler(sched, monitor="score")])
    assert opt.param_groups[0]["lr"] < 0.1 and h.history["lr"][0] == 0.1


def test_terminate_on_nan():
    train, _ = blobs_loaders()
    model = small_model()
    opt = brique.optim.SGD(model.parameters(), lr=0.1)

    def bad_loss(out, y):
        return out.sum() * float("nan")
    h = fit(model, train, epochs=5, optimizer=opt, loss=bad_loss, callbacks=[TerminateOnNaN()],
            verbose=0)
    assert len(h.epoch) == 1 and math.isnan(h.history["loss"][0])


def test_resume_is_bit_identical(tmp_path):
    """4 epochs straight == 2 epochs, checkpoint, fresh objects, resume, 2 more."""
    def run(epochs, initial_epoch=0, resume_from=None, save_to=None):
        brique.manual_seed(0)
        train = DataLoader(datasets.load("moons", n_samples=256, noise=0.2), batch_size=32,
                           shuffle=True)
        model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Dropout(0.2), nn.Linear(32, 2))
        opt = brique.optim.Adam(model.parameters(), lr=0.01)
        if resume_from:
            load_checkpoint(resume_from, model, opt)
        fit(model, train, epochs=epochs, initial_epoch=initial_epoch, optimizer=opt,
            loss="cross_entropy", verbose=0)
        if save_to:
            save_checkpoint(save_to, model, opt, epoch=epochs)
        return model
    straight = run(4)
    run(2, save_to=tmp_path / "half.npz")
    resumed = run(4, initial_epoch=2, resume_from=tmp_path / "half.npz")
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), k


def test_verbose_progress_prints(capsys):
    train, _ = blobs_loaders()
    model = small_model()
    fit(model, train, epochs=1, optimizer=brique.optim.SGD(model.parameters(), lr=0.1),
        loss="cross_entropy", metrics=["accuracy"], verbose=1)
    out = capsys.readouterr()
    assert "epoch 1/1" in out.out + out.err and "loss" in out.out + out.err


def test_bad_loss_and_metric_names():
    train, _ = blobs_loaders()
    model = small_model()
    opt = brique.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        fit(model, train, epochs=1, optimizer=opt, loss="hinge", verbose=0)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, train, epochs=1, optimizer=opt, loss="mse", metrics=["f1"], verbose=0)


def test_history_per_batch_keeps_every_batch_loss():
    from brique.train import History
    brique.manual_seed(0)
    train, _ = blobs_loaders()
    model = small_model()
    batches = History(per_batch=True)
    history = fit(model, train, epochs=2, optimizer=brique.optim.SGD(model.parameters(), lr=0.1),
                  loss="cross_entropy", callbacks=[batches], verbose=0)
    losses = batches.batch_history["loss"]
    assert len(losses) == 2 * len(train)
    # the epoch loss is the mean of its batch losses, weighted by batch size
    n = len(train.dataset)
    sizes = [min(32, n - i) for i in range(0, n, 32)]
    assert history.history["loss"][0] == pytest.approx(
        np.dot(losses[:len(train)], sizes) / sum(sizes), rel=1e-5)
    assert History().batch_history == {}
