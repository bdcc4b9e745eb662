"""Keras's preprocessing layers for numbers, as Keras 3 computes them: Rescaling,
Normalization (with `adapt`), Discretization, CategoryEncoding.

They hold no trainable weights; Normalization keeps its statistics as buffers (saved with the
model, and in `get_weights` as Keras lists them). Integer inputs come out as float32, as in
Keras. The image layers are in image_preprocessing.py and image_augmentation.py, the string
ones in hashing.py and text_preprocessing.py; `encode` (ids -> one-hot / multi-hot / counts)
serves them all.
"""
from __future__ import annotations

import numpy as np

from ... import backend
from ...tensor import Tensor
from ..engine import Layer

ENCODINGS = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def host(x):
    """A Tensor or array-like as a NumPy array (the integer layers work on the host)."""
    return backend.to_numpy(x.detach()._data) if isinstance(x, Tensor) else np.asarray(x)


def like(a, ref):
    """NumPy array `a` as a Tensor on the device of `ref` (a Tensor) or on the CPU."""
    return Tensor._make(backend.to_device(a, ref.device) if isinstance(ref, Tensor) else a)


def check_mode(layer, mode, allowed=ENCODINGS):
    if mode not in allowed:
        raise ValueError(f"{layer}: output_mode must be one of {list(allowed)}, got {mode!r}")
    return mode


def encode(ids, depth, mode, layer, weights=None, count_weights=None):
    """Integer ids (NumPy, values in [0, depth)) encoded as Keras 2 does, as float32:
    'one_hot' adds a depth axis (a last axis of 1 is replaced); 'multi_hot' / 'count' /
    'tf_idf' (counts times `weights`, the idf) reduce the last axis to depth (a 1-D input is
    one id per sample). Negative ids are dropped (a mask token outside 'int' mode)."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iub":
        raise ValueError(f"{layer}: expected integer ids, got an array of dtype {ids.dtype}")
    if ids.size and (ids.max() >= depth or ids.min() < -1):
        raise ValueError(f"{layer}: input values must be in the range 0 <= values < "
                         f"{depth} (num_tokens), got values in [{ids.min()}, {ids.max()}]")
    if mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        out = (ids[..., None] == np.arange(depth)).astype(np.float32)
        return out
    if ids.ndim <= 1:
        ids = ids.reshape(-1, 1)
    hot = ids[..., None] == np.arange(depth)
    if count_weights is not None:
        if mode != "count":
            raise ValueError(f"{layer}: count_weights is only used with output_mode='count', "
                             f"not {mode!r}")
        cw = np.asarray(count_weights, dtype=np.float32).reshape(ids.shape)
        return (hot * cw[..., None]).sum(axis=-2).astype(np.float32)
    if mode == "multi_hot":
        return hot.any(axis=-2).astype(np.float32)
    counts = hot.sum(axis=-2).astype(np.float32)
    return counts * np.asarray(weights, dtype=np.float32) if mode == "tf_idf" else counts


def encoded_shape(shape, depth, mode):
    """compute_output_shape of `encode` (shape with the batch entry)."""
    shape = tuple(shape)
    if mode == "int":
        return shape
    if mode == "one_hot":
        return (shape[:-1] if len(shape) > 1 and shape[-1] == 1 else shape) + (depth,)
    return (shape if len(shape) == 1 else shape[:-1]) + (depth,)


class Rescaling(Layer):
    """`x * scale + offset`: `Rescaling(1. / 255)` maps [0, 255] images to [0, 1]. scale and
    offset are numbers or per-channel sequences (broadcast on the last axis)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}

    def forward(self, x):
        x = x if x.is_floating_point() else x.float()
        scale, offset = (np.asarray(v, dtype=x.dtype) for v in (self.scale, self.offset))
        return x * like(scale, x) + like(offset, x)


