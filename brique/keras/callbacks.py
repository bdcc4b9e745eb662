"""Keras's callbacks on brique's fit loop. A Keras-style callback sees `self.model` (the
model being trained) and may set `self.model.stop_training = True`; brique's callbacks
(`brique.train.callbacks`) work here too."""
from __future__ import annotations

import math

from ..train import callbacks as _cb
from ..train.callbacks import CSVLogger, History, TerminateOnNaN  # noqa: F401


class Callback(_cb.Callback):
    """Keras's base class: override on_epoch_end(epoch, logs), on_batch_end(batch, logs),
    on_train_begin/end, on_epoch_begin."""

    params: dict = {}
    model = property(lambda self: self.state.model if self.state is not None else None)


class EarlyStopping(_cb.EarlyStopping):
    """Keras's arguments and defaults (monitor 'val_loss', patience 0)."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False):
        super().__init__(monitor, min_delta, patience, mode, restore_best_weights, baseline)
        self.verbose = verbose


class ModelCheckpoint(Callback):
    """Saves the whole model (model.save: architecture, weights, optimizer state; read back
    with keras.models.load_model) or, with save_weights_only, its weights
    (model.save_weights) after every `period` epochs, or only when `monitor` improves with
    save_best_only; `filepath` may use the epoch and the logs:
    'model.{epoch:02d}-{val_loss:.2f}.keras'."""
    rank_zero_only = True

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", period=1):
        self.filepath, self.monitor, self.verbose = str(filepath), monitor, verbose
        self.save_best_only, self.period = save_best_only, period
        self.save_weights_only = save_weights_only
        self.mode = _cb._better(mode, monitor)
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if (epoch + 1) % self.period:
            return
        if self.save_best_only:
            value = _cb._monitored(logs, self.monitor, "ModelCheckpoint")
            if not (value < self.best if self.mode == "min" else value > self.best):
                return
            self.best = value
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.verbose:
            print(f"Epoch {epoch + 1:05d}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class LearningRateScheduler(Callback):
    """Sets the learning rate at each epoch's start to schedule(epoch) or
    schedule(epoch, lr) (epochs counted from 0), as Keras does."""

    def __init__(self, schedule, verbose=0):
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        groups = self.state.optimizer.param_groups
        try:
            lr = self.schedule(epoch, groups[0]["lr"])
        except TypeError:
            lr = self.schedule(epoch)
        for group in groups:
            group["lr"] = float(lr)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` has not improved by min_delta
    for `patience` epochs, then wait `cooldown` epochs; never below min_lr."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.mode, self.min_delta = _cb._better(mode, monitor), min_delta
        self.cooldown, self.min_lr, self.verbose = cooldown, min_lr, verbose

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait, self.cooldown_counter = 0, 0

    def on_epoch_end(self, epoch, logs=None):
        value = _cb._monitored(logs, self.monitor, "ReduceLROnPlateau")
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        better = value < self.best - self.min_delta if self.mode == "min" else \
            value > self.best + self.min_delta
        if better:
            self.best, self.wait = value, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                for group in self.state.optimizer.param_groups:
                    group["lr"] = max(group["lr"] * self.factor, self.min_lr)
                self.cooldown_counter, self.wait = self.cooldown, 0


class LambdaCallback(Callback):
    """Callbacks from functions: LambdaCallback(on_epoch_end=lambda epoch, logs: ...)."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **unused):
        # Keras's functions take (epoch or batch, logs) or (logs): brique's loop may call
        # them with fewer arguments, so the missing logs come as {}.
        for hook, fn, arity in (("on_epoch_begin", on_epoch_begin, 2),
                                ("on_epoch_end", on_epoch_end, 2),
                                ("on_batch_end", on_batch_end, 2),
                                ("on_train_begin", on_train_begin, 1),
                                ("on_train_end", on_train_end, 1)):
            if fn is not None:
                setattr(self, hook, lambda *a, fn=fn, k=arity: fn(*(a + ({},) * (k - len(a)))))


class TensorBoard(Callback):
    """Keras's TensorBoard callback: the epoch's logs as scalars 'epoch_<name>' in
    log_dir/train and (the 'val_' ones, prefix dropped) log_dir/validation; with update_freq
    'batch' or n, every n-th batch's logs as 'batch_<name>' too; with histogram_freq, each
    weight's histogram every that many epochs; with write_graph, the model's graph (for a
    model whose input shape is known). Files are brique.utils.tensorboard's event files,
    read by `tensorboard --logdir`."""
    rank_zero_only = True

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        if embeddings_freq:
            raise ValueError("TensorBoard: embeddings_freq (the embedding projector) is not "
                             "written by brique.keras; use 0")
        if update_freq not in ("epoch", "batch") and not (isinstance(update_freq, int)
                                                          and update_freq > 0):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive "
                             f"int, got {update_freq!r}")
        self.log_dir, self.histogram_freq, self.write_graph = str(log_dir), histogram_freq, \
            write_graph
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._writers, self._batches = {}, 0

    def _writer(self, run):
        from ..utils.tensorboard import SummaryWriter
        import os
        if run not in self._writers:
            self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def on_train_begin(self, logs=None):
        model = self.model
        shapes = [t.shape for t in getattr(model, "inputs", [])]
        if self.write_graph and shapes and all(None not in s[1:] for s in shapes):
            from ..keras.engine import to_tensor
            import numpy as np
            inputs = [to_tensor(np.zeros((1,) + tuple(s[1:]), dtype=np.float32))
                      for s in shapes]
            self._writer("train").add_graph(
                _Called(model), tuple(inputs) if len(inputs) > 1 else inputs[0])

    def on_batch_end(self, batch, logs=None):
        self._batches += 1
        if self.update_freq != "epoch" and self._batches % self.update_freq == 0:
            for name, value in (logs or {}).items():
                self._writer("train").add_scalar(f"batch_{name}", value, self._batches)

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            run = "validation" if name.startswith("val_") else "train"
            self._writer(run).add_scalar(f"epoch_{name.removeprefix('val_')}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for name, p in self.model.named_parameters():
                self._writer("train").add_histogram(name, p, epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for w in self._writers.values():
            w.close()
        self._writers = {}


class _Called:
    """A Keras model as add_graph calls it: model(inputs) with several inputs as one list."""

    def __init__(self, model):
        self.model = model

    def __call__(self, *inputs):
        return self.model(list(inputs) if len(inputs) > 1 else inputs[0])

    def named_parameters(self):
        return self.model.named_parameters()
