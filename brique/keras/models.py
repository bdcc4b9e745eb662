"""Keras's Model and Sequential: compile, fit, evaluate, predict on NumPy arrays, trained by
brique's own `fit` (brique/train/loop.py): the model is the nn.Module it trains, the Keras
loss and metrics are adapted to its (output, target) functions."""
from __future__ import annotations

import json

from .. import optim as _optim
from ..train import callbacks as _cb
from ..train import evaluate as _evaluate
from ..train import fit as _fit
from ..optim import Optimizer as _BriqueOptimizer
from ..optim.lr_scheduler import LambdaLR
from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _optimizers
from . import saving as _saving
from .engine import InputLayer, Layer, to_tensor, unique_name
from .network import Network, _as_list, predict_arrays


class _StopFlag(_cb.Callback):
    """Carries Keras's `model.stop_training = True` over to brique's loop."""

    def on_batch_end(self, batch, logs=None):
        self.state.stop_training |= bool(getattr(self.state.model, "stop_training", False))

    on_epoch_end = on_batch_end


def _device(model):
    """The device of a model moved with model.to('cuda'), so batches follow it; None on CPU."""
    p = next(iter(model.parameters()), None)
    return p.device if p is not None and p.device.type != "cpu" else None


class Model(Network):
    """`Model(inputs, outputs)`: the layers between symbolic inputs and outputs, trained with
    compile() then fit(x, y)."""

    compiled = False

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                **kwargs):
        """optimizer: a name ('adadelta', 'adam', ...: Keras 2's defaults), a
        brique.keras.optimizers object or a brique.optim optimizer; loss: a Keras name or
        function(y_true, y_pred), or one per output (list or dict by output layer name);
        metrics: names ('accuracy', 'mae', ...) or functions(y_true, y_pred)."""
        unsupported = {k: v for k, v in kwargs.items() if v is not None}
        if unsupported:
            raise ValueError(f"compile: {sorted(unsupported)} not supported by brique.keras")
        if loss is None:
            raise ValueError("compile: a loss is needed (e.g. loss='binary_crossentropy')")
        self.loss, self.metrics = loss, list(metrics or [])
        self._optimizer_spec = optimizer
        self.optimizer = _optimizers.get(optimizer)
        self.loss_weights = loss_weights
        self.compiled = True
        if self.built:
            self._resolve_outputs()

    def _resolve_outputs(self):
        names = [t.layer.name for t in self.outputs]
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
        self._metric_fns = []
        for i, (t, loss) in enumerate(zip(self.outputs, per)):
            for m in self.metrics:
                fn = _metrics.get(m, loss, t.shape)
                name = m if isinstance(m, str) else getattr(m, "__name__", "metric")
                self._metric_fns.append(self._metric(i, fn, f"{names[i]}_{name}" if n > 1
                                                     else name))
        self.metrics_names = ["loss"] + [fn.__name__ for fn in self._metric_fns]

    def _train_loss(self, out, y):
        outs, ys = _as_list(out), _as_list(y)
        total = None
        for fn, w, o, t in zip(self._losses, self._loss_weights, outs, ys):
            value = fn(t, o).mean() * w
            total = value if total is None else total + value
        return total

    @staticmethod
    def _metric(i, fn, name):
        def metric(out, y):
            return float(fn(_as_list(y)[i], _as_list(out)[i]).mean().item())
        metric.__name__ = name
        return metric

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
        if not self.built:
            raise RuntimeError(f"{self.name}: the model has no inputs yet")

    # ------------------------------------------------------------------ training
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, nb_epoch=None, **kwargs):
        """Train on arrays for `epochs` epochs of `batch_size` (32); returns a History whose
        `.history` maps 'loss', each metric and their 'val_' versions to per-epoch values."""
        if class_weight is not None or sample_weight is not None or kwargs:
            raise ValueError("fit: class_weight, sample_weight and "
                             f"{sorted(kwargs) or 'step counts'} are not supported")
        brique_opt, keras_opt = self._prepare(x)
        extra = [_StopFlag()]
        if keras_opt is not None and keras_opt.decay:
            decay = keras_opt.decay
            extra.append(_cb.LearningRateScheduler(
                LambdaLR(brique_opt, lambda it: 1.0 / (1.0 + decay * it)), interval="batch"))
        val = None
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("fit: validation_data must be (x_val, y_val)")
            val = tuple(validation_data)
        self.stop_training = False
        history = _fit(self, (x, y), val, epochs=nb_epoch or epochs, optimizer=brique_opt,
                       loss=self._train_loss, metrics=self._metric_fns,
                       callbacks=list(callbacks or []) + extra, verbose=verbose,
                       initial_epoch=initial_epoch, batch_size=batch_size or 32,
                       device=_device(self),
                       shuffle=bool(shuffle), validation_split=validation_split)
        history.model, self.history = self, history
        history.params = {"epochs": nb_epoch or epochs, "batch_size": batch_size or 32,
                          "metrics": list(history.history)}
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None):
        """The loss (and metrics: a list in `metrics_names` order) on arrays."""
        self._prepare(x)
        logs = _evaluate(self, (x, y), self._train_loss, self._metric_fns,
                         device=_device(self), batch_size=batch_size or 32)
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0, steps=None):
        self._build_on(x)
        return predict_arrays(self, x, batch_size or 32, _device(self))

    def train_on_batch(self, x, y):
        opt, _ = self._prepare(x)
        self.train()
        opt.zero_grad()
        out = self(_as_list(x) if isinstance(x, (list, tuple)) else x)
        loss = self._train_loss(out, [to_tensor(t) for t in y] if isinstance(y, (list, tuple))
                                else to_tensor(y))
        loss.backward()
        opt.step()
        return loss.item()

    def test_on_batch(self, x, y):
        return self.evaluate(x, y, batch_size=len(_as_list(x)[0]), verbose=0)

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=len(_as_list(x)[0]))

    # ------------------------------------------------------------------ saving
    def save(self, filepath, overwrite=True, include_optimizer=True, **kwargs):
        """The whole model in one file (architecture, weights, compile config, optimizer
        state), read back by keras.models.load_model; see brique.keras.saving.save_model."""
        _saving.save_model(self, filepath, overwrite=overwrite,
                           include_optimizer=include_optimizer, **kwargs)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (no weights), for model_from_json."""
        from . import __version__
        return json.dumps({**_saving.model_config(self), "keras_version": __version__,
                           "backend": "brique"}, **kwargs)

    def get_compile_config(self):
        """What compile() was given (optimizer as {module, class_name, config}, loss,
        metrics, loss_weights), or None before compile."""
        if not self.compiled:
            return None
        opt = self.optimizer
        if isinstance(opt, _optimizers.Optimizer):
            spec = {"module": "brique.keras.optimizers", "class_name": type(opt).__name__,
                    "config": {"kwargs": dict(opt.kwargs), "decay": opt.decay}}
        elif isinstance(opt, _BriqueOptimizer):
            where = {id(p): i for i, p in enumerate(self.parameters())}
            groups = []
            for group in opt.param_groups:
                if any(id(p) not in where for p in group["params"]):
                    raise ValueError(f"{self.name}: the optimizer holds parameters that are "
                                     "not the model's; it cannot be saved with the model")
                groups.append({**{k: v for k, v in group.items() if k != "params"},
                               "params": [where[id(p)] for p in group["params"]]})
            spec = {"module": "brique.optim", "class_name": type(opt).__name__,
                    "config": {"param_groups": groups}}
        else:
            raise TypeError(f"{self.name}: cannot save an optimizer of type "
                            f"{type(opt).__name__}")
        return {"optimizer": spec, "loss": self.loss, "metrics": self.metrics,
                "loss_weights": self.loss_weights}

    def compile_from_config(self, config):
        """compile() with what get_compile_config() returned (functions already resolved)."""
        spec = config["optimizer"]
        name, options = spec["class_name"], spec["config"]
        if spec.get("module") == "brique.optim":
            cls = _saving._lookup(name) or getattr(_optim, name, None)
            if not (isinstance(cls, type) and issubclass(cls, _BriqueOptimizer)):
                raise ValueError(f"load_model: unknown optimizer brique.optim.{name}; pass it "
                                 "in custom_objects")
            params = list(self.parameters())
            opt = cls([{**{k: tuple(v) if isinstance(v, list) else v
                           for k, v in g.items() if k != "params"},
                        "params": [params[i] for i in g["params"]]}
                       for g in options["param_groups"]])
        else:
            cls = _saving._lookup(name) or getattr(_optimizers, name, None)
            if not (isinstance(cls, type) and issubclass(cls, _optimizers.Optimizer)):
                raise ValueError(f"load_model: unknown optimizer {name!r}; pass it in "
                                 "custom_objects")
            opt = cls()
            opt.kwargs, opt.decay = dict(options["kwargs"]), float(options["decay"])
        self.compile(optimizer=opt, loss=config["loss"], metrics=config["metrics"],
                     loss_weights=config["loss_weights"])

    def _optimizer_state(self):
        opt = self.optimizer
        if isinstance(opt, _optimizers.Optimizer):
            opt = opt.optimizer
        return None if opt is None else opt.state_dict()

    def _load_optimizer_state(self, state):
        opt = self.optimizer
        if isinstance(opt, _optimizers.Optimizer):
            if opt.optimizer is None:
                opt.build(self.parameters())
            opt = opt.optimizer
        opt.load_state_dict(state)


class Sequential(Model):
    """A stack of layers: `Sequential([Dense(64, activation='relu', input_dim=20),
    Dense(1, activation='sigmoid')])`, or `.add(layer)` one by one. Without an input shape
    on the first layer, the model is built on the first data it sees."""

    def __init__(self, layers=None, name=None):
        super().__init__(name=name or unique_name("sequential"))
        self._stack, self._input = [], None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a Layer, got {type(layer).__name__}")
        self._stack.append(layer)
        if self._input is None and layer.declared_input_shape is not None:
            self._input = InputLayer(input_shape=layer.declared_input_shape).output
        if self._input is not None:
            self._connect()

    def pop(self):
        self._stack.pop()
        self._connect()

    def get_config(self):
        """{name, layers}: the stack's layers, after an InputLayer entry once built."""
        layers = list(self._stack)
        if self._input is not None:
            layers.insert(0, self._input.layer)
        return {"name": self.name, "trainable": self._trainable,
                "layers": [{k: v for k, v in _saving.serialize_layer(layer).items()
                            if k != "module"} for layer in layers]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        with _saving.custom_object_scope(custom_objects):
            model = cls(name=config.get("name"))
            for entry in config["layers"]:
                layer = _saving.deserialize_layer(entry)
                if isinstance(layer, InputLayer):
                    model._input = layer.output
                else:
                    model.add(layer)
        if not config.get("trainable", True):
            model.trainable = False
        return model

    def _connect(self):
        x = self._input
        for layer in self._stack:
            layer._nodes.clear()  # a Sequential's layer has this one call
            x = layer(x)
        self._init_graph(self._input, x)
        del self._modules[self._input.layer.name]  # Keras's Sequential.layers skip the input

    def _build_on(self, x):
        if not self.built:
            if x is None or not self._stack:
                raise RuntimeError(f"{self.name}: add layers and give data (or input_shape= "
                                   "on the first layer) before using the model")
            shape = to_tensor(_as_list(x)[0][:1]).shape[1:]
            self._input = InputLayer(input_shape=tuple(shape)).output
            self._connect()


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