class Normalization(Layer):
    """`(x - mean) / sqrt(variance)` per feature of `axis` (default the last; a tuple keeps
    several axes; None one mean for everything); `invert=True` undoes it. The statistics are
    given (mean=, variance=: numbers or arrays that broadcast to the kept axes) or computed by
    `adapt(data)` over all the other axes, population variance, as Keras.

    Shape: any; the output has the input's shape."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if (mean is None) != (variance is None):
            raise ValueError(f"{self.name}: give both mean and variance, or neither (and call "
                             f"adapt), got mean={mean!r}, variance={variance!r}")
        self.axis = (axis,) if isinstance(axis, int) else (() if axis is None else tuple(axis))
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        self.adapted = False

    def get_config(self):
        axis = self.axis[0] if len(self.axis) == 1 else (self.axis or None)
        as_list = (lambda v: np.asarray(v).tolist() if v is not None else None)
        return {**super().get_config(), "axis": axis, "mean": as_list(self.input_mean),
                "variance": as_list(self.input_variance), "invert": self.invert}

    def _kept(self, shape):
        ndim = len(shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for inputs of "
                             f"shape {tuple(shape)}")
        kept = sorted(a % ndim for a in self.axis)
        if any(shape[a] is None for a in kept):
            raise ValueError(f"{self.name}: the axes {kept} kept by the normalization must "
                             f"have known sizes, got input shape {tuple(shape)}")
        return kept

    def build(self, input_shape):
        kept = self._kept(input_shape)
        self._ndim, self._kept_axes = len(input_shape), kept
        stat_shape = tuple(input_shape[a] for a in kept)
        mean = np.zeros(stat_shape, np.float32)
        var = np.ones(stat_shape, np.float32)
        if self.input_mean is not None:
            try:
                mean = np.broadcast_to(np.asarray(self.input_mean, np.float32),
                                       stat_shape).copy()
                var = np.broadcast_to(np.asarray(self.input_variance, np.float32),
                                      stat_shape).copy()
            except ValueError:
                raise ValueError(f"{self.name}: mean/variance of shapes "
                                 f"{np.shape(self.input_mean)}/{np.shape(self.input_variance)} "
                                 f"do not broadcast to {stat_shape}, the sizes of axes {kept}"
                                 ) from None
        # Given statistics are constants (no weights, as in Keras); adapted ones are weights,
        # with Keras's third weight, `count` (which Keras 3's adapt leaves at 0).
        adaptable = self.input_mean is None
        self.register_buffer("mean", Tensor._make(mean), persistent=adaptable)
        self.register_buffer("variance", Tensor._make(var), persistent=adaptable)
        if adaptable:
            self.register_buffer("count", Tensor._make(np.zeros((), np.float32)))

    def adapt(self, data, batch_size=None, steps=None):
        """Compute mean and variance over all axes but `axis` of `data` (an array, a Tensor
        or a list of numbers/arrays)."""
        if self.input_mean is not None:
            raise ValueError(f"{self.name}: cannot adapt a Normalization layer built with "
                             "mean and variance")
        a = host(data).astype(np.float64)
        if a.ndim == 0 or a.dtype.kind not in "fiub":
            raise ValueError(f"{self.name}: adapt expects numeric data with a batch axis, got "
                             f"shape {a.shape}")
        if not self.built:
            self.build((None,) + a.shape[1:])
        elif a.ndim != self._ndim:
            raise ValueError(f"{self.name}: adapt data of shape {a.shape} does not match the "
                             f"built rank {self._ndim}")
        reduce = tuple(i for i in range(a.ndim) if i not in self._kept_axes)
        self.mean.data.copy_(Tensor._make(a.mean(axis=reduce).astype(np.float32)))
        self.variance.data.copy_(Tensor._make(a.var(axis=reduce).astype(np.float32)))
        self.adapted = True

    def forward(self, x):
        x = x if x.is_floating_point() else x.float()
        if x.ndim != self._ndim or any(x.shape[a] != self.mean.shape[i]
                                       for i, a in enumerate(self._kept_axes)):
            raise ValueError(f"{self.name}: built for inputs of rank {self._ndim} with axes "
                             f"{self._kept_axes} of sizes {tuple(self.mean.shape)}, got "
                             f"shape {tuple(x.shape)}")
        shape = [1] * x.ndim
        for i, a in enumerate(self._kept_axes):
            shape[a] = self.mean.shape[i]
        mean, var = self.mean.reshape(shape), self.variance.reshape(shape)
        scale = var.sqrt().clamp(min=1e-7)  # Keras's max(sqrt(var), epsilon)
        return mean + x * scale if self.invert else (x - mean) / scale

    # Keras lists [mean, variance, count] for an adapted layer, none for given statistics.
    def get_weights(self):
        if self.input_mean is not None or not self.built:
            return []
        return [host(self.mean).copy(), host(self.variance).copy(),
                np.array(int(self.count.item()), np.int64)]

    def set_weights(self, weights):
        if len(weights) not in (2, 3) or self.input_mean is not None or not self.built:
            raise ValueError(f"{self.name}: set_weights expects [mean, variance(, count)] for "
                             f"a built layer without given statistics, got {len(weights)}")
        for buf, w in zip((self.mean, self.variance), weights):
            w = np.asarray(w, np.float32)
            if w.shape != tuple(buf.shape):
                raise ValueError(f"{self.name}: weight of shape {tuple(buf.shape)} cannot take "
                                 f"an array of shape {w.shape}")
            buf.data.copy_(Tensor._make(w))
        if len(weights) == 3:
            self.count.data.fill_(float(np.asarray(weights[2])))


def _summary(values, epsilon):
    """Keras's quantile sketch: sorted values sampled every len/(1/epsilon), with weights."""
    values = np.sort(values.reshape(-1))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.full(picked.shape, step)])


