"""Callbacks for fit(), with Keras's hooks and names. A callback sees the training state
(`self.state.model`, `.optimizer`, `.epoch`, `.history`) and may set
`self.state.stop_training = True`."""
from __future__ import annotations

import csv
import math
import os


class Callback:
    state = None
    # Callbacks that write files run on rank 0 only in data-parallel training (fit drops them
    # on the other ranks, which see the same averaged logs).
    rank_zero_only = False

    def set_state(self, state):
        self.state = state

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class CallbackList:
    def __init__(self, callbacks, state):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_state(state)

    def __getattr__(self, hook):
        def call(*args):
            for cb in self.callbacks:
                getattr(cb, hook)(*args)
        return call


class History(Callback):
    """`history.history['val_loss']` etc.: one value per epoch, as Keras keeps them. With
    per_batch=True it also keeps every batch's logs in `history.batch_history['loss']` etc.
    (pass it to fit() in `callbacks`: curves finer than an epoch)."""

    def __init__(self, per_batch=False):
        self.history, self.epoch = {}, []
        self.per_batch, self.batch_history = per_batch, {}

    def on_batch_end(self, batch, logs=None):
        if self.per_batch:
            for k, v in (logs or {}).items():
                self.batch_history.setdefault(k, []).append(v)

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def plot(self, path=None, metrics=None):
        """Loss (and each metric) per epoch, train and validation; returns the matplotlib
        Figure (a notebook shows it) and saves it to `path` if given. The process's matplotlib
        backend is left alone: with a path the figure is drawn off pyplot. Needs matplotlib."""
        fig = self.figure(metrics, pyplot=path is None)
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig

    def figure(self, metrics=None, pyplot=False):
        """The curves as a matplotlib Figure, made by pyplot (shown by `plt.show()`) or not."""
        try:
            if pyplot:
                import matplotlib.pyplot as plt
                figure = plt.figure
            else:
                from matplotlib.figure import Figure as figure
        except ImportError:
            raise ImportError("History.plot needs matplotlib: pip install 'brique[data]'") \
                from None
        names = metrics or [k for k in self.history if not k.startswith("val_") and k != "lr"]
        fig = figure(figsize=(4.5 * len(names), 3.5))
        epochs = [e + 1 for e in self.epoch]
        for i, name in enumerate(names):
            ax = fig.add_subplot(1, len(names), i + 1)
            ax.plot(epochs, self.history[name], label=f"train {name}")
            if f"val_{name}" in self.history:
                ax.plot(epochs, self.history[f"val_{name}"], label=f"validation {name}")
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.legend()
        fig.tight_layout()
        return fig


class LivePlot(Callback):
    """The loss (and metric) curves redrawn after every epoch: in place in a notebook
    (IPython's display), and saved to `path` when one is given.

        fit(model, train, val, epochs=20, ..., callbacks=[LivePlot()])
    """
    rank_zero_only = True

    def __init__(self, metrics=None, path=None):
        self.metrics, self.path = metrics, path

    def on_epoch_end(self, epoch, logs=None):
        history = self.state.history
        fig = history.figure(self.metrics)
        if self.path is not None:
            fig.savefig(self.path, dpi=100)
        try:
            from IPython import display
        except ImportError:
            return
        display.clear_output(wait=True)
        display.display(fig)


def _better(mode, monitor):
    if mode == "auto":
        mode = "max" if any(s in monitor for s in ("acc", "auc", "precision", "recall")) \
            else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _monitored(logs, monitor, who):
    if monitor not in (logs or {}):
        raise KeyError(f"{who}: monitored value {monitor!r} is not in the logs "
                       f"{sorted(logs or {})}; pass validation data or monitor another key")
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs;
    with restore_best_weights, end with the weights of the best epoch."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 restore_best_weights=False, baseline=None):
        self.monitor, self.patience = monitor, patience
        self.mode = _better(mode, monitor)
        self.min_delta = abs(min_delta)
        self.restore_best_weights, self.baseline = restore_best_weights, baseline

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, None, None
        self.best = self.baseline if self.baseline is not None else \
            (math.inf if self.mode == "min" else -math.inf)
        self.best_weights = None

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.clone() for k, v in
                                     self.state.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.state.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.state.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Save model and optimizer state (brique.save, atomic) after each epoch, or only when
    `monitor` improves (save_best_only). `filepath` may hold `{epoch}`."""
    rank_zero_only = True

    def __init__(self, filepath, monitor="val_loss", save_best_only=True, mode="auto"):
        self.filepath, self.monitor, self.save_best_only = os.fspath(filepath), monitor, \
            save_best_only
        self.mode = _better(mode, monitor)
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None):
        from .checkpoint import save_checkpoint
        if self.save_best_only:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if not (value < self.best if self.mode == "min" else value > self.best):
                return
            self.best = value
        save_checkpoint(self.filepath.format(epoch=epoch + 1), self.state.model,
                        self.state.optimizer, epoch=epoch + 1, logs=dict(logs or {}))


class LearningRateScheduler(Callback):
    """Step an lr_scheduler each epoch (or each batch with interval='batch'); a
    ReduceLROnPlateau is stepped with logs[monitor]. A function schedule(epoch, lr) -> lr
    works too, as in Keras."""

    def __init__(self, scheduler, interval="epoch", monitor="val_loss"):
        if interval not in ("epoch", "batch"):
            raise ValueError(f"interval must be 'epoch' or 'batch', got {interval!r}")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor

    def _step(self, epoch, logs):
        if not hasattr(self.scheduler, "step"):
            for group in self.state.optimizer.param_groups:
                group["lr"] = self.scheduler(epoch + 1, group["lr"])
        elif type(self.scheduler).__name__ == "ReduceLROnPlateau":
            self.scheduler.step(_monitored(logs, self.monitor, "LearningRateScheduler"))
        else:
            self.scheduler.step()

    def on_batch_end(self, batch, logs=None):
        if self.interval == "batch":
            self._step(self.state.epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.interval == "epoch":
            self._step(epoch, logs)


class CSVLogger(Callback):
    """One row per epoch: epoch, then every logged value."""
    rank_zero_only = True

    def __init__(self, filename, separator=",", append=False):
        self.filename, self.separator, self.append = os.fspath(filename), separator, append

    def on_train_begin(self, logs=None):
        self.keys = None
        if not self.append and os.path.exists(self.filename):
            os.remove(self.filename)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        new_file = not os.path.exists(self.filename)
        if self.keys is None:
            self.keys = sorted(logs)
        with open(self.filename, "a", newline="") as f:
            writer = csv.writer(f, delimiter=self.separator)
            if new_file:
                writer.writerow(["epoch"] + self.keys)
            writer.writerow([epoch + 1] + [logs.get(k, "") for k in self.keys])


class TerminateOnNaN(Callback):
    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"batch {batch}: invalid loss {loss}, terminating training")
            self.state.stop_training = True
