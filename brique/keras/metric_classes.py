"""Keras's metric classes: objects that accumulate over batches (`update_state(y_true,
y_pred, sample_weight=None)`) and report the whole (`result()`), so an epoch's value is the
metric of all its samples (an AUC of the epoch, not a mean of batch AUCs). Their state is
NumPy (float64), outside autograd. This file: the base, Mean/Sum, the per-sample functions
as Mean metrics and RootMeanSquaredError; score_metrics.py has R2Score and the IoUs,
confusion_metrics.py Precision, Recall, AUC and the F-scores."""
from __future__ import annotations

import re

import numpy as np

from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor
from . import losses as L
from . import metrics as M
from .engine import to_tensor


def to_array(x):
    """A Tensor, array or list as a float64 NumPy array."""
    if isinstance(x, Tensor):
        x = backend.to_numpy(x.detach()._data)
    elif hasattr(x, "detach"):  # a torch tensor (a Keras 3 output)
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype="float64")


def same_rank(a, b):
    """Keras's squeeze_or_expand_to_same_rank: when ranks differ by one and the longer ends in
    1, that axis goes (or a rank-1 array gains one)."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class MetricVariable:
    """A metric's state: a NumPy array with Keras's assign/assign_add, usable in arithmetic
    (as a Tensor) by custom metrics' result()."""

    def __init__(self, shape=(), initializer="zeros", name=None):
        if initializer not in ("zeros", "ones") and not callable(initializer):
            raise ValueError(f"add_variable: initializer must be 'zeros', 'ones' or a "
                             f"callable(shape), got {initializer!r}")
        self.shape, self.name, self._initializer = tuple(shape), name, initializer
        self.reset()

    def reset(self):
        init = self._initializer
        fill = {"zeros": np.zeros, "ones": np.ones}.get(init) if isinstance(init, str) else init
        self.value = np.array(fill(self.shape), dtype="float64").reshape(self.shape)

    def assign(self, value):
        self.value = np.broadcast_to(to_array(value), self.shape).copy()

    def assign_add(self, value):
        self.assign(self.value + to_array(value))

    def assign_sub(self, value):
        self.assign(self.value - to_array(value))

    def numpy(self):
        return self.value.copy()

    def __array__(self, dtype=None, copy=None):
        return self.value.astype(dtype) if dtype else self.value

    def __float__(self):
        return float(self.value)

    def _t(self):
        return to_tensor(self.value.astype("float32"))

    def __add__(self, o): return self._t() + o  # noqa: E704
    def __radd__(self, o): return o + self._t()  # noqa: E704
    def __sub__(self, o): return self._t() - o  # noqa: E704
    def __rsub__(self, o): return o - self._t()  # noqa: E704
    def __mul__(self, o): return self._t() * o  # noqa: E704
    def __rmul__(self, o): return o * self._t()  # noqa: E704
    def __truediv__(self, o): return self._t() / o  # noqa: E704
    def __rtruediv__(self, o): return o / self._t()  # noqa: E704
    def __neg__(self): return -self._t()  # noqa: E704


class Metric:
    """Base of the metrics: subclasses make their state with add_variable in __init__ and
    write update_state and result; reset_state zeroes the state."""

    def __init__(self, name=None, dtype=None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = dtype or "float32"
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        variable = MetricVariable(shape, initializer, name)
        self._variables.append(variable)
        return variable

    def add_weight(self, name=None, shape=(), initializer="zeros", dtype=None):
        """Keras 2's name of add_variable."""
        return self.add_variable(shape, initializer, dtype, name)

    @property
    def variables(self):
        return list(self._variables)

    def reset_state(self):
        for variable in self._variables:
            variable.reset()

    def reset_states(self):
        """Keras 2's name of reset_state."""
        self.reset_state()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define update_state")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must define result")

    def __call__(self, *args, **kwargs):
        """Update with this batch, then the result over everything seen."""
        self.update_state(*args, **kwargs)
        return self.result()

    def _out(self, value):
        """A result as a Tensor of the metric's dtype."""
        return to_tensor(np.asarray(value, dtype=self.dtype))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


def _per_sample(values, sample_weight, reduce):
    """Keras's reduce_to_samplewise_values: values (and weights) to one per sample."""
    if sample_weight is not None:
        sw = to_array(sample_weight)
        values, sw = same_rank(values, sw)
        if values.ndim > sw.ndim:
            values = reduce(values, axis=tuple(range(sw.ndim, values.ndim)))
        try:
            sw = np.broadcast_to(sw, values.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {sw.shape} does not fit values of shape "
                             f"{values.shape} (expected one weight per sample)") from None
        values = values * sw
        if sw.ndim > 1:
            sw = reduce(sw, axis=tuple(range(1, sw.ndim)))
        sample_weight = sw
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Mean(Metric):
    """The (weighted) mean of the values given to update_state."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total, self.count = self.add_variable(name="total"), self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = _per_sample(to_array(values), sample_weight, np.mean)
        self.total.value += values.sum()
        if sample_weight is not None:
            self.count.value += np.sum(sample_weight)
        else:
            self.count.value += values.shape[0] if values.ndim else 1

    def result(self):
        count = float(self.count.value)
        return self._out(self.total.value / count if count else 0.0)


class Sum(Metric):
    """The (weighted) sum of the values given to update_state."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = _per_sample(to_array(values), sample_weight, np.sum)
        self.total.value += values.sum()

    def result(self):
        return self._out(self.total.value)


