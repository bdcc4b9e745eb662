"""The "Lego game": searching architectures and hyper-parameters.

The courses (seed 000 and seed 003: deep learning as "a Lego game" of bricks, convolution,
pooling, dense layers, optimizers and their settings, whose assembly is chosen by trial and
error on validation data) leave the choice of the assembly to search. brique.search runs that
search with Optuna: a function of the trial builds the network (number of conv blocks, their
width, where the pooling goes) and its training settings (optimizer, learning rate); TPE
proposes the next assembly from the scores of the previous ones; a median pruner stops
assemblies that are already behind after their first epoch.

The experiment searches under a fixed budget (a number of trials of a few epochs each on 2,000
mnist-5k images, scored on 1,000 validation images) and compares the best assembly, retrained
(its trained weights, kept), with the hand-made LeNet-5 trained with the same budget of epochs,
on the 1,000 test images. The trials table and the search's figures land in the report.
"""
from __future__ import annotations

import os

import numpy as np

import brique
import brique.nn as nn
from brique import models, optim
from brique.train import evaluate, fit
from brique.utils.data import DataLoader, TensorDataset

from . import Experiment, register
from ._common import mnist_subset

MEAN_STD = (0.1307, 0.3081)


def build(depth, width, pool):
    """depth conv 3x3 blocks of `width` channels with ReLU; 2x2 max-pooling after every block
    ('every') or once, after the first ('first'; the later blocks then work at 14x14, which
    keeps every trial within the budget on a CPU); then a 64-unit dense layer and 10 outputs."""
    layers, c, side = [], 1, 28
    for i in range(depth):
        layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
        c = width
        if pool == "every" or i == 0:
            layers.append(nn.MaxPool2d(2))
            side //= 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * side * side, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def make_optimizer(name, params, lr):
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    return optim.Adam(params, lr=lr)


def space(trial, epochs, seed, kept):
    """The search space: the architecture and its training settings, as one function. The
    models are kept (by trial number) so that the best one can be tested without retraining."""
    brique.manual_seed(seed + trial.number)
    depth = trial.suggest_int("depth", 1, 3)
    width = trial.suggest_categorical("width", [8, 16, 24])
    pool = trial.suggest_categorical("pool", ["every", "first"])
    opt = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    lr = trial.suggest_float("lr", 1e-4, 0.3, log=True)
    model = kept[trial.number] = build(depth, width, pool)
    return model, {"optimizer": make_optimizer(opt, model.parameters(), lr), "epochs": epochs}


def data(n_train, n_val, seed):
    rng = np.random.default_rng(seed)
    x, y = mnist_subset(True, n_train + n_val, rng, scale=MEAN_STD, pick="permutation")
    xt, yt = mnist_subset(False, None, rng, scale=MEAN_STD)
    sets = [TensorDataset(brique.tensor(a), brique.tensor(b)) for a, b in
            ((x[:n_train], y[:n_train]), (x[n_train:], y[n_train:]), (xt, yt))]
    train = DataLoader(sets[0], batch_size=32, shuffle=True, generator=seed)
    return train, DataLoader(sets[1], batch_size=500), DataLoader(sets[2], batch_size=500)


def test_accuracy(model, test):
    return evaluate(model, test, "cross_entropy", ["accuracy"])["accuracy"]


@register
class LegoExperiment(Experiment):
    name = "lego"
    claim = ("A TPE search with brique.search over depth, width, pooling placement, optimizer "
             "and learning rate, under a fixed budget of short trials on 2,000 mnist-5k images, "
             "finds an assembly that tests about as well as (within 1 point of) or better than "
             "the hand-made LeNet-5 trained with the same budget, pruning the hopeless trials.")

    def run(self, ctx):
        import optuna  # the 'search' extra; imported here so that listing experiments needs none
        from brique.search import search
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        n_train, n_val = ctx.size(2000, 300), ctx.size(1000, 200)
        trials, epochs = ctx.size(14, 4), ctx.size(3, 1)
        train, val, test = data(n_train, n_val, ctx.seed)
        kept = {}
        result = search(lambda t: space(t, epochs, ctx.seed, kept), train, val, n_trials=trials,
                        sampler="tpe", seed=ctx.seed, pruner="median")
        result.write(ctx.out_dir)
        found_acc = test_accuracy(kept[result.best_trial.number], test)
        brique.manual_seed(ctx.seed)
        lenet = models.LeNet5()
        fit(lenet, train, val, epochs=epochs, optimizer=optim.Adam(lenet.parameters(), lr=1e-3),
            loss="cross_entropy", metrics=["accuracy"], verbose=0)
        lenet_acc = test_accuracy(lenet, test)
        self._report(ctx, result, found_acc, lenet_acc, n_train, n_val, trials, epochs)

    def _report(self, ctx, result, found_acc, lenet_acc, n_train, n_val, trials, epochs):
        ctx.metric("best_params", result.best_params)
        ctx.metric("best_val_accuracy", result.best_value)
        ctx.metric("test_accuracy", {"search": found_acc, "lenet5": lenet_acc})
        ctx.metric("trials", len(result.trials))
        ctx.metric("pruned", len(result.pruned))
        ctx.metric("search_seconds", result.seconds)
        ctx.note(f"**Trials** ({trials} trials of at most {epochs} epochs on {n_train} images, "
                 f"scored by the best epoch's accuracy on {n_val} validation images; "
                 f"{len(result.pruned)} pruned by the median rule; {result.seconds:.0f} s). "
                 "Also in trials.csv.\n\n" + result.markdown())
        for name, caption in (("history.png", "optimisation history: each trial's validation "
                               "accuracy (pruned: last reported) and the best so far"),
                              ("importance.png", "fANOVA importance of each choice"),
                              ("parallel.png", "parallel coordinates of the completed trials")):
            if os.path.exists(os.path.join(ctx.out_dir, name)):
                ctx.blocks.append(f"![{caption}]({name})\n\n*{caption}*")
        ctx.table(["model", "test accuracy"],
                  [[f"search's best: {result.best_params}", found_acc],
                   ["LeNet-5 (Adam 1e-3)", lenet_acc]],
                  caption=f"both trained for {epochs} epochs on the same {n_train} images")
        held = found_acc >= lenet_acc - 0.01 and len(result.trials) == trials
        ctx.verdict(held, f"best assembly {result.best_params} (validation accuracy "
                          f"{result.best_value:.3f}) tests at {found_acc:.3f} against LeNet-5's "
                          f"{lenet_acc:.3f} with the same budget; {len(result.pruned)} of "
                          f"{len(result.trials)} trials pruned.")
