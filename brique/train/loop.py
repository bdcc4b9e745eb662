"""fit(), evaluate(), predict(): Keras's comfort over a PyTorch-style model.

    history = fit(model, train_loader, val_loader, epochs=10, optimizer=opt,
                  loss="cross_entropy", metrics=["accuracy"],
                  callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
"""
from __future__ import annotations

import math
import sys
import time

from ..autograd import no_grad
from ..distributed.group import rank_and_world_size
from ..tensor import Tensor
from .arrays import as_loaders
from .callbacks import CallbackList, History
from .metrics import get_metric

LOSSES = ("cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
          "binary_cross_entropy_with_logits", "smooth_l1_loss")


# Keras's loss names. A brique classifier outputs logits, so the categorical ones are
# cross_entropy on logits (class indices or probabilities as targets); binary_crossentropy
# takes probabilities, as in Keras.
KERAS_LOSSES = {"binary_crossentropy": "binary_cross_entropy",
                "categorical_crossentropy": "cross_entropy",
                "sparse_categorical_crossentropy": "cross_entropy",
                "mean_squared_error": "mse_loss", "mean_absolute_error": "l1_loss"}

# Optimizer names -> (brique.optim class, Keras 2's default hyper-parameters in brique's
# spelling): a name is Keras's idea, so it brings Keras's defaults (docs/keras.md says why).
OPTIMIZERS = {"sgd": ("SGD", {"lr": 0.01}),
              "rmsprop": ("RMSprop", {"lr": 0.001, "alpha": 0.9, "eps": 1e-7}),
              "adagrad": ("Adagrad", {"lr": 0.01, "eps": 1e-7}),
              "adadelta": ("Adadelta", {"lr": 1.0, "rho": 0.95, "eps": 1e-7}),
              "adam": ("Adam", {"lr": 0.001, "eps": 1e-7}),
              "adamw": ("AdamW", {"lr": 0.001, "eps": 1e-7})}


def get_optimizer(optimizer, params, **overrides):
    """An optimizer as given, or one built over `params` from a name ('adam', 'Adadelta',
    ...) with Keras 2's defaults, updated by `overrides` (brique's argument names)."""
    if not isinstance(optimizer, str):
        return optimizer
    key = optimizer.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; expected an optimizer object or "
                         f"one of {sorted(OPTIMIZERS)}")
    from .. import optim
    name, defaults = OPTIMIZERS[key]
    return getattr(optim, name)(params, **{**defaults, **overrides})


class TrainState:
    """What callbacks see and may change (stop_training)."""

    def __init__(self, model, optimizer, history):
        self.model, self.optimizer, self.history = model, optimizer, history
        self.epoch, self.stop_training = 0, False


def get_loss(loss):
    if callable(loss):
        return loss
    from ..nn import functional as F
    aliases = {"mse": "mse_loss", "mae": "l1_loss", "nll": "nll_loss",
               "bce": "binary_cross_entropy",
               "bce_with_logits": "binary_cross_entropy_with_logits", **KERAS_LOSSES}
    name = aliases.get(loss, loss)
    if name not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected a callable or one of "
                         f"{sorted(set(LOSSES) | set(aliases))}")
    return getattr(F, name)


def _to(batch, device):
    if device is None:
        return batch
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to(b, device) for b in batch)
    return batch


def _split(batch):
    if isinstance(batch, (list, tuple)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError("fit/evaluate expect batches of (inputs, targets); got "
                     f"{type(batch).__name__} of length {len(batch) if hasattr(batch, '__len__') else '?'}")


class _Progress:
    """verbose=1: a tqdm bar on stderr when tqdm is installed (else one line per epoch);
    verbose=2: one line per epoch on stdout, as Keras prints it; 0: silent."""

    def __init__(self, total, desc, verbose):
        self.bar, self.verbose, self.desc, self.t0 = None, verbose, desc, time.perf_counter()
        if verbose == 1:
            try:
                from tqdm.auto import tqdm
                self.bar = tqdm(total=total, desc=desc, leave=True, dynamic_ncols=True,
                                file=sys.stderr)
            except ImportError:
                pass

    def update(self, logs):
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)

    def close(self, logs):
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()})
            self.bar.close()
        elif self.verbose:
            body = "  ".join(f"{k} {v:.4f}" for k, v in logs.items())
            print(f"{self.desc}  {body}  ({time.perf_counter() - self.t0:.1f} s)")


