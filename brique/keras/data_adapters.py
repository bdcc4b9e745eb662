"""What model.fit / evaluate / predict take besides (x, y) arrays, as batches for brique's
loop: a Sequence / PyDataset (batch by index, on_epoch_end after each epoch), a Python
generator or iterator (steps_per_epoch batches per epoch, or until exhausted), an
ImageDataGenerator's flow, any iterable of batches; and sample weights (sample_weight=,
class_weight=, or (x, y, sample_weight) batches).

A batch is `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)` (a list counts as a tuple, as in
Keras 3), with x and y arrays or lists of arrays (one per input / output). With weights the
targets travel as WeightedTargets(y, sample_weight), which the model's loss unpacks.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend as _backend
from ..tensor import Tensor
from ..train.arrays import ArrayLoader, _array, split_last


class WeightedTargets(tuple):
    """(targets, sample_weight) of one batch."""


def is_batch_source(x):
    """True for what fit takes instead of arrays: a Sequence, a generator or iterator, an
    iterable of batches (not an array, a Tensor, a list/tuple/dict of arrays)."""
    if x is None or isinstance(x, (np.ndarray, Tensor, list, tuple, dict, str)):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__") or (
        hasattr(x, "__getitem__") and hasattr(x, "__len__"))


def _tensor(a):
    if isinstance(a, (list, tuple)):
        return [_tensor(v) for v in a]
    if isinstance(a, dict):
        return {k: _tensor(v) for k, v in a.items()}
    return Tensor._make(_array(a))


def unpack(batch):
    """(x, y, sample_weight) of a batch, the missing ones None."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if not 1 <= len(batch) <= 3:
        raise ValueError(f"fit: a batch must be x, (x, y) or (x, y, sample_weight); got a "
                         f"tuple of {len(batch)}")
    return batch + (None,) * (3 - len(batch))


def class_weights(y, class_weight):
    """Per-sample weights for targets y (class indices, (N, 1) or one-hot rows)."""
    if isinstance(y, (list, tuple)):
        raise ValueError("fit: class_weight is only supported for models with one output")
    y = _backend.to_numpy(y.detach()._data) if isinstance(y, Tensor) else np.asarray(y)
    classes = y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
    classes = np.round(classes).astype(np.int64)
    missing = sorted(set(np.unique(classes).tolist()) - set(class_weight))
    if missing:
        raise ValueError(f"fit: class_weight has no weight for class(es) {missing} found in "
                         f"the targets (it has {sorted(class_weight)})")
    return np.asarray([class_weight[c] for c in classes], dtype=np.float32)


def _weights(y, sample_weight, class_weight):
    w = None if sample_weight is None else np.asarray(
        _backend.to_numpy(sample_weight.detach()._data) if isinstance(sample_weight, Tensor)
        else sample_weight, dtype=np.float32)
    if class_weight:
        cw = class_weights(y, class_weight)
        w = cw if w is None else w * cw
    return w


def to_batch(batch, class_weight=None):
    """A source's batch as fit's (x, y) Tensors, y as WeightedTargets when weighted."""
    x, y, sw = unpack(batch)
    if y is None:
        raise ValueError("fit/evaluate: the data gives batches without targets; expected "
                         "(x, y) or (x, y, sample_weight) batches")
    w = _weights(y, sw, class_weight)
    y = _tensor(y)
    return _tensor(x), (y if w is None else WeightedTargets((y, Tensor._make(w))))


