"""Keras's loss classes: `BinaryCrossentropy(from_logits=True)(y_true, y_pred, sample_weight)`
reduces the per-sample values of the function of the same name (losses.py) to one number,
as Keras 3 does: 'sum_over_batch_size' (the default) sums the weighted values and divides by
their count, 'sum' sums them, None/'none' returns them. `get`, `serialize`, `deserialize`
turn names and configs into losses and back."""
from __future__ import annotations

import re

import numpy as np

from . import losses as L
from .engine import to_tensor

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _match_rank(weight, values, name):
    """sample_weight shaped to multiply values: a trailing axis of 1 dropped, missing trailing
    axes added (a weight per sample spreads over that sample's values)."""
    while weight.dim() > values.dim() and weight.shape[-1] == 1:
        weight = weight.squeeze(-1)
    if weight.dim() < values.dim():
        weight = weight.reshape(tuple(weight.shape) + (1,) * (values.dim() - weight.dim()))
    try:
        np.broadcast_shapes(tuple(weight.shape), tuple(values.shape))
    except ValueError:
        raise ValueError(f"{name}: sample_weight of shape {tuple(weight.shape)} does not fit "
                         f"loss values of shape {tuple(values.shape)} (expected one weight "
                         "per sample, or the values' shape)") from None
    return weight


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", name="loss"):
    """Keras 3's reduction of per-sample loss values. A mask (entries left out, such as
    SparseCategoricalCrossentropy's ignore_class) scales the kept entries so that a mean is
    over them only."""
    weight = None
    if mask is not None:
        weight = mask.to(values.dtype)
        if reduction in ("sum_over_batch_size", "mean"):
            valid = float(weight.sum())
            weight = weight * (weight.numel() / valid if valid else 0.0)
    if sample_weight is not None:
        sw = _match_rank(to_tensor(sample_weight).to(values.dtype), values, name)
        weight = sw if weight is None else weight * sw
    if weight is not None:
        values = values * weight
    if reduction in (None, "none") or values.dim() == 0:
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = float(weight.sum())
    else:
        divisor = values.numel()
    return total / divisor if divisor else total * 0.0


class Loss:
    """Base of the loss classes: subclasses write `call(y_true, y_pred)` -> per-sample
    values; `__call__` weights and reduces them."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction == "auto":  # Keras 2's default, the same mean
            reduction = "sum_over_batch_size"
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, "
                             f"got {reduction!r}")
        self.name = name or _snake(type(self).__name__)
        self.reduction, self.dtype = reduction, dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_tensor(y_true), to_tensor(y_pred)
        values = self.call(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, self._mask(y_true, y_pred),
                                      self.reduction, self.name)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def _mask(self, y_true, y_pred):
        """Which values count (None: all)."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A loss function(y_true, y_pred, **kwargs) as a Loss."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper: fn must be callable, got {fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn, self._fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:
            config["fn"] = self.fn
        return config


def _wrapper(fn, default_name, doc, **defaults):
    """A LossFunctionWrapper subclass for `fn` whose keyword arguments are `defaults`."""
    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None,
                 **kwargs):
        options = dict(defaults)
        for key, value in zip(defaults, args):  # Keras's positional order
            options[key] = value
        unknown = set(kwargs) - set(defaults)
        if unknown or len(args) > len(defaults):
            raise TypeError(f"{type(self).__name__}: unexpected arguments "
                            f"{sorted(unknown) or args[len(defaults):]}; expected "
                            f"{list(defaults) + ['reduction', 'name', 'dtype']}")
        options.update(kwargs)
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype,
                                     **options)
    return {"__init__": __init__, "__doc__": doc}


def _loss_class(class_name, fn, default_name, doc, **defaults):
    return type(class_name, (LossFunctionWrapper,),
                {**_wrapper(fn, default_name, doc, **defaults), "__module__": __name__})


MeanSquaredError = _loss_class("MeanSquaredError", L.mean_squared_error, "mean_squared_error",
                               "Mean of (y_pred - y_true) ** 2.")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", L.mean_absolute_error,
                                "mean_absolute_error", "Mean of |y_pred - y_true|.")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", L.mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 * mean of |y_true - y_pred| / |y_true|.")
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", L.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean of (log(1 + y_pred) - log(1 + y_true)) ** 2.")
Huber = _loss_class("Huber", L.huber, "huber_loss", "Quadratic below delta, linear above.",
                    delta=1.0)
