"""Keras's metrics built on confusion counts at thresholds: TruePositives & co, Precision,
Recall, AUC, the X-at-Y metrics and the F-scores. A prediction is positive when it is above
the threshold; counts are accumulated (NumPy, float64) over every batch, so result() is the
metric of all the samples seen."""
from __future__ import annotations

import numpy as np

from .metric_classes import Metric, same_rank, to_array

EPSILON = 1e-7
NEG_INF = -1e10  # Keras's value for the scores left out by top_k


def _thresholds(name, thresholds, default):
    if thresholds is None:
        return [default]
    values = [float(t) for t in np.ravel(thresholds)]
    if not values or any(not 0.0 <= t <= 1.0 for t in values):
        raise ValueError(f"{name}: thresholds must be in [0, 1], got {thresholds!r}")
    return values


def _even_thresholds(num_thresholds, name):
    """num_thresholds evenly spaced in [0, 1], the ends nudged outside it by epsilon so that
    predictions of exactly 0 and 1 are counted (as Keras's AUC does)."""
    if not isinstance(num_thresholds, int) or num_thresholds <= 1:
        raise ValueError(f"{name}: num_thresholds must be an int > 1, got {num_thresholds!r}")
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - EPSILON] + inner + [1.0 + EPSILON]


def _filter_top_k(scores, k):
    """The k best scores of each row kept, the others set to NEG_INF."""
    keep = np.zeros(scores.shape, bool)
    np.put_along_axis(keep, np.argsort(-scores, axis=-1, kind="stable")[..., :k], True, -1)
    return np.where(keep, scores, NEG_INF)


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None,
                     class_id=None, multi_label=False, label_weights=None, name="metric"):
    """{'tp', 'fp', 'tn', 'fn'}: weighted counts per threshold, shape (thresholds,), or
    (thresholds, labels) with multi_label."""
    y_pred, y_true = same_rank(to_array(y_pred), to_array(y_true))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: y_true of shape {y_true.shape} does not match y_pred of "
                         f"shape {y_pred.shape}")
    weight = np.ones(y_pred.shape)
    if sample_weight is not None:
        sw = to_array(sample_weight)
        sw = sw.reshape(sw.shape + (1,) * (y_pred.ndim - sw.ndim)) if sw.ndim < y_pred.ndim \
            else sw
        try:
            weight = np.broadcast_to(sw, y_pred.shape)
        except ValueError:
            raise ValueError(f"{name}: sample_weight of shape {to_array(sample_weight).shape} "
                             f"does not fit y_pred of shape {y_pred.shape}") from None
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim < 2 or not 0 <= class_id < y_pred.shape[-1]:
            raise ValueError(f"{name}: class_id {class_id} needs y_pred of shape (samples, "
                             f"classes > {class_id}), got {y_pred.shape}")
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        weight = weight[..., class_id]
    if label_weights is not None:
        weight = weight * np.asarray(label_weights, "float64")
    if multi_label:
        y_true, y_pred, weight = (a.reshape(len(a), -1) for a in (y_true, y_pred, weight))
    else:
        y_true, y_pred, weight = y_true.reshape(-1), y_pred.reshape(-1), weight.reshape(-1)
    shape = (len(thresholds),) + (1,) * y_pred.ndim
    above = y_pred[None] > np.asarray(thresholds).reshape(shape)
    positive = y_true.astype(bool)[None]
    return {"tp": ((above & positive) * weight).sum(1),
            "fp": ((above & ~positive) * weight).sum(1),
            "tn": ((~above & ~positive) * weight).sum(1),
            "fn": ((~above & positive) * weight).sum(1)}


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


class _ConfusionMetric(Metric):
    """Counts at fixed thresholds; subclasses turn them into their result."""

    _counts = ("tp", "fp", "tn", "fn")

    def __init__(self, thresholds, name=None, dtype=None, top_k=None, class_id=None):
        super().__init__(name=name, dtype=dtype)
        if top_k is not None and not (isinstance(top_k, int) and top_k > 0):
            raise ValueError(f"{type(self).__name__}: top_k must be a positive int, got "
                             f"{top_k!r}")
        self.thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        for key in self._counts:
            setattr(self, key, self.add_variable((len(thresholds),), name=key))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, self.top_k,
                                  self.class_id, name=type(self).__name__)
        for key in self._counts:
            getattr(self, key).value += counts[key]

    def _scalar_or_vector(self, values):
        return self._out(values[0] if len(self.thresholds) == 1 else values)


class _Count(_ConfusionMetric):
    _key = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(_thresholds(type(self).__name__, thresholds, 0.5), name, dtype)
        self._init_thresholds = thresholds

    def result(self):
        return self._scalar_or_vector(getattr(self, self._key).value)

    def get_config(self):
        return {**super().get_config(), "thresholds": self._init_thresholds}


