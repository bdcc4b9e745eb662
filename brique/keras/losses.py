"""Keras's losses. The functions, `loss(y_true, y_pred)` on brique Tensors (or arrays), give
one value per sample (the mean over the last axis), with Keras's names and arguments
(`from_logits=`, `label_smoothing=`, `axis=`); the classes (`BinaryCrossentropy(...)`, in
loss_classes.py) reduce those values to one number, weighted by `sample_weight`. Without
`from_logits`, the cross-entropies take probabilities, clipped to [epsilon, 1 - epsilon]
before the log, as Keras does."""
from __future__ import annotations

import math

from .. import where
from ..nn import functional as F
from . import backend as K
from .engine import to_tensor


def _pair(name, y_true, y_pred):
    """Both as Tensors, y_true in y_pred's dtype and shape (Keras squeezes or expands a last
    axis of 1, so (N,) targets fit (N, 1) outputs)."""
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true)
    if y_true.numel() != y_pred.numel():
        raise ValueError(f"{name}: targets of shape {tuple(y_true.shape)} do not match outputs "
                         f"of shape {tuple(y_pred.shape)}")
    if y_true.dtype != y_pred.dtype:
        y_true = y_true.to(y_pred.dtype)
    return y_true.reshape(y_pred.shape), y_pred


def _check_axis(name, axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"{name}: axis must be an int, got {axis!r}")


def _smooth(y_true, label_smoothing, classes):
    """Keras's label smoothing: targets pulled towards 1/classes (1/2 for binary ones)."""
    if not label_smoothing:
        return y_true
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    return y_true * (1.0 - label_smoothing) + label_smoothing / classes


def _clip(p):
    return p.clamp(K.epsilon(), 1.0 - K.epsilon())


