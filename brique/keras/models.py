"""Keras's Model: compile, fit, evaluate, predict on NumPy arrays, trained by brique's own
`fit` (brique/train/loop.py): the model is the nn.Module it trains, the Keras loss and metrics
are adapted to its (output, target) functions. Saving: model_saving.py; Sequential:
sequential.py (both importable from here, as Keras's keras.models)."""
from __future__ import annotations

import copy
import json

from ..train import callbacks as _cb
from ..train import evaluate as _evaluate
from ..train import fit as _fit
from ..optim import Optimizer as _BriqueOptimizer
from ..optim.lr_scheduler import LambdaLR
from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _optimizers
from . import data_adapters as _data
from . import callbacks as _keras_callbacks
from . import saving as _saving
from .engine import to_tensor
from .model_saving import ModelSaving
from .metric_classes import to_array
from .network import Network, _as_list, predict_arrays


class _StopFlag(_cb.Callback):
    """Carries Keras's `model.stop_training = True` over to brique's loop."""

    def on_batch_end(self, batch, logs=None):
        self.state.stop_training |= bool(getattr(self.state.model, "stop_training", False))

    on_epoch_end = on_batch_end


class _Constraints(_cb.Callback):
    """Keras applies the layers' weight constraints right after each optimizer step."""

    def on_batch_end(self, batch, logs=None):
        self.state.model.apply_constraints()


# Keras's logs hold the learning rate ('lr', Keras 2) only when one of these changes it.
_LR_CALLBACKS = (_keras_callbacks.ReduceLROnPlateau, _keras_callbacks.LearningRateScheduler)


class _OutputMetric:
    """A Keras Metric on output i, as brique.train's fit takes a metric that keeps state over
    an epoch: reset_state() when the epoch starts, then each call updates it with a batch and
    returns its value so far (the whole epoch's after the last batch)."""

    def __init__(self, i, metric, name):
        self.i, self.metric, self.__name__ = i, metric, name

    def reset_state(self):
        self.metric.reset_state()

    def __call__(self, out, y):
        self.metric.update_state(_as_list(y)[self.i], _as_list(out)[self.i])
        value = to_array(self.metric.result())
        return float(value) if value.size == 1 else value


def _metric_spec(metrics):
    """compile()'s metrics kept as given: a dict by output name, or a list."""
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        return dict(metrics)
    return list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]


def _output_metrics(spec, names, i):
    """The metrics for output i: a dict by output name, one list per output, or one list
    for every output."""
    if isinstance(spec, dict):
        unknown = set(spec) - set(names)
        if unknown:
            raise ValueError(f"compile: metrics for {sorted(unknown)}, which are not outputs "
                             f"of the model ({names})")
        value = spec.get(names[i], [])
    elif len(names) > 1 and spec and all(isinstance(s, (list, tuple)) for s in spec):
        if len(spec) != len(names):
            raise ValueError(f"compile: {len(spec)} lists of metrics for {len(names)} outputs")
        value = spec[i]
    else:
        value = spec
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _device(model):
    """The device of a model moved with model.to('cuda'), so batches follow it; None on CPU."""
    p = next(iter(model.parameters()), None)
    return p.device if p is not None and p.device.type != "cpu" else None


