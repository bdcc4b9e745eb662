"""Pooling, resampling, padding and cropping on 1-D sequences and 3-D volumes (the 2-D
pooling layers are in convolutional.py), and padding and cropping of 2-D images, each on
brique's channels-first modules: MaxPooling1D/3D, AveragePooling1D/3D, GlobalAverage/Max-
Pooling1D/3D, UpSampling1D/3D, ZeroPadding1D/2D/3D, Cropping1D/2D/3D.

'same' pooling pads as TensorFlow does (the odd element at the end); a max pool pads with
-inf and an average pool counts only the elements a window covers, as Keras does.
"""
from __future__ import annotations

import math
import numbers

from ... import nn
from ...autograd import no_grad
from ...creation import ones
from ...nn import functional as F
from ..engine import to_tensor
from .convolutional import _out_size, _same_pads
from ._spatial import _choice, _ntuple, _pad_arg, _Spatial


class _Pooling(_Spatial):
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        n = self.rank
        self.pool_size = _ntuple(pool_size, n, "pool_size", self.name)
        self.strides = self.pool_size if strides is None else \
            _ntuple(strides, n, "strides", self.name)
        self.padding = _choice(padding, ("valid", "same"), "padding", self.name)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}

    def compute_output_shape(self, input_shape):
        sizes, c = self._split(input_shape)
        out = [_out_size(n, k, s, self.padding) for n, k, s in
               zip(sizes, self.pool_size, self.strides)]
        if any(o is not None and o < 1 for o in out):
            raise ValueError(f"{self.name}: pool_size {self.pool_size} is larger than the "
                             f"input {tuple(input_shape)} with padding='valid'")
        return self._join(out, c)

    def _pads(self, x):
        """TensorFlow's 'same' padding of x (channels-first), or None if it needs none."""
        if self.padding == "valid":
            return None
        pads = _same_pads(x.shape[2:], self.pool_size, self.strides, (1,) * self.rank)
        return _pad_arg(pads) if any(p for pair in pads for p in pair) else None

    def call_first(self, x):
        self.compute_output_shape(self._keras_shape(x))  # a clear error for small inputs
        return self._pool(x, self._pads(x))


class _MaxPooling(_Pooling):
    def build(self, input_shape):
        cls = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[self.rank - 1]
        self.module = cls(self.pool_size, self.strides)

    def _pool(self, x, pads):
        return self.module(x if pads is None else F.pad(x, pads, value=-math.inf))


class _AveragePooling(_Pooling):
    def build(self, input_shape):
        cls = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[self.rank - 1]
        self.module = cls(self.pool_size, self.strides)

    def _pool(self, x, pads):
        if pads is None:
            return self.module(x)
        with no_grad():  # the fraction of each window that covers the input
            cover = self.module(F.pad(ones(1, 1, *x.shape[2:], dtype=x.dtype,
                                           device=x.device), pads))
        return self.module(F.pad(x, pads)) / cover


class MaxPooling1D(_MaxPooling):
    """Max over windows of pool_size steps (default 2, strides = pool_size).
    Shape: (N, steps, C) -> (N, new_steps, C)."""
    rank = 1


class MaxPooling3D(_MaxPooling):
    """Max over pool_size volumes (default (2, 2, 2)). Shape: (N, D, H, W, C) ->
    (N, D', H', W', C)."""
    rank = 3


class AveragePooling1D(_AveragePooling):
    """Mean over windows of pool_size steps (default 2, strides = pool_size)."""
    rank = 1


class AveragePooling3D(_AveragePooling):
    """Mean over pool_size volumes (default (2, 2, 2))."""
    rank = 3


