"""Metrics for fit(): each takes (output, target) Tensors and returns a Python float averaged
over the batch; fit() weights batches by their size. Names resolve with `get_metric`."""
from __future__ import annotations

from .. import backend
from ..tensor import Tensor


def _arrays(output, target):
    return backend.to_numpy(output.detach()._data), backend.to_numpy(
        target._data if isinstance(target, Tensor) else target)


def predicted_classes(output):
    """Class indices from scores: argmax over dim 1, or a threshold at 0 for a single logit."""
    out = backend.to_numpy(output.detach()._data)
    if out.ndim == 1 or out.shape[1] == 1:
        return (out.reshape(len(out), -1)[:, 0] > 0).astype("int64")
    return out.argmax(axis=1)


def accuracy(output, target):
    """Fraction of correct classes. output: (N, C) scores or (N,)/(N, 1) logits; target: (N,)
    class indices (or (N, C) probabilities, compared by argmax)."""
    _, t = _arrays(output, target)
    if t.ndim == 2 and t.shape[1] > 1:
        t = t.argmax(axis=1)
    return float((predicted_classes(output) == t.reshape(-1)).mean())


def top_k_accuracy(output, target, k=5):
    out, t = _arrays(output, target)
    top = out.argsort(axis=1)[:, -k:]
    return float((top == t.reshape(-1, 1)).any(axis=1).mean())


def mse(output, target):
    out, t = _arrays(output, target)
    return float(((out - t.reshape(out.shape)) ** 2).mean())


def mae(output, target):
    out, t = _arrays(output, target)
    return float(abs(out - t.reshape(out.shape)).mean())


def confusion_matrix(predictions, targets, num_classes=None):
    """counts[i, j] = number of samples of true class i predicted as j."""
    p = backend.to_numpy(predictions._data if isinstance(predictions, Tensor) else predictions)
    t = backend.to_numpy(targets._data if isinstance(targets, Tensor) else targets)
    p, t = p.reshape(-1).astype("int64"), t.reshape(-1).astype("int64")
    n = num_classes or int(max(p.max(initial=0), t.max(initial=0))) + 1
    counts = backend.numpy.zeros((n, n), dtype="int64")
    backend.numpy.add.at(counts, (t, p), 1)
    return counts


METRICS = {"accuracy": accuracy, "acc": accuracy, "mse": mse, "mae": mae,
           "top5": lambda o, t: top_k_accuracy(o, t, 5),
           "top_5_accuracy": lambda o, t: top_k_accuracy(o, t, 5)}


def get_metric(metric):
    """(name, fn) for a metric name or callable."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)} or a "
                         "callable(output, target) -> float")
    return metric, METRICS[metric]