class Model(ModelSaving, Network):
    """`Model(inputs, outputs)`: the layers between symbolic inputs and outputs, trained with
    compile() then fit(x, y)."""

    compiled = False

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, **kwargs):
        """optimizer: a name ('adadelta', 'adam', ...: Keras 2's defaults), a
        brique.keras.optimizers object or a brique.optim optimizer; loss: a Keras name,
        function(y_true, y_pred) or Loss, or one per output (list or dict by output layer
        name); metrics (and weighted_metrics, the same without sample weights): names
        ('accuracy', 'mae', 'AUC', ...), functions(y_true, y_pred) or Metric classes and
        instances, for every output, or per output (dict by output name, or one list per
        output). A Metric is reported over each whole epoch (an epoch's AUC)."""
        for ignored in ("run_eagerly", "jit_compile", "steps_per_execution",
                        "auto_scale_loss"):  # how Keras runs, not what it computes
            kwargs.pop(ignored, None)
        unsupported = {k: v for k, v in kwargs.items() if v is not None}
        if unsupported:
            raise ValueError(f"compile: {sorted(unsupported)} not supported by brique.keras")
        if loss is None:
            raise ValueError("compile: a loss is needed (e.g. loss='binary_crossentropy')")
        self.loss, self.metrics = loss, _metric_spec(metrics)
        self.weighted_metrics = _metric_spec(weighted_metrics)
        self._optimizer_spec = optimizer
        self.optimizer = _optimizers.get(optimizer)
        self.loss_weights = loss_weights
        self.compiled = True
        if self.built:
            self._resolve_outputs()

    def _resolve_outputs(self):
        specs = self._output_specs()
        names = [name for name, _ in specs]
        n = len(names)
        per = self.loss
        if isinstance(per, dict):
            per = [per[name] for name in names]
        per = per if isinstance(per, (list, tuple)) else [per] * n
        weights = self.loss_weights or [1.0] * n
        if isinstance(weights, dict):
            weights = [weights.get(name, 1.0) for name in names]
        if len(per) != n or len(weights) != n:
            raise ValueError(f"compile: the model has {n} outputs; got {len(per)} losses and "
                             f"{len(weights)} loss weights")
        self._losses = [_losses.get(loss) for loss in per]
        self._loss_weights = list(weights)
        self._metric_fns, used = [], set()
        for weighted in (False, True):
            spec = self.weighted_metrics if weighted else self.metrics
            for i, ((_, shape), loss) in enumerate(zip(specs, per)):
                for m in _output_metrics(spec, names, i):
                    metric = _metrics.get(m, loss, shape)
                    if isinstance(metric, _metrics.Metric):
                        if id(metric) in used:  # one instance per output, as Keras keeps
                            metric = copy.deepcopy(metric)
                        used.add(id(metric))
                        name = metric.name
                    else:
                        name = m if isinstance(m, str) else getattr(m, "__name__", "metric")
                    name = f"{names[i]}_{name}" if n > 1 else name
                    if weighted and name in [f.__name__ for f in self._metric_fns]:
                        name = f"weighted_{name}"
                    self._metric_fns.append(self._metric(i, metric, name))
        self.metrics_names = ["loss"] + [fn.__name__ for fn in self._metric_fns]

    def _train_loss(self, out, y, sample_weight=None):
        outs, ys = _as_list(out), _as_list(y)
        total = None
        for fn, w, o, t in zip(self._losses, self._loss_weights, outs, ys):
            value = (fn(t, o).mean() if sample_weight is None else
                     _data.weighted_loss(fn, t, o, sample_weight)) * w
            total = value if total is None else total + value
        for term in self.losses:  # regularizers, activity terms, add_loss: added as Keras does
            total = total + term
        return total

    @staticmethod
    def _metric(i, metric, name):
        """Output i's metric (a function is averaged over samples as a MeanMetricWrapper)
        in brique.train's protocol for metrics that keep state over an epoch."""
        if not isinstance(metric, _metrics.Metric):
            metric = _metrics.MeanMetricWrapper(metric, name=name)
        return _OutputMetric(i, metric, name)

    def _prepare(self, x):
        if not self.compiled:
            raise RuntimeError(f"{self.name}: compile the model before fit/evaluate")
        self._build_on(x)
        self._resolve_outputs()
        opt = self.optimizer
        if isinstance(opt, _optimizers.Optimizer):
            if opt.optimizer is None:
                opt.build(self.parameters())
            return opt.optimizer, opt
        if isinstance(opt, _BriqueOptimizer):
            return opt, None
        raise TypeError(f"compile: optimizer must be a name or an optimizer object, got "
                        f"{type(opt).__name__}")

    def _build_on(self, x):
        if self._subclassed and self.__dict__.get("_single_output") is None:
            self._probe(x)
        elif not self.built:
            raise RuntimeError(f"{self.name}: the model has no inputs yet")

    # ------------------------------------------------------------------ training
    def _weighted_loss(self, out, y):
        """The loss of a batch whose targets may carry sample weights (data_adapters)."""
        if isinstance(y, _data.WeightedTargets):
            return self._train_loss(out, y[0], sample_weight=y[1])
        return self._train_loss(out, y)

    def _sample_inputs(self, x):
        """x, or the inputs of a Sequence's / generator's first batch while the model is
        unbuilt (a Sequential without input_shape builds on them); and the source to use."""
        if self.built or not _data.is_batch_source(x):
            return x, x
        return _data.peek_inputs(x)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, nb_epoch=None, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1,
            max_queue_size=10, workers=1, use_multiprocessing=False, **kwargs):
        """Train for `epochs` epochs on arrays (in batches of `batch_size`, 32), a Sequence /
        PyDataset, a generator (steps_per_epoch batches an epoch) or an ImageDataGenerator's
        flow; sample_weight / class_weight weigh each sample's loss. Returns a History whose
        `.history` maps 'loss', each metric and their 'val_' versions to per-epoch values.
        x and y may be dicts by input and output name."""
        if kwargs:
            raise ValueError(f"fit: unknown arguments {sorted(kwargs)}")
        if validation_freq != 1:
            raise ValueError("fit: validation_freq other than 1 is not supported")
        x, y = self._by_name(x, y)
        if isinstance(validation_data, (tuple, list)) and validation_data:
            validation_data = self._by_name(*validation_data[:2]) + tuple(validation_data[2:])
        sample, x = self._sample_inputs(x)
        brique_opt, keras_opt = self._prepare(sample)
        train, val, validation_split = _data.fit_data(
            x, y, sample_weight, class_weight, batch_size or 32, shuffle, validation_split,
            validation_data, steps_per_epoch, validation_steps)
        extra = [_StopFlag(), _Constraints()]
        if keras_opt is not None and keras_opt.decay:
            decay = keras_opt.decay
            extra.append(_cb.LearningRateScheduler(
                LambdaLR(brique_opt, lambda it: 1.0 / (1.0 + decay * it)), interval="batch"))
        self.stop_training = False
        was_training = self.training  # Keras: inference again after fit
        try:
            history = _fit(self, train, val, epochs=nb_epoch or epochs, optimizer=brique_opt,
                           loss=self._weighted_loss,
                           metrics=[_data.Unweighted(m) for m in self._metric_fns],
                           callbacks=list(callbacks or []) + extra, verbose=verbose,
                           initial_epoch=initial_epoch, batch_size=batch_size or 32,
                           device=_device(self),
                           shuffle=bool(shuffle), validation_split=validation_split,
                           log_lr=any(isinstance(cb, _LR_CALLBACKS) for cb in callbacks or []))
        finally:
            self.train(was_training)
        history.model, self.history = self, history
        history.params = {"epochs": nb_epoch or epochs, "batch_size": batch_size or 32,
                          "metrics": list(history.history)}
        return history

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      class_weight=None, shuffle=True, initial_epoch=0, **kwargs):
        """Keras 2's name (and positional order) for fit on a generator or Sequence."""
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs,
                        verbose=verbose, callbacks=callbacks, validation_data=validation_data,
                        validation_steps=validation_steps, class_weight=class_weight,
                        shuffle=shuffle, initial_epoch=initial_epoch, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, return_dict=False, **kwargs):
        """The loss (and metrics: a list in `metrics_names` order, or a dict by name with
        return_dict) on arrays, a Sequence or a generator (`steps` batches)."""
        x, y = self._by_name(x, y)
        sample, x = self._sample_inputs(x)
        self._prepare(sample)
        if _data.is_batch_source(x):
            data = _data.batches(x, steps, what="evaluate")
        elif sample_weight is not None:
            data = _data.array_data(x, y, sample_weight, None, batch_size or 32, False, 0.0,
                                    "evaluate")[0]
        else:
            data = (x, y)
        logs = _evaluate(self, data, self._weighted_loss,
                         [_data.Unweighted(m) for m in self._metric_fns],
                         device=_device(self), batch_size=batch_size or 32)
        values = [logs[name] for name in self.metrics_names]
        if return_dict:
            return dict(zip(self.metrics_names, values))
        return values[0] if len(values) == 1 else values

    def _by_name(self, x, y=None):
        """Inputs and targets given as dicts by input / output name, as lists in the model's
        order (Keras's `fit({'title': ..., 'body': ...}, {'priority': ...})`)."""
        if not self.outputs:  # a subclassed model names nothing: its data goes as it is
            return x, y
        return self.ordered(x), self.ordered(y, "outputs")

    def evaluate_generator(self, generator, steps=None, verbose=0, **kwargs):
        return self.evaluate(generator, steps=steps, verbose=verbose)

    def predict(self, x, batch_size=None, verbose=0, steps=None, **kwargs):
        """Outputs on arrays, or on the batches of a Sequence or generator (`steps`)."""
        sample, x = self._sample_inputs(x)
        self._build_on(sample)
        if _data.is_batch_source(x):
            return _data.predict_batches(x, steps, lambda xb: predict_arrays(
                self, xb, len(_as_list(xb)[0]), _device(self)))
        return predict_arrays(self, x, batch_size or 32, _device(self))

    def predict_generator(self, generator, steps=None, verbose=0, **kwargs):
        return self.predict(generator, steps=steps, verbose=verbose)

    def train_on_batch(self, x, y):
        x, y = self._by_name(x, y)
        opt, _ = self._prepare(x)
        opt.zero_grad()
        out = self(_as_list(x) if isinstance(x, (list, tuple)) else x, training=True)
        loss = self._train_loss(out, [to_tensor(t) for t in y] if isinstance(y, (list, tuple))
                                else to_tensor(y))
        loss.backward()
        opt.step()
        self.apply_constraints()
        return loss.item()

    def test_on_batch(self, x, y):
        x, y = self._by_name(x, y)
        return self.evaluate(x, y, batch_size=len(_as_list(x)[0]), verbose=0)

    def predict_on_batch(self, x):
        x, _ = self._by_name(x)
        return self.predict(x, batch_size=len(_as_list(x)[0]))


