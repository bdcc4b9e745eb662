"""Keras's metrics: the functions, `metric(y_true, y_pred)` on Tensors, one value per sample
(the losses are metrics too), and the classes (metric_classes.py, confusion_metrics.py) that
accumulate over batches. In compile(), 'accuracy' resolves to the binary, categorical or
sparse form from the loss, as Keras 2 does."""
from __future__ import annotations

from . import losses
from .engine import to_tensor


def accuracy(y_true, y_pred):
    """1 where y_pred equals y_true (elementwise)."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true).reshape(y_pred.shape)
    return (y_true.to(y_pred.dtype) == y_pred).to(y_pred.dtype)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true).reshape(y_pred.shape).to(y_pred.dtype)
    return ((y_pred > threshold).to(y_pred.dtype) == y_true).to(y_pred.dtype).mean(-1)


def categorical_accuracy(y_true, y_pred):
    y_true, y_pred = to_tensor(y_true), to_tensor(y_pred)
    return (y_true.argmax(-1) == y_pred.argmax(-1)).to(y_pred.dtype)


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = to_tensor(y_pred)
    labels = to_tensor(y_true).reshape(y_pred.shape[:-1]).long()
    return (labels == y_pred.argmax(-1)).to(y_pred.dtype)


def _in_top_k(labels, y_pred, k):
    if not (isinstance(k, int) and k > 0):
        raise ValueError(f"top-k accuracy: k must be a positive int, got {k!r}")
    top = y_pred.topk(min(k, y_pred.shape[-1]), -1)[1]
    return (top == labels.unsqueeze(-1)).any(-1).to(y_pred.dtype)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = to_tensor(y_true), to_tensor(y_pred)
    return _in_top_k(y_true.argmax(-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_pred = to_tensor(y_pred)
    return _in_top_k(to_tensor(y_true).reshape(y_pred.shape[:-1]).long(), y_pred, k)


METRICS = {f.__name__: f for f in (accuracy, binary_accuracy, categorical_accuracy,
                                   sparse_categorical_accuracy, top_k_categorical_accuracy,
                                   sparse_top_k_categorical_accuracy)}
METRICS.update(losses.LOSSES)

from .metric_classes import (Accuracy, BinaryAccuracy, BinaryCrossentropy,  # noqa: E402,F401
                             CategoricalAccuracy, CategoricalCrossentropy, CategoricalHinge,
                             CosineSimilarity, Hinge, IoU, KLDivergence, LogCoshError, Mean,
                             MeanAbsoluteError, MeanAbsolutePercentageError, MeanIoU,
                             MeanMetricWrapper, MeanSquaredError, MeanSquaredLogarithmicError,
                             Metric, Poisson, R2Score, RootMeanSquaredError,
                             SparseCategoricalAccuracy, SparseCategoricalCrossentropy,
                             SparseTopKCategoricalAccuracy, SquaredHinge, Sum,
                             TopKCategoricalAccuracy, _snake)
from .confusion_metrics import (AUC, F1Score, FalseNegatives, FalsePositives,  # noqa: E402
                                FBetaScore, Precision, PrecisionAtRecall, Recall,
                                RecallAtPrecision, SensitivityAtSpecificity,
                                SpecificityAtSensitivity, TrueNegatives, TruePositives)

CLASSES = {c.__name__: c for c in (
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, Hinge, SquaredHinge,
    CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, R2Score, IoU, MeanIoU, AUC, Precision, Recall,
    TruePositives, TrueNegatives, FalsePositives, FalseNegatives, PrecisionAtRecall,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, F1Score,
    FBetaScore)}
CLASSES.update({_snake(name): cls for name, cls in list(CLASSES.items())
                if _snake(name) not in METRICS})
# Short names Keras's compile() accepts for a metric of the model's kind.
_BY_LOSS = {"binary_crossentropy": ("binary_accuracy", "binary_crossentropy"),
            "sparse_categorical_crossentropy": ("sparse_categorical_accuracy",
                                                "sparse_categorical_crossentropy")}


def serialize(metric):
    """A function by its name; a Metric as {module, class_name, config}."""
    if isinstance(metric, Metric):
        config = {k: serialize(v) if callable(v) else v for k, v in metric.get_config().items()}
        return {"module": "keras.metrics", "class_name": type(metric).__name__,
                "config": config, "registered_name": None}
    if callable(metric):
        return getattr(metric, "__name__", None)
    raise TypeError(f"metrics.serialize: expected a Metric or a function, got {metric!r}")


def deserialize(config, custom_objects=None):
    """The metric that serialize() described: a name, or {class_name, config}."""
    custom = dict(custom_objects or {})
    if isinstance(config, str):
        found = custom.get(config) or METRICS.get(config) or CLASSES.get(config)
        if found is None:
            raise ValueError(f"unknown metric {config!r}; expected 'accuracy', a Metric, a "
                             f"callable(y_true, y_pred) or one of "
                             f"{sorted(METRICS) + sorted(c for c in CLASSES if c[0].isupper())}")
        return found() if isinstance(found, type) else found
    if not (isinstance(config, dict) and "class_name" in config):
        raise ValueError(f"metrics.deserialize: expected a name or a {{'class_name', "
                         f"'config'}} dict, got {config!r}")
    name, inner = config["class_name"], dict(config.get("config") or {})
    if name == "function":
        return deserialize(inner, custom)
    cls = custom.get(name) or CLASSES.get(name)
    if not (isinstance(cls, type) and issubclass(cls, Metric)):
        raise ValueError(f"metrics.deserialize: unknown metric class {name!r}; pass it in "
                         "custom_objects")
    if "fn" in inner:
        inner["fn"] = deserialize(inner["fn"], custom)
    return cls.from_config(inner)


def get(metric, loss=None, output_shape=None):
    """A metric function or Metric from a name, callable, Metric (class or instance) or
    serialized dict. 'accuracy'/'acc' (and 'crossentropy'/'ce') follow the loss: binary for
    binary_crossentropy or one output unit, sparse for sparse_categorical_crossentropy,
    else categorical."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, type) and issubclass(metric, Metric):
        return metric()
    if callable(metric):
        return metric
    if isinstance(metric, str) and metric.lower() in ("accuracy", "acc", "crossentropy", "ce"):
        loss_name = getattr(loss, "name", None) if isinstance(loss, losses.Loss) else \
            getattr(loss, "__name__", loss)
        kind = 0 if metric.lower() in ("accuracy", "acc") else 1
        if loss_name == "binary_crossentropy" or (output_shape and output_shape[-1] == 1):
            return METRICS[_BY_LOSS["binary_crossentropy"][kind]]
        if loss_name == "sparse_categorical_crossentropy":
            return METRICS[_BY_LOSS["sparse_categorical_crossentropy"][kind]]
        return METRICS[("categorical_accuracy", "categorical_crossentropy")[kind]]
    if isinstance(metric, (str, dict)):
        return deserialize(metric)
    raise ValueError(f"unknown metric {metric!r}; expected a name, a Metric or a "
                     "callable(y_true, y_pred)")
