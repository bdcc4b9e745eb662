"""Keras's optimizers with Keras 2's defaults (`Adadelta()` has lr=1.0, rho=0.95), each
building the brique optimizer that does the work when the model is compiled: brique.optim's
where its rule is Keras's (Adam, Adadelta, Adagrad, Adamax, Nadam, AdamW), else Keras's rule
(rules.py: SGD, RMSprop, Lion, Ftrl). `lr` and Keras 2.3+'s `learning_rate` are both accepted;
`decay` is Keras 2's time-based decay lr / (1 + decay * iterations).

Keras's common arguments act around each step, in Keras 3's order: the learning rate is read
from a schedule (`learning_rate=schedules.ExponentialDecay(...)`) at the step count, gradients
are clipped (clipnorm per weight, else global_clipnorm, else clipvalue), weight_decay shrinks
each weight by lr * weight_decay, then the rule updates it.
"""
from __future__ import annotations

from ...optim import Adamax as _Adamax
from ...optim import NAdam as _NAdam
from ...optim import Optimizer as _BriqueOptimizer
from ...train.loop import OPTIMIZERS, get_optimizer
from . import rules, schedules
from .schedules import LearningRateSchedule

_COMMON = ("clipnorm", "clipvalue", "global_clipnorm", "weight_decay")
# Keras 3's arguments brique.keras takes at their defaults only.
_ONLY_DEFAULT = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                 "loss_scale_factor": None, "gradient_accumulation_steps": None,
                 "jit_compile": True, "name": None, "mesh": None}


class Optimizer:
    """A description of an optimizer until `build(params)` makes the brique one, kept as
    `.optimizer`; `lr` (`learning_rate`) then reads and sets its learning rate, and
    `iterations` counts its steps."""

    key, keras_names, rule, defaults = None, {}, None, {}

    def __init__(self, lr=None, learning_rate=None, decay=0.0, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, weight_decay=None, **kwargs):
        name = type(self).__name__
        for k in [k for k in kwargs if k in _ONLY_DEFAULT and k not in self.keras_names]:
            value = kwargs.pop(k)
            if k not in ("jit_compile", "name") and value != _ONLY_DEFAULT[k]:
                raise ValueError(f"{name}: {k}={value!r} is not supported by brique.keras")
        unknown = set(kwargs) - set(self.keras_names)
        if unknown:
            raise TypeError(f"{name}: unexpected keyword argument(s) {sorted(unknown)}")
        self.kwargs = {self.keras_names[k]: v for k, v in kwargs.items()}
        if "weight_decay" in self.keras_names and weight_decay is not None:
            self.kwargs["weight_decay"], weight_decay = weight_decay, None
        common = {"clipnorm": clipnorm, "clipvalue": clipvalue,
                  "global_clipnorm": global_clipnorm, "weight_decay": weight_decay}
        for k, v in common.items():
            if v is not None:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                    raise ValueError(f"{name}: {k} must be a number >= 0, got {v!r}")
                self.kwargs[k] = v  # kept with the hyper-parameters: saved with the model
        if clipnorm and global_clipnorm:
            raise ValueError(f"{name}: give clipnorm or global_clipnorm, not both")
        rate = learning_rate if learning_rate is not None else lr
        if isinstance(rate, LearningRateSchedule):
            rate = schedules.serialize(rate)  # a dict: model.save keeps it as JSON
        elif rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))
                                   or rate < 0):
            raise ValueError(f"{name}: learning_rate must be a number >= 0 or a "
                             f"LearningRateSchedule, got {rate!r}")
        if rate is not None:
            self.kwargs["lr"] = rate
        self.decay, self.optimizer, self._iterations = float(decay), None, 0

    # ------------------------------------------------------------------ building
    def build(self, params):
        params = [p for p in params if p.requires_grad]
        rate = self.kwargs.get("lr")
        self._schedule = schedules.deserialize(rate) if isinstance(rate, dict) else None
        own = set(self.keras_names.values())  # AdamW's weight_decay is its rule's
        kwargs = {k: v for k, v in self._brique_kwargs().items()
                  if k not in _COMMON or k in own}
        if self._schedule is not None:
            kwargs["lr"] = float(self._schedule(self.iterations))
        if self.rule is not None:
            self.optimizer = self.rule(params, **{**self.defaults, **kwargs})
        else:
            self.optimizer = get_optimizer(self.key, params, **{**self.defaults, **kwargs})
        step = self.optimizer.step

        def keras_step(closure=None):  # Keras's work around the rule, once per batch
            self._before_step()
            loss = step(closure)
            self.iterations += 1
            return loss
        self.optimizer.step = keras_step
        self.iterations = self._iterations
        return self.optimizer

    @property
    def iterations(self):
        """The number of steps taken (what a schedule reads); kept in the brique optimizer's
        param groups, so that its state_dict (and model.save) carries it."""
        if self.optimizer is None:
            return self._iterations
        return self.optimizer.param_groups[0].get("iterations", 0)

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)
        if self.optimizer is not None:
            for group in self.optimizer.param_groups:
                group["iterations"] = int(value)

    def _brique_kwargs(self):
        return dict(self.kwargs)

    def _before_step(self):
        groups = self.optimizer.param_groups
        if self._schedule is not None:
            rate = float(self._schedule(self.iterations))
            for group in groups:
                group["lr"] = rate
        params = [p for g in groups for p in g["params"] if p.grad is not None]
        clipnorm, clipvalue = self.kwargs.get("clipnorm"), self.kwargs.get("clipvalue")
        global_clipnorm, decay = self.kwargs.get("global_clipnorm"), self.kwargs.get(
            "weight_decay") if "weight_decay" not in self.keras_names else None
        if clipnorm:
            for p in params:
                norm = float((p.grad * p.grad).sum().sqrt().item())
                p.grad._data *= clipnorm / max(norm, clipnorm)
        elif global_clipnorm:
            norm = sum(float((p.grad * p.grad).sum().item()) for p in params) ** 0.5
            for p in params:
                p.grad._data *= global_clipnorm / max(norm, global_clipnorm)
        elif clipvalue:
            for p in params:
                p.grad._data = p.grad._data.clip(-clipvalue, clipvalue)
        if decay:
            for group in groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p._data -= p._data * (decay * group["lr"])

    # ------------------------------------------------------------------ Keras's accessors
    @property
    def lr(self):
        if self.optimizer is not None:
            return self.optimizer.param_groups[0]["lr"]
        rate = self.kwargs.get("lr", self.defaults.get("lr") or OPTIMIZERS[self.key][1]["lr"])
        return float(schedules.deserialize(rate)(self.iterations)) if isinstance(rate, dict) \
            else rate

    @lr.setter
    def lr(self, value):
        if isinstance(value, LearningRateSchedule):
            raise ValueError(f"{type(self).__name__}: give a schedule to the constructor "
                             "(learning_rate=...), not to an optimizer in use")
        self.kwargs["lr"] = value
        if self.optimizer is not None:
            self._schedule = None
            for group in self.optimizer.param_groups:
                group["lr"] = value

    learning_rate = lr

    def get_config(self):
        base = OPTIMIZERS[self.key][1] if self.key in OPTIMIZERS else {}
        return {"name": type(self).__name__, **base, **self.defaults, **self.kwargs,
                "decay": self.decay}