class BatchSource:
    """An epoch at a time of converted batches from a Sequence, generator or iterable."""

    def __init__(self, source, steps=None, shuffle=False, class_weight=None, what="fit"):
        if steps is not None and (not isinstance(steps, int) or steps < 1):
            raise ValueError(f"{what}: steps must be a positive int, got {steps!r}")
        self.source, self.steps, self.shuffle = source, steps, shuffle
        self.class_weight, self.what = class_weight, what
        self.indexed = _is_sequence(source) or (
            hasattr(source, "__getitem__") and hasattr(source, "__len__")
            and not hasattr(source, "__next__"))
        self.iterator = source if hasattr(source, "__next__") and not self.indexed else None
        if self.iterator is None and not self.indexed and steps is not None:
            self.iterator = iter(source)  # an iterable read on across epochs, as Keras does

    def sized(self):
        """True when the number of batches an epoch is known (not a generator without
        steps)."""
        return self.steps is not None or self.indexed or (
            hasattr(self.source, "__len__") and self.iterator is None)

    def __len__(self):
        if self.steps is not None:
            return self.steps if not self.indexed else min(self.steps, len(self.source))
        if not self.sized():
            raise TypeError(f"{self.what}: the number of batches of a generator is unknown; "
                            "pass steps_per_epoch (or steps)")
        return len(self.source)

    def raw(self):
        """The source's batches for one epoch, unconverted."""
        if self.indexed:
            order = np.arange(len(self.source))
            if self.shuffle:
                order = _backend.rng().permutation(order)
            if hasattr(self.source, "on_epoch_begin"):
                self.source.on_epoch_begin()
            for i in order[:len(self)]:
                yield self.source[int(i)]
            if hasattr(self.source, "on_epoch_end"):
                self.source.on_epoch_end()
            return
        it = self.iterator if self.iterator is not None else iter(self.source)
        n = 0
        for batch in it:
            yield batch
            n += 1
            if self.steps is not None and n >= self.steps:
                return
        if n == 0 or (self.steps is not None and n < self.steps):
            warnings.warn(f"{self.what}: the input ran out of data after {n} batches; give "
                          "a generator that repeats, or fewer steps", stacklevel=3)

    def __iter__(self):
        for batch in self.raw():
            yield to_batch(batch, self.class_weight)


class Unsized:
    """A BatchSource without a length: brique's loop then shows no total."""

    def __init__(self, source):
        self.source = source

    def __iter__(self):
        return iter(self.source)


def batches(source, steps=None, shuffle=False, class_weight=None, what="fit"):
    feeder = BatchSource(source, steps, shuffle, class_weight, what)
    return feeder if feeder.sized() else Unsized(feeder)


def _is_sequence(x):
    from .utils.data import PyDataset
    return isinstance(x, PyDataset)


class WeightedArrays:
    """(x, y) arrays with per-sample weights, in shuffled batches of (x, WeightedTargets)."""

    def __init__(self, x, y, weights, batch_size, shuffle):
        self.y_list = isinstance(y, (list, tuple))
        ys = list(y) if self.y_list else [y]
        self.loader = ArrayLoader(x, ys + [np.asarray(weights, dtype=np.float32)],
                                  batch_size=batch_size, shuffle=shuffle)

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for x, ys in self.loader:
            y = ys[:-1] if self.y_list else ys[0]
            yield x, WeightedTargets((y, ys[-1]))


def array_data(x, y, sample_weight, class_weight, batch_size, shuffle, validation_split,
               what="fit"):
    """(train, val) for arrays with sample_weight and/or class_weight; val is None without
    a validation_split (the last fraction, before shuffling, as Keras holds out)."""
    if y is None:
        raise ValueError(f"{what}: targets y are needed with arrays")
    n = len(x[0] if isinstance(x, (list, tuple)) else x)
    weights = _weights(y, sample_weight, class_weight)
    if weights is None:
        weights = np.ones(n, np.float32)
    if weights.shape != (n,):
        raise ValueError(f"{what}: sample_weight must have one weight per sample, shape "
                         f"({n},), got {weights.shape}")
    val = None
    if validation_split:
        ys = list(y) if isinstance(y, (list, tuple)) else [y]
        (x, (*ys, weights)), (vx, (*vys, vw)) = split_last((x, ys + [weights]),
                                                           validation_split)
        y = ys if isinstance(y, (list, tuple)) else ys[0]
        val = WeightedArrays(vx, vys if isinstance(y, list) else vys[0], vw, batch_size, False)
    return WeightedArrays(x, y, weights, batch_size, shuffle), val