class _Averages:
    """Sample-weighted means of the loss and metrics over an epoch; a metric that keeps its
    own state (see _stateful) reports its latest value, its value over the epoch so far."""

    def __init__(self, stateful=()):
        self.sums, self.count, self.stateful, self.latest = {}, 0, set(stateful), {}

    def add(self, n, values):
        self.count += n
        for k, v in values.items():
            if k in self.stateful:
                self.latest[k] = v
                self.sums.setdefault(k, 0.0)  # keeps the metrics' order in the logs
            else:
                self.sums[k] = self.sums.get(k, 0.0) + v * n

    def means(self):
        return {k: self.latest[k] if k in self.latest else s / max(self.count, 1)
                for k, s in self.sums.items()}

    def all_reduce(self):
        """Sum the counts and sums of every rank (data-parallel training): each rank then logs
        the means over the whole epoch."""
        from .. import distributed
        from ..creation import tensor
        keys = sorted(self.sums)
        packed = tensor([self.count] + [self.sums[k] for k in keys], dtype="float64")
        distributed.all_reduce(packed)
        self.count, *values = packed.tolist()
        self.sums = dict(zip(keys, values))


def _stateful(metric_fns):
    """The metrics that keep state over an epoch (those with a reset_state() method, as a
    Keras Metric: each call updates them with the batch and returns their value over all
    the batches so far; an epoch's AUC is not a mean of batch AUCs), reset for a new pass.
    With data-parallel training their state stays per rank."""
    names = set()
    for name, fn in metric_fns:
        if callable(getattr(fn, "reset_state", None)):
            fn.reset_state()
            names.add(name)
    return names


def _batch_size(y):
    if isinstance(y, (list, tuple)) and y:  # one target per output of a multi-output model
        return _batch_size(y[0])
    return len(y) if hasattr(y, "__len__") and getattr(y, "ndim", 1) else 1