def _compress(summary, epsilon):
    """The summary re-binned at cumulative-weight fractions epsilon, 2*epsilon, ..., 1."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    bins = np.interp(fractions, cum / cum[-1], summary[0])
    weights = np.diff(np.interp(fractions, cum / cum[-1], cum), prepend=0.0)
    return np.stack([bins, weights]).astype(np.float32)


class Discretization(Layer):
    """Buckets numbers: with bin_boundaries [b0, b1, ...] a value x goes to bucket i where
    b(i-1) <= x < b(i) (0 below b0); or `num_bins` boundaries found by `adapt(data)` as
    quantiles (Keras's approximate algorithm, within `epsilon`). output_mode 'int' gives
    int64 bucket ids; 'one_hot', 'multi_hot', 'count' encode them."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        super().__init__(**kwargs)
        if (bin_boundaries is None) == (num_bins is None):
            raise ValueError(f"{self.name}: give exactly one of bin_boundaries and num_bins, "
                             f"got bin_boundaries={bin_boundaries!r}, num_bins={num_bins!r}")
        if num_bins is not None and not (isinstance(num_bins, int) and num_bins > 1):
            raise ValueError(f"{self.name}: num_bins must be an int > 1, got {num_bins!r}")
        if sparse:
            raise ValueError(f"{self.name}: sparse outputs are not supported by brique.keras")
        self.output_mode = check_mode(self.name, output_mode, ENCODINGS[:4])
        self.bin_boundaries = None if bin_boundaries is None else \
            [float(b) for b in bin_boundaries]
        if self.bin_boundaries is not None and np.any(np.diff(self.bin_boundaries) < 0):
            raise ValueError(f"{self.name}: bin_boundaries must be sorted, got "
                             f"{self.bin_boundaries}")
        self.num_bins, self.epsilon = num_bins, epsilon

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": None if self.bin_boundaries is not None else self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode}

    def adapt(self, data, batch_size=None, steps=None):
        if self.num_bins is None:
            raise ValueError(f"{self.name}: cannot adapt a layer built with bin_boundaries; "
                             "give num_bins instead")
        summary = _summary(host(data).astype(np.float32), self.epsilon)
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def _depth(self):
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else \
            self.num_bins

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self._depth(), self.output_mode)

    def output_dtype(self, input_dtype):
        return "int64" if self.output_mode == "int" else "float32"

    def forward(self, x):
        if self.bin_boundaries is None:
            raise ValueError(f"{self.name}: no bin boundaries yet; call adapt(data) first")
        ids = np.searchsorted(np.asarray(self.bin_boundaries), host(x), side="right")
        if self.output_mode == "int":
            return like(ids.astype(np.int64), x)
        return like(encode(ids, self._depth(), self.output_mode, self.name), x)


class CategoryEncoding(Layer):
    """Integer ids in [0, num_tokens) as 'one_hot', 'multi_hot' (default) or 'count'
    vectors; `layer(x, count_weights=w)` weighs the counts.

    Shape: (N,) or (N, k) ids -> (N, num_tokens)."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(num_tokens, (int, np.integer)) and num_tokens > 0):
            raise ValueError(f"{self.name}: num_tokens must be a positive int, got "
                             f"{num_tokens!r}")
        if sparse:
            raise ValueError(f"{self.name}: sparse outputs are not supported by brique.keras")
        self.num_tokens = int(num_tokens)
        self.output_mode = check_mode(self.name, output_mode, ENCODINGS[1:4])

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.num_tokens, self.output_mode)

    def forward(self, x, count_weights=None):
        ids = host(x)
        if ids.dtype.kind == "f" and np.all(ids == np.round(ids)):
            ids = ids.astype(np.int64)  # Keras accepts whole floats as ids
        out = encode(ids, self.num_tokens, self.output_mode, self.name,
                     count_weights=None if count_weights is None else host(count_weights))
        return like(out, x)