class TruePositives(_Count):
    """The weighted count of positive targets predicted positive."""
    _key = "tp"


class FalsePositives(_Count):
    """The weighted count of negative targets predicted positive."""
    _key = "fp"


class TrueNegatives(_Count):
    """The weighted count of negative targets predicted negative."""
    _key = "tn"


class FalseNegatives(_Count):
    """The weighted count of positive targets predicted negative."""
    _key = "fn"


class _PrecisionRecall(_ConfusionMetric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        default = NEG_INF if top_k is not None else 0.5  # top_k alone decides what counts
        super().__init__(_thresholds(type(self).__name__, thresholds, default), name, dtype,
                         top_k, class_id)
        self._init_thresholds = thresholds

    def get_config(self):
        return {**super().get_config(), "thresholds": self._init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """TP / (TP + FP): of the predictions above the threshold (or in the top_k, or of
    class_id only), the fraction that are positive."""

    def result(self):
        return self._scalar_or_vector(_ratio(self.tp.value, self.tp.value + self.fp.value))


class Recall(_PrecisionRecall):
    """TP / (TP + FN): of the positive targets, the fraction predicted positive."""

    def result(self):
        return self._scalar_or_vector(_ratio(self.tp.value, self.tp.value + self.fn.value))


class AUC(Metric):
    """Area under the ROC curve (curve='ROC', the default) or the precision-recall curve
    ('PR'), from counts at `num_thresholds` thresholds, summed as Keras does
    ('interpolation': trapezoids for ROC, Davis & Goadrich's interpolation for PR;
    'minoring'/'majoring': the lower/upper Riemann sum). multi_label: one curve per label,
    averaged (weighted by label_weights)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name or "auc", dtype=dtype)
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if str(summation_method).lower() not in ("interpolation", "minoring", "majoring"):
            raise ValueError("AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}")
        if thresholds is not None:
            inner = sorted(_thresholds("AUC", thresholds, 0.5))
            self.thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
            num_thresholds = len(self.thresholds)
        else:
            self.thresholds = _even_thresholds(num_thresholds, "AUC")
        self.num_thresholds, self.curve = num_thresholds, str(curve).upper()
        self.summation_method = str(summation_method).lower()
        self.multi_label, self.num_labels, self.from_logits = multi_label, num_labels, from_logits
        self.label_weights = None if label_weights is None else \
            np.asarray(label_weights, "float64")
        self._init_thresholds = thresholds
        self._counts_shape = None
        if not multi_label or num_labels:
            self._build((num_thresholds, num_labels) if multi_label else (num_thresholds,))

    def _build(self, shape):
        for key in ("tp", "fp", "tn", "fn"):
            setattr(self, key, self.add_variable(shape, name=key))
        self._counts_shape = shape

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_array(y_pred)
        if self.from_logits:
            y_pred = 1.0 / (1.0 + np.exp(-y_pred))
        if self._counts_shape is None:
            self._build((self.num_thresholds, int(np.prod(y_pred.shape[1:], dtype=int))))
        counts = confusion_counts(y_true, y_pred, self.thresholds, sample_weight,
                                  multi_label=self.multi_label,
                                  label_weights=None if self.multi_label else
                                  self.label_weights, name="AUC")
        for key, value in counts.items():
            if value.shape != self._counts_shape:
                raise ValueError(f"AUC: built for {self._counts_shape[1:]} labels, got "
                                 f"predictions of shape {y_pred.shape}")
            getattr(self, key).value += value

    def _by_label(self, areas):
        """Per-label areas (multi_label) to one number."""
        if not self.multi_label:
            return areas.sum()
        by_label = areas.sum(0)
        if self.label_weights is None:
            return by_label.mean()
        return _ratio((by_label * self.label_weights).sum(), self.label_weights.sum())

    def result(self):
        if self._counts_shape is None:
            return self._out(0.0)
        tp, fp, tn, fn = self.tp.value, self.fp.value, self.tn.value, self.fn.value
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._out(self._interpolate_pr(tp, fp, fn))
        recall = _ratio(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), recall
        else:
            x, y = recall, _ratio(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._out(self._by_label((x[:-1] - x[1:]) * heights))

    def _interpolate_pr(self, tp, fp, fn):
        """Davis & Goadrich (2006): precision interpolated between thresholds with TP and
        TP + FP varying linearly, integrated in closed form (Keras's interpolate_pr_auc)."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        areas = _ratio(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))
        return self._by_label(areas)

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "thresholds": self._init_thresholds, "multi_label": self.multi_label,
                "num_labels": self.num_labels, "from_logits": self.from_logits,
                "label_weights": None if self.label_weights is None else
                self.label_weights.tolist()}


class _AtValue(_ConfusionMetric):
    """The best of one rate among the thresholds where another rate reaches `value`."""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{type(self).__name__}: the target value must be in [0, 1], got "
                             f"{value!r}")
        if not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(f"{type(self).__name__}: num_thresholds must be a positive int, "
                             f"got {num_thresholds!r}")
        thresholds = [0.5] if num_thresholds == 1 else \
            [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
        super().__init__(thresholds, name, dtype, class_id=class_id)
        self.value, self.num_thresholds = value, num_thresholds

    def _rates(self):
        """(constrained rate, rate to maximise) per threshold."""
        raise NotImplementedError

    def result(self):
        constrained, dependent = self._rates()
        feasible = constrained >= self.value
        return self._out(dependent[feasible].max() if feasible.any() else 0.0)

    def get_config(self):
        key = self._value_name
        return {**super().get_config(), key: self.value, "num_thresholds": self.num_thresholds,
                "class_id": self.class_id}


class SensitivityAtSpecificity(_AtValue):
    """The best recall among thresholds with specificity >= `specificity`."""
    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def _rates(self):
        tp, fp, tn, fn = self.tp.value, self.fp.value, self.tn.value, self.fn.value
        return _ratio(tn, tn + fp), _ratio(tp, tp + fn)


class SpecificityAtSensitivity(_AtValue):
    """The best specificity among thresholds with recall >= `sensitivity`."""
    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def _rates(self):
        tp, fp, tn, fn = self.tp.value, self.fp.value, self.tn.value, self.fn.value
        return _ratio(tp, tp + fn), _ratio(tn, tn + fp)


class PrecisionAtRecall(_AtValue):
    """The best precision among thresholds with recall >= `recall`."""
    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def _rates(self):
        tp, fp, fn = self.tp.value, self.fp.value, self.fn.value
        return _ratio(tp, tp + fn), _ratio(tp, tp + fp)


class RecallAtPrecision(_AtValue):
    """The best recall among thresholds with precision >= `precision`."""
    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def _rates(self):
        tp, fp, fn = self.tp.value, self.fp.value, self.fn.value
        return _ratio(tp, tp + fp), _ratio(tp, tp + fn)


class FBetaScore(Metric):
    """(1 + beta^2) P R / (beta^2 P + R) per class of (samples, classes) targets, with
    predictions above `threshold` positive (None: each row's maximum); averaged over classes
    by `average`: None (one per class), 'micro' (pooled counts), 'macro', 'weighted' (by
    each class's number of positives)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{type(self).__name__}: average must be None, 'micro', 'macro' "
                             f"or 'weighted', got {average!r}")
        if not (isinstance(beta, (int, float)) and beta > 0):
            raise ValueError(f"{type(self).__name__}: beta must be a positive number, got "
                             f"{beta!r}")
        if threshold is not None and not (isinstance(threshold, (int, float)) and
                                          0 < threshold <= 1):
            raise ValueError(f"{type(self).__name__}: threshold must be in (0, 1], got "
                             f"{threshold!r}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        self._classes = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_array(y_true), to_array(y_pred)
        if y_true.ndim != 2 or y_pred.shape != y_true.shape:
            raise ValueError(f"{type(self).__name__}: expected y_true and y_pred of the same "
                             f"shape (samples, classes), got {y_true.shape} and "
                             f"{y_pred.shape}")
        if self._classes is None:
            shape = () if self.average == "micro" else (y_pred.shape[1],)
            self.true_positives, self.false_positives, self.false_negatives, \
                self.intermediate_weights = (self.add_variable(shape, name=n) for n in
                                             ("tp", "fp", "fn", "weights"))
            self._classes = y_pred.shape[1]
        if self.threshold is None:
            top = y_pred.max(-1, keepdims=True)
            predicted = (y_pred >= top) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype("float64")
        sw = np.ones((len(y_true), 1)) if sample_weight is None else \
            to_array(sample_weight).reshape(len(y_true), -1)
        axis = None if self.average == "micro" else 0
        self.true_positives.value += (predicted * y_true * sw).sum(axis)
        self.false_positives.value += (predicted * (1 - y_true) * sw).sum(axis)
        self.false_negatives.value += ((1 - predicted) * y_true * sw).sum(axis)
        self.intermediate_weights.value += (y_true * sw).sum(axis)

    def result(self):
        if self._classes is None:
            return self._out(0.0)
        tp = self.true_positives.value
        precision = tp / (tp + self.false_positives.value + EPSILON)
        recall = tp / (tp + self.false_negatives.value + EPSILON)
        b2 = self.beta ** 2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            weights = self.intermediate_weights.value
            score = (score * weights / (weights.sum() + EPSILON)).sum()
        elif self.average is not None:
            score = score.mean()
        return self._out(score)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """FBetaScore with beta = 1: the harmonic mean of precision and recall."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