# ---------------------------------------------------------------------- regression
def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _pair("mean_squared_error", y_true, y_pred)
    return ((y_pred - y_true) ** 2).mean(-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _pair("mean_absolute_error", y_true, y_pred)
    return (y_pred - y_true).abs().mean(-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _pair("mean_absolute_percentage_error", y_true, y_pred)
    return 100.0 * ((y_true - y_pred).abs() / y_true.abs().clamp(K.epsilon(), None)).mean(-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _pair("mean_squared_logarithmic_error", y_true, y_pred)
    first = (y_pred.clamp(K.epsilon(), None) + 1.0).log()
    second = (y_true.clamp(K.epsilon(), None) + 1.0).log()
    return ((first - second) ** 2).mean(-1)


def huber(y_true, y_pred, delta=1.0):
    """Squared error below `delta`, linear above: 0.5 e^2 or delta (|e| - delta / 2)."""
    if not delta > 0:
        raise ValueError(f"huber: delta must be positive, got {delta}")
    y_true, y_pred = _pair("huber", y_true, y_pred)
    error = y_pred - y_true
    small = error.abs() <= delta
    return where(small, 0.5 * error ** 2, delta * error.abs() - 0.5 * delta ** 2).mean(-1)


def log_cosh(y_true, y_pred):
    """log(cosh(e)) written as e + softplus(-2 e) - log 2, which does not overflow."""
    y_true, y_pred = _pair("log_cosh", y_true, y_pred)
    error = y_pred - y_true
    return (error + F.softplus(-2.0 * error) - math.log(2.0)).mean(-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The negative cosine similarity (a loss to minimise: -1 when the vectors align)."""
    _check_axis("cosine_similarity", axis)
    y_true, y_pred = _pair("cosine_similarity", y_true, y_pred)
    return -(F.normalize(y_true, dim=axis) * F.normalize(y_pred, dim=axis)).sum(axis)


# ---------------------------------------------------------------------- probabilistic
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    _check_axis("binary_crossentropy", axis)
    y_true, y_pred = _pair("binary_crossentropy", y_true, y_pred)
    y_true = _smooth(y_true, label_smoothing, 2.0)
    return _binary_entropies(y_true, y_pred, from_logits).mean(axis)


def _binary_entropies(y_true, y_pred, from_logits):
    """Elementwise binary cross-entropies."""
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    p = _clip(y_pred)
    return -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log())


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by (1 - p_t) ** gamma (and alpha / 1 - alpha by class when
    apply_class_balancing), so easy examples weigh less (Lin et al., 2017)."""
    _check_axis("binary_focal_crossentropy", axis)
    y_true, y_pred = _pair("binary_focal_crossentropy", y_true, y_pred)
    y_true = _smooth(y_true, label_smoothing, 2.0)
    p = y_pred.sigmoid() if from_logits else y_pred
    bce = _binary_entropies(y_true, p, False)
    p_t = y_true * p + (1.0 - y_true) * (1.0 - p)
    focal = (1.0 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return focal.mean(axis)


def _log_probs(y_pred, from_logits, axis):
    if from_logits:
        return F.log_softmax(y_pred, dim=axis)
    return _clip(y_pred / y_pred.sum(axis, keepdim=True)).log()


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    _check_axis("categorical_crossentropy", axis)
    y_true, y_pred = _pair("categorical_crossentropy", y_true, y_pred)
    y_true = _smooth(y_true, label_smoothing, y_true.shape[-1])
    return -(y_true * _log_probs(y_pred, from_logits, axis)).sum(axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy scaled by alpha * (1 - p) ** gamma per class."""
    _check_axis("categorical_focal_crossentropy", axis)
    y_true, y_pred = _pair("categorical_focal_crossentropy", y_true, y_pred)
    y_true = _smooth(y_true, label_smoothing, y_true.shape[-1])
    p = F.softmax(y_pred, dim=axis) if from_logits else y_pred
    p = _clip(p / p.sum(axis, keepdim=True))
    return (alpha * (1.0 - p) ** gamma * -(y_true * p.log())).sum(axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """y_true: class indices, (N,) or (N, 1) (or (N, T) for (N, T, C) outputs); entries equal
    to `ignore_class` give 0 (and the loss classes leave them out of the mean)."""
    _check_axis("sparse_categorical_crossentropy", axis)
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true)
    if axis not in (-1, y_pred.dim() - 1):
        y_pred = y_pred.movedim(axis, -1)
    classes = y_pred.shape[-1]
    if y_true.numel() * classes != y_pred.numel():
        raise ValueError(f"sparse_categorical_crossentropy: {y_true.numel()} class indices "
                         f"of shape {tuple(y_true.shape)} for outputs of shape "
                         f"{tuple(y_pred.shape)} (expected one index per row of {classes} "
                         "class scores)")
    labels = y_true.reshape(y_pred.shape[:-1]).long()
    valid = None
    if ignore_class is not None:
        valid = labels != int(ignore_class)
        labels = where(valid, labels, 0)
    bad = (labels < 0) | (labels >= classes)
    if bool(bad.any()):
        raise ValueError(f"sparse_categorical_crossentropy: class indices must be in "
                         f"[0, {classes}), got {labels[bad].reshape(-1)[:5].tolist()}")
    onehot = F.one_hot(labels, classes).to(y_pred.dtype)
    values = -(onehot * _log_probs(y_pred, from_logits, -1)).sum(-1)
    return values if valid is None else where(valid, values, 0.0)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = _pair("kl_divergence", y_true, y_pred)
    t = y_true.clamp(K.epsilon(), 1.0)
    return (t * (t / y_pred.clamp(K.epsilon(), 1.0)).log()).sum(-1)


def poisson(y_true, y_pred):
    y_true, y_pred = _pair("poisson", y_true, y_pred)
    return (y_pred - y_true * (y_pred + K.epsilon()).log()).mean(-1)


# ---------------------------------------------------------------------- hinge
def _signed(y_true):
    """Keras turns 0/1 labels into -1/1 for the hinge losses (other labels stay)."""
    if bool(((y_true == 0) | (y_true == 1)).all()):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true, y_pred):
    y_true, y_pred = _pair("hinge", y_true, y_pred)
    return (1.0 - _signed(y_true) * y_pred).clamp(0.0, None).mean(-1)


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _pair("squared_hinge", y_true, y_pred)
    return ((1.0 - _signed(y_true) * y_pred).clamp(0.0, None) ** 2).mean(-1)


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _pair("categorical_hinge", y_true, y_pred)
    pos = (y_true * y_pred).sum(-1)
    neg = ((1.0 - y_true) * y_pred).max(-1)[0]
    return (neg - pos + 1.0).clamp(0.0, None)


def cosine_proximity(y_true, y_pred, axis=-1):
    """Keras 2's name of cosine_similarity (also negative)."""
    return cosine_similarity(y_true, y_pred, axis)


# Keras 2 and Keras 3 names of the same functions.
kullback_leibler_divergence = kld = KLD = kl_divergence
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
logcosh = log_cosh
huber_loss = huber
cosine = cosine_proximity

LOSSES = {f.__name__: f for f in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, huber, log_cosh, cosine_similarity, binary_crossentropy,
    binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
    sparse_categorical_crossentropy, kl_divergence, poisson, hinge, squared_hinge,
    categorical_hinge, cosine_proximity)}
LOSSES.update(mse=mse, mae=mae, mape=mape, msle=msle, MSE=mse, MAE=mae, MAPE=mape, MSLE=msle,
              kld=kld, KLD=kld, kullback_leibler_divergence=kld, logcosh=logcosh,
              huber_loss=huber, cosine=cosine)

from .loss_classes import (BinaryCrossentropy, BinaryFocalCrossentropy,  # noqa: E402,F401
                           CategoricalCrossentropy, CategoricalFocalCrossentropy,
                           CategoricalHinge, CosineSimilarity, Hinge, Huber, KLDivergence,
                           LogCosh, Loss, LossFunctionWrapper, MeanAbsoluteError,
                           MeanAbsolutePercentageError, MeanSquaredError,
                           MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy,
                           SquaredHinge, deserialize, get, serialize)
