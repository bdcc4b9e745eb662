"""Keras's R2Score and IoU / MeanIoU metric classes: scores of everything seen (sums of
squares per output column; a confusion matrix of classes), on metric_classes.py's base."""
from __future__ import annotations

import numpy as np

from .metric_classes import Metric, same_rank, to_array


class R2Score(Metric):
    """The coefficient of determination, 1 - SS_res / SS_tot, per output column, aggregated
    by `class_aggregation` ('uniform_average', 'variance_weighted_average' or None); adjusted
    for `num_regressors` when that is > 0."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0,
                 name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in ("uniform_average", "variance_weighted_average", None):
            raise ValueError("R2Score: class_aggregation must be 'uniform_average', "
                             f"'variance_weighted_average' or None, got {class_aggregation!r}")
        if not (isinstance(num_regressors, int) and num_regressors >= 0):
            raise ValueError(f"R2Score: num_regressors must be an int >= 0, got "
                             f"{num_regressors!r}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self.num_samples = self.add_variable(name="num_samples")
        self._columns = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = same_rank(to_array(y_true), to_array(y_pred))
        if y_true.ndim == 1:
            y_true, y_pred = y_true[:, None], y_pred[:, None]
        if y_true.ndim != 2 or y_true.shape != y_pred.shape:
            raise ValueError(f"R2Score: expected y_true and y_pred of the same shape (batch, "
                             f"outputs), got {y_true.shape} and {y_pred.shape}")
        if self._columns is None:
            columns = y_true.shape[1:]
            self.sum, self.squared_sum, self.total_mse, self.count = (
                self.add_variable(columns, name=n) for n in
                ("sum", "squared_sum", "total_mse", "count"))
            self._columns = columns
        elif y_true.shape[1:] != self._columns:
            raise ValueError(f"R2Score: built for {self._columns[0]} outputs, got "
                             f"y_true of shape {y_true.shape}")
        sw = np.ones(1) if sample_weight is None else to_array(sample_weight)
        sw = np.broadcast_to(sw[:, None] if sw.ndim == 1 else sw, y_true.shape)
        self.sum.value += (y_true * sw).sum(0)
        self.squared_sum.value += (y_true * y_true * sw).sum(0)
        self.total_mse.value += ((y_true - y_pred) ** 2 * sw).sum(0)
        self.count.value += sw.sum(0)
        self.num_samples.value += y_true.size

    def result(self):
        if self._columns is None:
            return self._out(0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            total = self.squared_sum.value - self.sum.value ** 2 / self.count.value
            raw = 1.0 - self.total_mse.value / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        n, p = float(self.num_samples.value), self.num_regressors
        if p and p < n - 1:
            score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return self._out(score)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


class IoU(Metric):
    """Intersection over union, TP / (TP + FP + FN), of the classes `target_class_ids`,
    averaged over those present. Targets and predictions are class indices unless
    sparse_y_true / sparse_y_pred is False (then argmax over `axis`); entries equal to
    `ignore_class` or outside [0, num_classes) are left out."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype)
        if not (isinstance(num_classes, int) and num_classes > 0):
            raise ValueError(f"{type(self).__name__}: num_classes must be a positive int, got "
                             f"{num_classes!r}")
        ids = list(target_class_ids)
        if not ids or any(not 0 <= int(i) < num_classes for i in ids):
            raise ValueError(f"{type(self).__name__}: target_class_ids must be class indices "
                             f"in [0, {num_classes}), got {target_class_ids!r}")
        self.num_classes, self.target_class_ids = num_classes, [int(i) for i in ids]
        self.ignore_class, self.axis = ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_cm")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_array(y_true), to_array(y_pred)
        if not self.sparse_y_true:
            y_true = y_true.argmax(self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(self.axis)
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{type(self).__name__}: {y_true.size} targets for "
                             f"{y_pred.size} predictions")
        sw = np.ones(1) if sample_weight is None else to_array(sample_weight).reshape(-1)
        sw = np.broadcast_to(sw, y_true.shape)
        keep = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & \
            (y_pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        np.add.at(self.total_cm.value, (y_true[keep].astype(int), y_pred[keep].astype(int)),
                  sw[keep])

    def result(self):
        cm = self.total_cm.value
        tp = np.diag(cm)
        denominator = (cm.sum(0) + cm.sum(1) - tp)[self.target_class_ids]
        tp = tp[self.target_class_ids]
        valid = denominator > 1e-9
        iou = np.where(valid, tp / (denominator + 1e-7), 0.0)
        return self._out(iou.sum() / (valid.sum() + 1e-7))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class MeanIoU(IoU):
    """IoU averaged over every class present."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, range(num_classes) if isinstance(num_classes, int)
                         and num_classes > 0 else [], name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config