class _GlobalPooling(_Spatial):
    """Mean or max over every spatial axis; keepdims keeps them, of size 1."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.keepdims = bool(keepdims)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}

    def compute_output_shape(self, input_shape):
        sizes, c = self._split(input_shape)
        return self._join((1,) * self.rank, c) if self.keepdims else (None, c)

    def forward(self, x):
        self._split(x.shape)
        start = 2 if self.channels_first else 1
        axes = tuple(range(start, start + self.rank))
        if self.reduce == "mean":
            return x.mean(axes, keepdim=self.keepdims)
        return x.amax(axes, keepdim=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps (with a mask, over the unmasked steps, as Keras).
    Shape: (N, steps, C) -> (N, C)."""
    float_inputs = True
    rank, reduce = 1, "mean"
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None  # the steps are gone

    def forward(self, x, mask=None):
        if mask is None:
            return super().forward(x)
        self._split(x.shape)
        weight = to_tensor(mask).to(x.dtype).unsqueeze(1 if self.channels_first else 2)
        axis = 2 if self.channels_first else 1
        return (x * weight).sum(axis, keepdim=self.keepdims) / weight.sum(
            axis, keepdim=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps. Shape: (N, steps, C) -> (N, C)."""
    rank, reduce = 1, "max"


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over the volume. Shape: (N, D, H, W, C) -> (N, C)."""
    rank, reduce = 3, "mean"


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over the volume. Shape: (N, D, H, W, C) -> (N, C)."""
    rank, reduce = 3, "max"


class UpSampling1D(_Spatial):
    """Repeats each step `size` times. Shape: (N, steps, C) -> (N, steps * size, C)."""
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = _ntuple(size, 1, "size", self.name)[0]

    def get_config(self):
        return {**super().get_config(), "size": self.size}

    def compute_output_shape(self, input_shape):
        (n,), c = self._split(input_shape)
        return self._join((None if n is None else n * self.size,), c)

    def call_first(self, x):
        return x.repeat_interleave(self.size, dim=2)


class UpSampling3D(_Spatial):
    """Repeats each voxel size = (d, h, w) times, wrapping `nn.Upsample` (nearest).
    Shape: (N, D, H, W, C) -> (N, D * d, H * h, W * w, C)."""
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = _ntuple(size, 3, "size", self.name)
        self.module = nn.Upsample(scale_factor=tuple(float(s) for s in self.size))

    def get_config(self):
        return {**super().get_config(), "size": self.size}

    def compute_output_shape(self, input_shape):
        sizes, c = self._split(input_shape)
        return self._join([None if n is None else n * s for n, s in zip(sizes, self.size)], c)

    def call_first(self, x):
        return self.module(x)


def _pairs(value, n, what, layer):
    """Keras's forms of per-axis (before, after) amounts: an int (all alike), n ints (each
    axis symmetric; for n = 1 the pair (before, after) itself) or n pairs."""
    def count(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0
    v = tuple(tuple(p) if isinstance(p, (tuple, list)) else p for p in value) \
        if isinstance(value, (tuple, list)) else value
    if count(v):
        pairs = ((v, v),) * n
    elif n == 1 and isinstance(v, tuple) and len(v) == 2 and all(map(count, v)):
        pairs = (v,)
    elif isinstance(v, tuple) and len(v) == n and all(map(count, v)):
        pairs = tuple((p, p) for p in v)
    elif isinstance(v, tuple) and len(v) == n and all(
            isinstance(p, tuple) and len(p) == 2 and all(map(count, p)) for p in v):
        pairs = v
    else:
        raise ValueError(f"{layer}: {what} must be a non-negative int, a tuple of {n} of them "
                         f"or a tuple of {n} (before, after) pairs, got {value!r}")
    return tuple((int(a), int(b)) for a, b in pairs)


class _ZeroPadding(_Spatial):
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding", self.name)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}

    def compute_output_shape(self, input_shape):
        sizes, c = self._split(input_shape)
        return self._join([None if n is None else n + a + b
                           for n, (a, b) in zip(sizes, self.padding)], c)

    def call_first(self, x):
        return F.pad(x, _pad_arg(self.padding))


class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps: padding = int or (before, after)."""
    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Zero rows and columns around images: padding = int, (rows, cols) or
    ((top, bottom), (left, right))."""
    rank = 2


class ZeroPadding3D(_ZeroPadding):
    """Zeros around volumes: padding = int, (d1, d2, d3) or three (before, after) pairs."""
    rank = 3


class _Cropping(_Spatial):
    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", self.name)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}

    def compute_output_shape(self, input_shape):
        sizes, c = self._split(input_shape)
        out = [None if n is None else n - a - b for n, (a, b) in zip(sizes, self.cropping)]
        if any(o is not None and o < 1 for o in out):
            raise ValueError(f"{self.name}: cropping {self.cropping} leaves nothing of an input "
                             f"of shape {tuple(input_shape)}")
        return self._join(out, c)

    def call_first(self, x):
        self.compute_output_shape(self._keras_shape(x))  # a clear error for small inputs
        index = tuple(slice(a, n - b) for n, (a, b) in zip(x.shape[2:], self.cropping))
        return x[(slice(None), slice(None)) + index]


class Cropping1D(_Cropping):
    """Cuts steps at the start and end: cropping = int or (start, end), default (1, 1)."""
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Cuts rows and columns: cropping = int, (rows, cols) or ((top, bottom), (left,
    right)), default none."""
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Cuts the three spatial axes: cropping = int, three ints or three (start, end) pairs,
    default 1 everywhere."""
    rank = 3