# Sequential (sequential.py) builds on Model: imported after it.
from .sequential import Sequential  # noqa: E402


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model written by model.save(); see brique.keras.saving.load_model."""
    return _saving.load_model(filepath, custom_objects=custom_objects, compile=compile,
                              safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    """model.save(filepath), as a function."""
    _saving.save_model(model, filepath, overwrite=overwrite,
                       include_optimizer=include_optimizer, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """The (untrained, uncompiled) model that model.to_json() described."""
    try:
        config = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"model_from_json: not a JSON model description ({e})") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("model_from_json: expected the JSON of model.to_json()")
    return _saving.deserialize_layer(config, custom_objects)


def model_from_config(config, custom_objects=None):
    """The model that {class_name, config} (model.to_json()'s content) describes."""
    return _saving.deserialize_layer(config, custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture with new, freshly initialized weights (Keras's
    clone_model: weights are not copied; `clone.set_weights(model.get_weights())` does that).
    `clone_function(layer) -> layer` builds each layer of a Sequential model (default: the
    layer rebuilt from its get_config())."""
    if input_tensors is not None:
        raise ValueError("clone_model: input_tensors is not supported; clone, then call the "
                         "clone on the new inputs")
    if clone_function is None:
        return model_from_json(model.to_json())
    if not isinstance(model, Sequential):
        raise ValueError("clone_model: clone_function is supported for Sequential models; for "
                         f"{type(model).__name__}, clone without it")
    return Sequential([clone_function(layer) for layer in model.layers], name=model.name)