class SGD(Optimizer):
    key, rule = "sgd", rules.SGD
    keras_names = {"momentum": "momentum", "nesterov": "nesterov"}


class RMSprop(Optimizer):
    key, rule = "rmsprop", rules.RMSprop
    keras_names = {"rho": "alpha", "epsilon": "eps", "momentum": "momentum",
                   "centered": "centered"}


class Adagrad(Optimizer):
    key = "adagrad"
    keras_names = {"epsilon": "eps", "initial_accumulator_value": "initial_accumulator_value"}


class Adadelta(Optimizer):
    key = "adadelta"
    keras_names = {"rho": "rho", "epsilon": "eps"}


class Adam(Optimizer):
    key = "adam"
    keras_names = {"beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "eps",
                   "amsgrad": "amsgrad"}

    def _brique_kwargs(self):
        kwargs = dict(self.kwargs)
        kwargs["betas"] = (kwargs.pop("beta_1", 0.9), kwargs.pop("beta_2", 0.999))
        return kwargs


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras 3's default weight_decay 0.004)."""
    key = "adamw"
    keras_names = {**Adam.keras_names, "weight_decay": "weight_decay"}
    defaults = {"lr": 0.001, "eps": 1e-7, "weight_decay": 0.004}


class Adamax(Adam):
    """Adam with the infinity norm (brique.optim.Adamax; Keras's lr 0.001)."""
    key = "adamax"
    keras_names = {"beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "eps"}
    rule, defaults = _Adamax, {"lr": 0.001, "eps": 1e-7}


class Nadam(Adam):
    """Adam with Nesterov momentum: brique.optim.NAdam with momentum_decay 1, which is the
    momentum schedule beta_1 (1 - 0.5 * 0.96 ** t) of Keras 3 and tf.keras."""
    key = "nadam"
    keras_names = {"beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "eps"}
    rule, defaults = _NAdam, {"lr": 0.001, "eps": 1e-7, "momentum_decay": 1.0}


class Lion(Optimizer):
    key, rule = "lion", rules.Lion
    keras_names = {"beta_1": "beta_1", "beta_2": "beta_2"}
    defaults = {"lr": 0.001}

    def _brique_kwargs(self):
        kwargs = dict(self.kwargs)
        kwargs["betas"] = (kwargs.pop("beta_1", 0.9), kwargs.pop("beta_2", 0.99))
        return kwargs


class Ftrl(Optimizer):
    key, rule = "ftrl", rules.Ftrl
    keras_names = {"learning_rate_power": "learning_rate_power",
                   "initial_accumulator_value": "initial_accumulator_value",
                   "l1_regularization_strength": "l1", "l2_regularization_strength": "l2",
                   "l2_shrinkage_regularization_strength": "l2_shrinkage", "beta": "beta"}
    defaults = {"lr": 0.001}


sgd, rmsprop, adagrad, adadelta, adam = SGD, RMSprop, Adagrad, Adadelta, Adam
adamw, adamax, nadam, lion, ftrl = AdamW, Adamax, Nadam, Lion, Ftrl
_CLASSES = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
            "adam": Adam, "adamw": AdamW, "adamax": Adamax, "nadam": Nadam, "lion": Lion,
            "ftrl": Ftrl}


def get(identifier):
    """A Keras optimizer from a name ('adadelta', 'Adam', ...), a {class_name, config} dict,
    or an optimizer object (a Keras one, or a brique.optim one, used as it is)."""
    if isinstance(identifier, dict) and "class_name" in identifier:
        config = dict(identifier.get("config") or {})
        config.pop("name", None)
        return get(identifier["class_name"]).__class__(**config)
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _CLASSES:
            raise ValueError(f"unknown optimizer {identifier!r}; expected an optimizer object "
                             f"or one of {sorted(_CLASSES)}")
        return _CLASSES[key]()
    if isinstance(identifier, (Optimizer, _BriqueOptimizer)):
        return identifier
    raise ValueError(f"could not interpret optimizer identifier {identifier!r}: expected a "
                     "name, a dict or an optimizer object")