def fit(model, train, val=None, *, epochs=1, optimizer, loss, metrics=(), callbacks=(),
        device=None, verbose=1, initial_epoch=0, batch_size=32, shuffle=True,
        validation_split=0.0, log_lr=True):
    """Train `model` on batches of (inputs, targets) from `train` for epochs
    [initial_epoch, epochs), validating on `val` after each; returns a History.

    train/val: iterables of (inputs, targets) batches (a DataLoader), or (X, y) NumPy arrays
    cut into batches of `batch_size` (reshuffled each epoch if `shuffle`); with arrays,
    `validation_split` holds out their last fraction as val, as Keras does.
    optimizer: an Optimizer, or a name ('adam', 'adadelta', 'sgd', 'rmsprop', ...) built over
    model.parameters() with Keras 2's defaults (OPTIMIZERS). loss: a callable(output, target)
    or a name ('cross_entropy', 'mse', or Keras's 'categorical_crossentropy', ...); metrics:
    names ('accuracy', 'top5', 'mae') or callables; callbacks: see brique.train.callbacks.
    log_lr: each epoch's logs (and the History) also hold the learning rate, as 'lr'.

    Data-parallel (a process group initialised, the model wrapped in DistributedDataParallel,
    the loader sampling with a DistributedSampler): each epoch calls the sampler's `set_epoch`,
    the logged loss and metrics are averaged over every rank's examples, and only rank 0 prints
    and runs the callbacks that write files.
    """
    train, val = as_loaders(train, val, batch_size, shuffle, validation_split)
    loss_fn = get_loss(loss)
    metric_fns = [get_metric(m) for m in metrics]
    optimizer = get_optimizer(optimizer, model.parameters())
    if device is not None:
        model.to(device)
    rank, world = rank_and_world_size()
    if rank != 0:
        verbose, callbacks = 0, [cb for cb in callbacks
                                  if not getattr(cb, "rank_zero_only", False)]
    history = History()
    state = TrainState(model, optimizer, history)
    cbs = CallbackList([history] + list(callbacks), state)
    cbs.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        state.epoch = epoch
        if hasattr(getattr(train, "sampler", None), "set_epoch"):
            train.sampler.set_epoch(epoch)
        cbs.on_epoch_begin(epoch)
        model.train()
        progress = _Progress(len(train) if hasattr(train, "__len__") else None,
                             f"epoch {epoch + 1}/{epochs}", verbose)
        totals = _train_epoch(state, train, loss_fn, metric_fns, cbs, progress, device)
        if world > 1:
            totals.all_reduce()
        logs = totals.means()
        if val is not None:
            logs.update({f"val_{k}": v for k, v in
                         evaluate(model, val, loss_fn, metrics, device).items()})
        if log_lr:  # the epoch's learning rate in the logs and the history, as 'lr'
            logs["lr"] = optimizer.param_groups[0]["lr"]
        progress.close({k: v for k, v in logs.items() if k != "lr"})
        cbs.on_epoch_end(epoch, logs)
        if state.stop_training or not math.isfinite(logs.get("loss", 0.0)):
            break
    cbs.on_train_end()
    return history


def _train_epoch(state, train, loss_fn, metric_fns, cbs, progress, device):
    """One pass over `train`: a step per batch; returns the epoch's running averages."""
    model, optimizer = state.model, state.optimizer
    totals = _Averages(_stateful(metric_fns))
    for i, batch in enumerate(train):
        x, y = _split(_to(batch, device))
        optimizer.zero_grad()
        out = model(x)
        loss_value = loss_fn(out, y)
        loss_value.backward()
        optimizer.step()
        values = {"loss": loss_value.item()}
        for name, fn in metric_fns:
            values[name] = fn(out, y)
        totals.add(_batch_size(y), values)
        progress.update(totals.means())
        cbs.on_batch_end(i, values)
        if state.stop_training:
            break
    return totals


def evaluate(model, data, loss=None, metrics=(), device=None, batch_size=32):
    """Mean loss and metrics over `data` (batches, or (X, y) arrays) in eval mode, without
    recording a graph."""
    data = as_loaders(data, None, batch_size, False, 0.0)[0]
    loss_fn = get_loss(loss) if loss is not None else None
    metric_fns = [get_metric(m) for m in metrics]
    was_training = model.training
    model.eval()
    totals = _Averages(_stateful(metric_fns))
    try:
        with no_grad():
            for batch in data:
                x, y = _split(_to(batch, device))
                out = model(x)
                values = {} if loss_fn is None else {"loss": loss_fn(out, y).item()}
                for name, fn in metric_fns:
                    values[name] = fn(out, y)
                totals.add(_batch_size(y), values)
    finally:
        model.train(was_training)
    return totals.means()


def predict(model, data, device=None, batch_size=256):
    """Outputs of `model` in eval mode for a Tensor (split in batches) or an iterable of
    batches (inputs, or (inputs, targets) pairs), concatenated along dim 0."""
    from ..ops.movement import cat
    if isinstance(data, Tensor):
        data = [data[i:i + batch_size] for i in range(0, len(data), batch_size)]
    was_training = model.training
    model.eval()
    outs = []
    try:
        with no_grad():
            for batch in data:
                x = batch[0] if isinstance(batch, (list, tuple)) else batch
                outs.append(model(_to(x, device)))
    finally:
        model.train(was_training)
    return cat(outs, 0)
