"""Keras's Model, its saving half: save and to_json, and the compile settings as a config
(get_compile_config / compile_from_config, with Loss and Metric objects as their configs)
and the optimizer's state, which brique.keras.saving writes and reads."""
from __future__ import annotations

import json

from .. import optim as _optim
from ..optim import Optimizer as _BriqueOptimizer
from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _optimizers
from . import saving as _saving


def _serialized(value):
    """compile() arguments with Loss and Metric objects as their configs (for model.save)."""
    if isinstance(value, (list, tuple)):
        return [_serialized(v) for v in value]
    if isinstance(value, dict):
        return {k: _serialized(v) for k, v in value.items()}
    if isinstance(value, _losses.Loss):
        return _losses.serialize(value)
    if isinstance(value, _metrics.Metric):
        return _metrics.serialize(value)
    if isinstance(value, type) and issubclass(value, (_losses.Loss, _metrics.Metric)):
        return value.__name__
    return value


def _deserialized(value):
    if isinstance(value, list):
        return [_deserialized(v) for v in value]
    if isinstance(value, dict):
        module = value.get("module")
        if module == "keras.losses" and "class_name" in value:
            return _losses.deserialize(value)
        if module == "keras.metrics" and "class_name" in value:
            return _metrics.deserialize(value)
        return {k: _deserialized(v) for k, v in value.items()}
    return value


class ModelSaving:
    """Model's save, to_json and compile-config methods (mixed into Model)."""

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
        return {"optimizer": spec, "loss": _serialized(self.loss),
                "metrics": _serialized(self.metrics),
                "weighted_metrics": _serialized(self.weighted_metrics),
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
        self.compile(optimizer=opt, loss=_deserialized(config["loss"]),
                     metrics=_deserialized(config["metrics"]),
                     weighted_metrics=_deserialized(config.get("weighted_metrics")),
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