def validation(data, batch_size, steps, what="fit"):
    """validation_data as batches: (x, y), (x, y, sample_weight), or a batch source."""
    if data is None:
        return None
    if is_batch_source(data):
        return batches(data, steps, what=f"{what} (validation_data)")
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError(f"{what}: validation_data must be (x_val, y_val), (x_val, y_val, "
                         f"val_sample_weight), a Sequence or a generator; got "
                         f"{type(data).__name__}")
    x, y, sw = tuple(data) + (None,) * (3 - len(data))
    if sw is None:
        return (x, y)
    return array_data(x, y, sw, None, batch_size, False, 0.0, what)[0]


def predict_batches(source, steps, run):
    """Outputs of run(x) over a source's batches (x alone, or the x of (x, y) batches),
    concatenated: one array, or a list per output."""
    feeder = BatchSource(source, steps, what="predict")
    outs = []
    for batch in feeder.raw():
        out = run(_tensor(unpack(batch)[0]))
        outs.append(out if isinstance(out, list) else [out])
    if not outs:
        raise ValueError("predict: the data gave no batches")
    joined = [np.concatenate([o[i] for o in outs]) for i in range(len(outs[0]))]
    return joined if len(joined) > 1 else joined[0]



def weighted_loss(fn, y_true, y_pred, sample_weight):
    """A loss averaged with per-sample weights: a Loss object weighs itself; a function's
    per-sample values are weighted and averaged over the batch (Keras 3's
    'sum_over_batch_size')."""
    from .loss_classes import Loss, reduce_weighted_values
    if isinstance(fn, Loss):
        return fn(y_true, y_pred, sample_weight=sample_weight)
    return reduce_weighted_values(fn(y_true, y_pred), sample_weight)


class Unweighted:
    """A metric of brique's loop that sees the targets without their sample weights."""

    def __init__(self, metric):
        self.metric, self.__name__ = metric, getattr(metric, "__name__", "metric")
        if callable(getattr(metric, "reset_state", None)):
            self.reset_state = metric.reset_state

    def __call__(self, out, y):
        return self.metric(out, y[0] if isinstance(y, WeightedTargets) else y)


def peek_inputs(source):
    """(x of the first batch, the source to use from now on): builds a model that has not
    seen data yet; a generator's first batch is put back in front of it."""
    if _is_sequence(source) or (hasattr(source, "__getitem__") and hasattr(source, "__len__")
                                and not hasattr(source, "__next__")):
        return unpack(source[0])[0], source
    if hasattr(source, "__next__"):
        first = next(source)
        return unpack(first)[0], _chain(first, source)
    return unpack(next(iter(source)))[0], source


def _chain(first, rest):
    yield first
    yield from rest


def fit_data(x, y, sample_weight, class_weight, batch_size, shuffle, validation_split,
             validation_data, steps_per_epoch, validation_steps):
    """(train, val, validation_split left for brique's loop to apply)."""
    if is_batch_source(x):
        if y is not None:
            raise ValueError("fit: y must not be given when x is a Sequence or generator (its "
                             "batches hold the targets)")
        if validation_split:
            raise ValueError("fit: validation_split needs arrays; with a Sequence or "
                             "generator pass validation_data")
        if sample_weight is not None:
            raise ValueError("fit: sample_weight needs arrays; a Sequence or generator gives "
                             "(x, y, sample_weight) batches instead")
        train, split_val = batches(x, steps_per_epoch, shuffle, class_weight), None
    elif sample_weight is not None or class_weight:
        train, split_val = array_data(x, y, sample_weight, class_weight, batch_size, shuffle,
                                      validation_split)
        validation_split = 0.0
    else:
        train, split_val = (x, y), None
    val = validation(validation_data, batch_size, validation_steps)
    if val is not None and split_val is not None:
        raise ValueError("fit: give either validation_data or validation_split")
    return train, val if val is not None else split_val, validation_split