LogCosh = _loss_class("LogCosh", L.log_cosh, "log_cosh", "Mean of log(cosh(error)).")
CosineSimilarity = _loss_class("CosineSimilarity", L.cosine_similarity, "cosine_similarity",
                               "The negative cosine similarity along `axis`.", axis=-1)
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", L.binary_crossentropy, "binary_crossentropy",
    "Cross-entropy of 0/1 targets with probabilities (or logits if from_logits).",
    from_logits=False, label_smoothing=0.0, axis=-1)
BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", L.binary_focal_crossentropy, "binary_focal_crossentropy",
    "Binary cross-entropy down-weighting easy examples by (1 - p_t) ** gamma.",
    apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1)
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", L.categorical_crossentropy, "categorical_crossentropy",
    "Cross-entropy of one-hot targets with class probabilities (or logits).",
    from_logits=False, label_smoothing=0.0, axis=-1)
CategoricalFocalCrossentropy = _loss_class(
    "CategoricalFocalCrossentropy", L.categorical_focal_crossentropy,
    "categorical_focal_crossentropy",
    "Categorical cross-entropy scaled by alpha * (1 - p) ** gamma.",
    alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1)
KLDivergence = _loss_class("KLDivergence", L.kl_divergence, "kl_divergence",
                           "Sum of y_true * log(y_true / y_pred).")
Poisson = _loss_class("Poisson", L.poisson, "poisson", "Mean of y_pred - y_true log(y_pred).")
Hinge = _loss_class("Hinge", L.hinge, "hinge", "Mean of max(1 - y_true y_pred, 0), 0/1 "
                    "labels taken as -1/1.")
SquaredHinge = _loss_class("SquaredHinge", L.squared_hinge, "squared_hinge",
                           "Mean of max(1 - y_true y_pred, 0) ** 2.")
CategoricalHinge = _loss_class("CategoricalHinge", L.categorical_hinge, "categorical_hinge",
                               "max(0, 1 + max wrong score - true score).")


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of class indices with class probabilities (or logits); indices equal
    to `ignore_class` are left out of the loss and of its mean."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None, axis=-1):
        super().__init__(L.sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)

    def _mask(self, y_true, y_pred):
        ignore = self._fn_kwargs["ignore_class"]
        if ignore is None:
            return None
        shape = list(y_pred.shape)
        del shape[self._fn_kwargs["axis"]]
        return (y_true != ignore).reshape(shape)


CLASSES = {c.__name__: c for c in (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber, LogCosh,
    CosineSimilarity, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
    SquaredHinge, CategoricalHinge)}


def serialize(loss):
    """A function by its name (as Keras 2); a Loss as {module, class_name, config}."""
    if isinstance(loss, Loss):
        config = {k: serialize(v) if callable(v) else v for k, v in loss.get_config().items()}
        return {"module": "keras.losses", "class_name": type(loss).__name__,
                "config": config, "registered_name": None}
    if callable(loss):
        return getattr(loss, "__name__", None)
    raise TypeError(f"losses.serialize: expected a Loss or a loss function, got {loss!r}")


def deserialize(config, custom_objects=None):
    """The loss that serialize() described (a name, or {class_name, config})."""
    custom = dict(custom_objects or {})
    if isinstance(config, str):
        found = custom.get(config) or L.LOSSES.get(config) or CLASSES.get(config)
        if found is None:
            raise ValueError(f"unknown loss {config!r}; expected a Loss, a callable(y_true, "
                             f"y_pred) or one of {sorted(L.LOSSES) + sorted(CLASSES)[2:]}")
        return found() if isinstance(found, type) else found
    if not (isinstance(config, dict) and "class_name" in config):
        raise ValueError(f"losses.deserialize: expected a name or a {{'class_name', 'config'}} "
                         f"dict, got {config!r}")
    name, inner = config["class_name"], config.get("config") or {}
    if name == "function":
        return deserialize(inner, custom)
    cls = custom.get(name) or CLASSES.get(name)
    if not (isinstance(cls, type) and issubclass(cls, Loss)):
        raise ValueError(f"losses.deserialize: unknown loss class {name!r}; pass it in "
                         "custom_objects")
    if "fn" in inner:
        inner = {**inner, "fn": deserialize(inner["fn"], custom)}
    return cls.from_config(inner)


def get(identifier):
    """A loss from a Loss, a callable, a name ('mse', 'binary_crossentropy' give functions,
    'BinaryCrossentropy' an instance) or a serialized dict; None stays None."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    raise ValueError(f"unknown loss {identifier!r}; expected a Loss, a callable(y_true, "
                     "y_pred), a name or a serialized dict")
