"""Keras's metrics, `metric(y_true, y_pred)` on Tensors, one value per sample; 'accuracy'
resolves to the binary, categorical or sparse form from the loss, as Keras 2 does."""
from __future__ import annotations

from . import losses


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true = y_true.reshape(y_pred.shape).to(y_pred.dtype)
    return ((y_pred > threshold).to(y_pred.dtype) == y_true).to(y_pred.dtype).mean(-1)


def categorical_accuracy(y_true, y_pred):
    return (y_true.argmax(-1) == y_pred.argmax(-1)).to(y_pred.dtype)


def sparse_categorical_accuracy(y_true, y_pred):
    labels = y_true.reshape(y_pred.shape[:-1]).long()
    return (labels == y_pred.argmax(-1)).to(y_pred.dtype)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    top = y_pred.topk(k, -1)[1]
    return (top == y_true.argmax(-1, keepdim=True)).any(-1).to(y_pred.dtype)


METRICS = {f.__name__: f for f in (binary_accuracy, categorical_accuracy,
                                   sparse_categorical_accuracy, top_k_categorical_accuracy)}
METRICS.update(losses.LOSSES)


def get(metric, loss=None, output_shape=None):
    """A metric function from a name or callable; 'accuracy'/'acc' follow the loss: binary
    for binary_crossentropy or one output unit, sparse for sparse_categorical_crossentropy,
    else categorical."""
    if callable(metric):
        return metric
    if metric in ("accuracy", "acc"):
        loss_name = getattr(loss, "__name__", loss)
        if loss_name == "binary_crossentropy" or (output_shape and output_shape[-1] == 1):
            return binary_accuracy
        if loss_name == "sparse_categorical_crossentropy":
            return sparse_categorical_accuracy
        return categorical_accuracy
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected 'accuracy', a callable or one "
                         f"of {sorted(METRICS)}")
    return METRICS[metric]
