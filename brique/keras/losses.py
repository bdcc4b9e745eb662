"""Keras's losses, `loss(y_true, y_pred)` on brique Tensors, one value per sample (the mean
over the last axis), as in Keras 2. The cross-entropies take probabilities (a model ending in
sigmoid or softmax), clipped to [epsilon, 1 - epsilon] before the log."""
from __future__ import annotations

from ..nn import functional as F
from . import backend as K


def _floats(y_true, y_pred):
    return y_true.to(y_pred.dtype) if y_true.dtype != y_pred.dtype else y_true


def _check(name, y_true, y_pred):
    if y_true.numel() != y_pred.numel():
        raise ValueError(f"{name}: targets of shape {tuple(y_true.shape)} do not match outputs "
                         f"of shape {tuple(y_pred.shape)}")
    return _floats(y_true, y_pred).reshape(y_pred.shape)


def mean_squared_error(y_true, y_pred):
    y_true = _check("mean_squared_error", y_true, y_pred)
    return ((y_pred - y_true) ** 2).mean(-1)


def mean_absolute_error(y_true, y_pred):
    y_true = _check("mean_absolute_error", y_true, y_pred)
    return (y_pred - y_true).abs().mean(-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true = _check("mean_absolute_percentage_error", y_true, y_pred)
    return 100.0 * ((y_true - y_pred).abs() / y_true.abs().clamp(K.epsilon(), None)).mean(-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true = _check("mean_squared_logarithmic_error", y_true, y_pred)
    first = (y_pred.clamp(K.epsilon(), None) + 1.0).log()
    second = (y_true.clamp(K.epsilon(), None) + 1.0).log()
    return ((first - second) ** 2).mean(-1)


def binary_crossentropy(y_true, y_pred):
    y_true = _check("binary_crossentropy", y_true, y_pred)
    p = y_pred.clamp(K.epsilon(), 1.0 - K.epsilon())
    return -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log()).mean(-1)


def categorical_crossentropy(y_true, y_pred):
    y_true = _check("categorical_crossentropy", y_true, y_pred)
    p = y_pred / y_pred.sum(-1, keepdim=True)
    return -(y_true * p.clamp(K.epsilon(), 1.0 - K.epsilon()).log()).sum(-1)


def sparse_categorical_crossentropy(y_true, y_pred):
    """y_true: class indices, (N,) or (N, 1) (or (N, T) for (N, T, C) outputs)."""
    classes = y_pred.shape[-1]
    if y_true.numel() * classes != y_pred.numel():
        raise ValueError(f"sparse_categorical_crossentropy: {y_true.numel()} class indices for "
                         f"outputs of shape {tuple(y_pred.shape)}")
    logp = y_pred.clamp(K.epsilon(), 1.0 - K.epsilon()).log().reshape(-1, classes)
    picked = F.nll_loss(logp, y_true.reshape(-1).long(), reduction="none")
    return picked.reshape(y_pred.shape[:-1])


def hinge(y_true, y_pred):
    y_true = _check("hinge", y_true, y_pred)
    return (1.0 - y_true * y_pred).clamp(0.0, None).mean(-1)


def squared_hinge(y_true, y_pred):
    y_true = _check("squared_hinge", y_true, y_pred)
    return ((1.0 - y_true * y_pred).clamp(0.0, None) ** 2).mean(-1)


def kullback_leibler_divergence(y_true, y_pred):
    y_true = _check("kullback_leibler_divergence", y_true, y_pred)
    t = y_true.clamp(K.epsilon(), 1.0)
    return (t * (t / y_pred.clamp(K.epsilon(), 1.0)).log()).sum(-1)


def poisson(y_true, y_pred):
    y_true = _check("poisson", y_true, y_pred)
    return (y_pred - y_true * (y_pred + K.epsilon()).log()).mean(-1)


def cosine_proximity(y_true, y_pred):
    y_true = _check("cosine_proximity", y_true, y_pred)
    return -(F.normalize(y_true, dim=-1) * F.normalize(y_pred, dim=-1)).sum(-1)


mse, mae, mape, msle = (mean_squared_error, mean_absolute_error,
                        mean_absolute_percentage_error, mean_squared_logarithmic_error)
kld, cosine = kullback_leibler_divergence, cosine_proximity

LOSSES = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, hinge, squared_hinge, kullback_leibler_divergence,
    poisson, cosine_proximity)}
LOSSES.update(mse=mse, mae=mae, mape=mape, msle=msle, kld=kld, cosine=cosine)


def get(loss):
    """A loss function(y_true, y_pred) from a Keras name or a callable."""
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected a callable(y_true, y_pred) or one "
                         f"of {sorted(LOSSES)}")
    return LOSSES[loss]
