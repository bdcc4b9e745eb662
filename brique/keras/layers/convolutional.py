"""Image layers on channels-last (N, H, W, C) inputs, each wrapping its brique module (which
computes channels-first): Conv2D, MaxPooling2D, AveragePooling2D, UpSampling2D,
GlobalAveragePooling2D, GlobalMaxPooling2D, BatchNormalization.

Keras's padding='same' gives ceil(size / stride) outputs; when the padding this needs is odd
the extra row/column goes at the bottom/right, as in Keras (TensorFlow), so an explicit pad
precedes the brique op in that case.
"""
from __future__ import annotations

import math

import numpy as np

from ... import nn
from ...autograd import no_grad
from ...creation import ones
from ...nn import functional as F
from .. import activations, initializers
from ..engine import Layer, to_first, to_last
from .core import _init


def _pair(v, what, layer):
    v = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(v) != 2 or not all(isinstance(i, int) and i > 0 for i in v):
        raise ValueError(f"{layer}: {what} must be an int or a pair of positive ints, got {v}")
    return v


def _padding(padding, layer):
    if padding not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return padding


def _out_size(n, k, s, padding, d=1):
    if n is None:
        return None
    return math.ceil(n / s) if padding == "same" else (n - d * (k - 1) - 1) // s + 1


def _same_pads(sizes, kernel, stride, dilation=(1, 1)):
    """(before, after) padding per spatial dim for Keras's 'same' on inputs of `sizes`."""
    pads = []
    for n, k, s, d in zip(sizes, kernel, stride, dilation):
        total = max((math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _pad_list(pads):
    (top, bottom), (left, right) = pads
    return [left, right, top, bottom]


class _Image(Layer):
    """A layer on images: Keras's layout is channels_last (or data_format='channels_first');
    `call_first` computes on (N, C, H, W)."""
    image_mode = "prefer"

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__}: data_format must be 'channels_last' or "
                             f"'channels_first', got {data_format!r}")
        self.channels_first = data_format == "channels_first"
        if self.channels_first:
            self.image_mode = None  # its Keras layout already is NCHW

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_first" if
                self.channels_first else "channels_last"}

    def _hwc(self, shape, what="input"):
        if len(shape) != 4:
            raise ValueError(f"{self.name}: expected a 4-D {what} (batch, rows, cols, channels),"
                             f" got shape {tuple(shape)}")
        return (shape[2], shape[3], shape[1]) if self.channels_first else tuple(shape[1:])

    def _shape(self, h, w, c):
        return (None, c, h, w) if self.channels_first else (None, h, w, c)

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"{self.name}: expected a 4-D input, got shape {tuple(x.shape)}")
        return self.call_first(x) if self.channels_first else \
            to_last(self.call_first(to_first(x)))