class MeanMetricWrapper(Mean):
    """The mean over samples of fn(y_true, y_pred, **kwargs), a function on Tensors returning
    one value per sample (a loss, an accuracy, a custom metric)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper: fn must be callable, got {fn!r}")
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"),
                         dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        with no_grad():
            values = self._fn(to_tensor(y_true), to_tensor(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = self._fn
        return config


def _wrapper(class_name, fn, default_name, doc, leading=(), **defaults):
    """A MeanMetricWrapper subclass over `fn`, taking Keras's arguments: `leading` ones
    before name and dtype (TopK's k), the others after them."""
    order = list(leading) + ["name", "dtype"] + [k for k in defaults if k not in leading]

    def __init__(self, *args, **kwargs):
        if len(args) > len(order):
            raise TypeError(f"{class_name}: at most {len(order)} positional arguments "
                            f"({order}), got {len(args)}")
        options = {"name": default_name, "dtype": None, **defaults}
        options.update(zip(order, args))
        unknown = set(kwargs) - set(options)
        if unknown:
            raise TypeError(f"{class_name}: unexpected arguments {sorted(unknown)}; expected "
                            f"{order}")
        options.update(kwargs)
        name, dtype = options.pop("name"), options.pop("dtype")
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **options)

    return type(class_name, (MeanMetricWrapper,),
                {"__init__": __init__, "__doc__": doc, "__module__": __name__})


def _cosine(y_true, y_pred, axis=-1):
    return -L.cosine_similarity(y_true, y_pred, axis=axis)


Accuracy = _wrapper("Accuracy", M.accuracy, "accuracy", "How often y_pred equals y_true.")
BinaryAccuracy = _wrapper("BinaryAccuracy", M.binary_accuracy, "binary_accuracy",
                          "How often y_pred > threshold matches 0/1 targets.", threshold=0.5)
CategoricalAccuracy = _wrapper("CategoricalAccuracy", M.categorical_accuracy,
                               "categorical_accuracy", "argmax(y_pred) == argmax(y_true).")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", M.sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy",
                                     "argmax(y_pred) == the class index y_true.")
TopKCategoricalAccuracy = _wrapper("TopKCategoricalAccuracy", M.top_k_categorical_accuracy,
                                   "top_k_categorical_accuracy",
                                   "argmax(y_true) among the k best scores.", ("k",), k=5)
SparseTopKCategoricalAccuracy = _wrapper(
    "SparseTopKCategoricalAccuracy", M.sparse_top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy", "The class index among the k best scores.",
    ("k",), k=5)
MeanSquaredError = _wrapper("MeanSquaredError", L.mean_squared_error, "mean_squared_error",
                            "Mean of (y_pred - y_true) ** 2.")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", L.mean_absolute_error, "mean_absolute_error",
                             "Mean of |y_pred - y_true|.")
MeanAbsolutePercentageError = _wrapper(
    "MeanAbsolutePercentageError", L.mean_absolute_percentage_error,
    "mean_absolute_percentage_error", "100 * mean of |y_true - y_pred| / |y_true|.")
MeanSquaredLogarithmicError = _wrapper(
    "MeanSquaredLogarithmicError", L.mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error", "Mean of (log(1 + y_pred) - log(1 + y_true)) ** 2.")
CosineSimilarity = _wrapper("CosineSimilarity", _cosine, "cosine_similarity",
                            "The cosine similarity (positive, unlike the loss).", axis=-1)
LogCoshError = _wrapper("LogCoshError", L.log_cosh, "logcosh", "Mean of log(cosh(error)).")
Hinge = _wrapper("Hinge", L.hinge, "hinge", "The hinge loss as a metric.")
SquaredHinge = _wrapper("SquaredHinge", L.squared_hinge, "squared_hinge",
                        "The squared hinge loss as a metric.")
CategoricalHinge = _wrapper("CategoricalHinge", L.categorical_hinge, "categorical_hinge",
                            "The categorical hinge loss as a metric.")
KLDivergence = _wrapper("KLDivergence", L.kl_divergence, "kl_divergence",
                        "The Kullback-Leibler divergence as a metric.")
Poisson = _wrapper("Poisson", L.poisson, "poisson", "The Poisson loss as a metric.")
BinaryCrossentropy = _wrapper("BinaryCrossentropy", L.binary_crossentropy,
                              "binary_crossentropy", "The binary cross-entropy as a metric.",
                              from_logits=False, label_smoothing=0.0)
CategoricalCrossentropy = _wrapper("CategoricalCrossentropy", L.categorical_crossentropy,
                                   "categorical_crossentropy",
                                   "The categorical cross-entropy as a metric.",
                                   from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _wrapper(
    "SparseCategoricalCrossentropy", L.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy", "The sparse categorical cross-entropy as a metric.",
    from_logits=False, axis=-1)


class RootMeanSquaredError(Mean):
    """sqrt of the mean squared error over everything seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = same_rank(to_array(y_true), to_array(y_pred))
        super().update_state((y_pred - y_true) ** 2, sample_weight)

    def result(self):
        return self._out(np.sqrt(float(super().result())))


# R2Score and the IoUs (score_metrics.py) build on the classes above.
from .score_metrics import IoU, MeanIoU, R2Score  # noqa: E402,F401
