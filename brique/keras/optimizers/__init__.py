"""Keras's optimizers with Keras 2's defaults (`Adadelta()` has lr=1.0, rho=0.95), each
building the brique optimizer that does the work (`brique.optim.Adadelta`) when the model
is compiled. `lr` and Keras 2.3+'s `learning_rate` are both accepted; `decay` is Keras's
time-based decay lr / (1 + decay * iterations)."""
from __future__ import annotations

from ..train.loop import OPTIMIZERS, get_optimizer


class Optimizer:
    """A description of an optimizer until `build(params)` makes the brique one, kept as
    `.optimizer`; `lr` then reads and sets its learning rate."""

    key, keras_names = None, {}

    def __init__(self, lr=None, learning_rate=None, decay=0.0, clipnorm=None, clipvalue=None,
                 **kwargs):
        name = type(self).__name__
        unknown = set(kwargs) - set(self.keras_names)
        if unknown:
            raise TypeError(f"{name}: unexpected keyword argument(s) {sorted(unknown)}")
        if clipnorm is not None or clipvalue is not None:
            raise ValueError(f"{name}: clipnorm/clipvalue are not supported by brique.keras; "
                             "use brique.nn.utils.clip_grad_norm_ in a brique loop")
        rate = learning_rate if learning_rate is not None else lr
        self.kwargs = {self.keras_names[k]: v for k, v in kwargs.items()}
        if rate is not None:
            self.kwargs["lr"] = rate
        self.decay, self.optimizer = float(decay), None

    def build(self, params):
        self.optimizer = get_optimizer(self.key, params, **self._brique_kwargs())
        return self.optimizer

    def _brique_kwargs(self):
        return dict(self.kwargs)

    @property
    def lr(self):
        if self.optimizer is not None:
            return self.optimizer.param_groups[0]["lr"]
        return self.kwargs.get("lr", OPTIMIZERS[self.key][1]["lr"])

    @lr.setter
    def lr(self, value):
        self.kwargs["lr"] = value
        if self.optimizer is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = value

    learning_rate = lr

    def get_config(self):
        return {"name": type(self).__name__, **OPTIMIZERS[self.key][1], **self.kwargs,
                "decay": self.decay}


class SGD(Optimizer):
    key = "sgd"
    keras_names = {"momentum": "momentum", "nesterov": "nesterov"}


class RMSprop(Optimizer):
    key = "rmsprop"
    keras_names = {"rho": "alpha", "epsilon": "eps"}


class Adagrad(Optimizer):
    key = "adagrad"
    keras_names = {"epsilon": "eps"}


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
    key = "adamw"
    keras_names = {**Adam.keras_names, "weight_decay": "weight_decay"}


sgd, rmsprop, adagrad, adadelta, adam = SGD, RMSprop, Adagrad, Adadelta, Adam
_CLASSES = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
            "adam": Adam, "adamw": AdamW}


def get(identifier):
    """A Keras optimizer from a name ('adadelta', 'Adam', ...) or an optimizer object (a
    Keras one, or a brique.optim one, used as it is)."""
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _CLASSES:
            raise ValueError(f"unknown optimizer {identifier!r}; expected an optimizer object "
                             f"or one of {sorted(_CLASSES)}")
        return _CLASSES[key]()
    return identifier