class Conv2D(_Image):
    """2-D convolution, wrapping `nn.Conv2d`: `Conv2D(16, (3, 3), activation='relu',
    padding='same')`. Keras's defaults: strides 1, padding 'valid', glorot-uniform kernel,
    zero bias.

    Shape: (N, H, W, C_in) -> (N, H_out, W_out, filters)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.filters, self.use_bias = filters, use_bias
        self.kernel_size = _pair(kernel_size, "kernel_size", self.name)
        self.strides = _pair(strides, "strides", self.name)
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", self.name)
        self.padding = _padding(padding, self.name)
        self.activation_name, self.activation = activation, activations.get(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "dilation_rate": self.dilation_rate,
                "activation": self.activation_name, "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}

    def build(self, input_shape):
        _, _, c = self._hwc(input_shape)
        k, d = self.kernel_size, self.dilation_rate
        # Stride 1 with odd kernels pads the same on both sides: the conv does it itself.
        self.symmetric = self.padding == "same" and self.strides == (1, 1) and \
            all(ki % 2 for ki in k)
        pad = tuple(di * (ki - 1) // 2 for ki, di in zip(k, d)) if self.symmetric else 0
        self.module = nn.Conv2d(c, self.filters, k, self.strides, pad, d, bias=self.use_bias)
        _init(self.module.weight, self.kernel_initializer)
        if self.use_bias:
            _init(self.module.bias, self.bias_initializer)

    def compute_output_shape(self, input_shape):
        h, w, _ = self._hwc(input_shape)
        size = [_out_size(n, k, s, self.padding, d) for n, k, s, d in
                zip((h, w), self.kernel_size, self.strides, self.dilation_rate)]
        return self._shape(*size, self.filters)

    def call_first(self, x):
        if self.padding == "same" and not self.symmetric:
            pads = _same_pads(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)
            x = F.pad(x, _pad_list(pads))
        y = self.module(x)
        if self.activation is activations.softmax:  # over the channels, as Keras
            return F.softmax(y, dim=1)
        return self.activation(y)

    def get_weights(self):
        w = super().get_weights()
        return [w[0].transpose(2, 3, 1, 0).copy()] + w[1:]  # Keras: (kh, kw, in, out)

    def set_weights(self, weights):
        super().set_weights([weights[0].transpose(3, 2, 0, 1)] + list(weights[1:]))


class _Pooling2D(_Image):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.pool_size = _pair(pool_size, "pool_size", self.name)
        self.strides = self.pool_size if strides is None else _pair(strides, "strides",
                                                                    self.name)
        self.padding = _padding(padding, self.name)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}

    def compute_output_shape(self, input_shape):
        h, w, c = self._hwc(input_shape)
        size = [_out_size(n, k, s, self.padding) for n, k, s in
                zip((h, w), self.pool_size, self.strides)]
        return self._shape(*size, c)

    def _pads(self, x):
        if self.padding == "valid":
            return None
        pads = _same_pads(x.shape[2:], self.pool_size, self.strides)
        return pads if any(p for pair in pads for p in pair) else None


class MaxPooling2D(_Pooling2D):
    """Max over pool_size windows (default 2x2, strides = pool_size), wrapping
    `nn.MaxPool2d`; 'same' padding pads with -inf, so a border window takes the max of the
    pixels it covers."""

    def build(self, input_shape):
        self.module = nn.MaxPool2d(self.pool_size, self.strides)

    def call_first(self, x):
        pads = self._pads(x)
        if pads is not None:
            x = F.pad(x, _pad_list(pads), value=-math.inf)
        return self.module(x)


class AveragePooling2D(_Pooling2D):
    """Mean over pool_size windows, wrapping `nn.AvgPool2d`; with 'same' padding a border
    window averages only the pixels it covers (Keras's rule)."""

    def build(self, input_shape):
        self.module = nn.AvgPool2d(self.pool_size, self.strides)

    def call_first(self, x):
        pads = self._pads(x)
        if pads is None:
            return self.module(x)
        padded = F.pad(x, _pad_list(pads))
        with no_grad():  # the fraction of each window that covers the image
            cover = self.module(F.pad(ones(1, 1, *x.shape[2:], dtype=x.dtype, device=x.device),
                                      _pad_list(pads)))
        return self.module(padded) / cover


class UpSampling2D(_Image):
    """Repeats rows and columns `size` times (nearest) or interpolates ('bilinear', with
    PyTorch's align_corners=False), wrapping `nn.Upsample`."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear', "
                             f"got {interpolation!r}")
        self.size, self.interpolation = _pair(size, "size", self.name), interpolation
        self.module = nn.Upsample(scale_factor=tuple(float(s) for s in self.size),
                                  mode=interpolation)

    def get_config(self):
        return {**super().get_config(), "size": self.size,
                "interpolation": self.interpolation}

    def compute_output_shape(self, input_shape):
        h, w, c = self._hwc(input_shape)
        return self._shape(*(None if n is None else n * s for n, s in zip((h, w), self.size)),
                           c)

    def call_first(self, x):
        return self.module(x)


class GlobalAveragePooling2D(_Image):
    """Mean over the rows and columns. Shape: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with
    keepdims."""
    reduce = "mean"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.keepdims = bool(keepdims)
        if self.keepdims:
            self.image_mode = None  # its output is an image: computed in Keras's layout

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}

    def compute_output_shape(self, input_shape):
        c = self._hwc(input_shape)[2]
        return self._shape(1, 1, c) if self.keepdims else (None, c)

    def call_first(self, x):
        if x.shape[0] == 0:  # an empty batch gives an empty result, as in Keras
            return x.sum((2, 3), keepdim=self.keepdims)
        if self.reduce == "mean":
            return x.mean((2, 3), keepdim=self.keepdims)
        return x.amax((2, 3), keepdim=self.keepdims)

    def forward(self, x):
        self._hwc(x.shape)
        out = self.call_first(x if self.channels_first else to_first(x))
        return to_last(out) if self.keepdims and not self.channels_first else out


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    """Max over the rows and columns. Shape: (N, H, W, C) -> (N, C)."""
    reduce = "max"


class BatchNormalization(Layer):
    """Normalises over the batch along `axis` (the channels: -1), wrapping `nn.BatchNorm1d`
    (2-D and 3-D inputs) or `nn.BatchNorm2d` (images). Keras's momentum 0.99 is PyTorch's
    momentum 0.01 (the weight of the new batch); epsilon 1e-3."""
    _weight_names = ("gamma", "beta")  # gamma_/beta_regularizer and _constraint
    supports_masking = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.center, self.scale = bool(center), bool(scale)
        self.image_mode = None

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale}

    def build(self, input_shape):
        rank, axis = len(input_shape), self.axis % len(input_shape)
        if axis not in (1, rank - 1) or rank not in (2, 3, 4):
            raise ValueError(f"{self.name}: axis {self.axis} of a {rank}-D input is not "
                             "supported (the channels axis, first or last, of 2-D to 4-D)")
        self.rank, self.channels_last = rank, axis == rank - 1 and rank > 2
        cls = nn.BatchNorm2d if rank == 4 else nn.BatchNorm1d
        m = self.module = cls(input_shape[axis], eps=self.epsilon,
                              momentum=1.0 - self.momentum, affine=self.center or self.scale)
        # Without scale (or center), gamma = 1 (beta = 0) is a constant, not a weight.
        for keep, name, value in ((self.scale, "weight", 1.0), (self.center, "bias", 0.0)):
            if not keep and getattr(m, name, None) is not None:
                constant = m.weight.detach() * 0 + value
                delattr(m, name)
                m.register_buffer(name, constant, persistent=False)
        if rank == 4 and self.channels_last:
            self.image_mode = "prefer"

    def _norm(self, x):
        m = self.module
        if not self._trainable:  # Keras: a frozen BatchNormalization runs in inference mode
            m.__dict__["training"] = False
        if not m.training:
            return m(x)
        # Keras moves its moving variance towards the batch's biased variance, where PyTorch's
        # module uses the unbiased one: the update is redone with the biased variance.
        before = m.running_var.detach().clone()
        out = m(x)
        n = x.numel() // x.shape[1]
        if n > 1:
            with no_grad():
                keep = 1.0 - m.momentum
                unbiased_part = m.running_var - before * keep
                m.running_var.copy_(before * keep + unbiased_part * ((n - 1) / n))
        return out

    def call_first(self, x):
        return self._norm(x)

    def forward(self, x):
        if not self.channels_last:
            return self._norm(x)
        if x.ndim == 4:
            return to_last(self._norm(to_first(x)))
        return self._norm(x.transpose(1, 2)).transpose(1, 2)

    def _keras_weights(self):
        """Keras's order: gamma (with scale), beta (with center), moving mean and variance."""
        m = self.module
        return ([m.weight] if self.scale else []) + ([m.bias] if self.center else []) + \
            [m.running_mean, m.running_var]

    def get_weights(self):
        return [a.detach().numpy().copy() for a in self._keras_weights()]

    def set_weights(self, weights):
        targets = self._keras_weights()
        if len(weights) != len(targets):
            raise ValueError(f"{self.name}: set_weights expects {len(targets)} arrays, got "
                             f"{len(weights)}")
        with no_grad():
            for t, w in zip(targets, weights):
                t.copy_(np.asarray(w).astype(t.detach().numpy().dtype))
