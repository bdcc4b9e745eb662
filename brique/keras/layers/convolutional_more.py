"""Convolutions beyond Conv2D, each wrapping brique's channels-first modules: Conv1D (with
padding='causal'), Conv3D, Conv1D/2D/3DTranspose, SeparableConv1D/2D, DepthwiseConv1D/2D.

Inputs are channels-last (or data_format='channels_first'; see _spatial.py). Weights come
and go in Keras's layouts: kernels (*k, in, out), transposed kernels (*k, out, in),
depthwise kernels (*k, in, depth_multiplier).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ... import nn
from ...autograd import no_grad
from ...creation import empty
from ...nn import functional as F
from .. import activations
from ..engine import Layer
from ._spatial import _choice, _ntuple, _pad_arg, _Spatial
from .convolutional import _out_size, _same_pads
from .core import _init


class _Conv(_Spatial):
    """What every convolution shares: kernel, strides, padding, dilation, activation, bias.
    Subclasses create `self.module` (its output channels-first) in build()."""
    paddings = ("valid", "same")

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, bias_initializer="zeros",
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        n, name = self.rank, self.name
        self.kernel_size = _ntuple(kernel_size, n, "kernel_size", name)
        self.strides = _ntuple(strides, n, "strides", name)
        self.dilation_rate = _ntuple(dilation_rate, n, "dilation_rate", name)
        self.padding = _choice(padding, self.paddings, "padding", name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{name}: strides > 1 cannot be combined with dilation_rate > 1 "
                             f"(got strides={self.strides}, dilation_rate={self.dilation_rate})")
        self.activation_name, self.activation = activation, activations.get(activation)
        self.use_bias, self.bias_initializer = use_bias, bias_initializer

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding,
                "dilation_rate": self.dilation_rate, "activation": self.activation_name,
                "use_bias": self.use_bias, "bias_initializer": self.bias_initializer}

    def _channels(self, input_shape):
        _, c = self._split(input_shape)
        if c is None:
            raise ValueError(f"{self.name}: the channels axis of the input must be known, got "
                             f"shape {tuple(input_shape)}")
        return c

    def _inner_pad(self):
        """Padding the brique conv applies itself: 'same' at stride 1 whose total padding is
        even pads alike on both sides; otherwise call_first pads (TensorFlow's odd pixel at
        the end, or all of it at the start for 'causal')."""
        totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation_rate)]
        self.symmetric = self.padding == "same" and max(self.strides) == 1 and \
            all(t % 2 == 0 for t in totals)
        return tuple(t // 2 for t in totals) if self.symmetric else 0

    def _pad(self, x):
        self.compute_output_shape(self._keras_shape(x))  # a clear error for small inputs
        if self.padding == "causal":
            return F.pad(x, [self.dilation_rate[0] * (self.kernel_size[0] - 1), 0])
        if self.padding == "same" and not self.symmetric:
            pads = _same_pads(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)
            return F.pad(x, _pad_arg(pads))
        return x

    def _activate(self, y):
        if self.activation is activations.softmax:  # over the channels, as Keras
            return F.softmax(y, dim=1)
        return self.activation(y)

    def _out_channels(self, c):
        return self.filters

    def compute_output_shape(self, input_shape):
        sizes, c = self._split(input_shape)
        padding = "same" if self.padding == "causal" else self.padding  # causal keeps n / s
        out = [_out_size(n, k, s, padding, d) for n, k, s, d in zip(
            sizes, self.kernel_size, self.strides, self.dilation_rate)]
        if any(o is not None and o < 1 for o in out):
            raise ValueError(f"{self.name}: an input of shape {tuple(input_shape)} is smaller "
                             f"than the kernel {self.kernel_size} (dilation "
                             f"{self.dilation_rate}) with padding='valid'")
        return self._join(out, self._out_channels(c))

    def call_first(self, x):
        return self._activate(self.module(self._pad(x)))

    def get_weights(self):
        w = super().get_weights()
        return [_to_keras(w[0], self.rank)] + w[1:]

    def set_weights(self, weights):
        kernel = _kernel(weights, self.rank, self.name, "(*kernel_size, in, out)")
        super().set_weights([_from_keras(kernel, self.rank)] + list(weights[1:]))


def _to_keras(w, n):
    """A brique kernel (out, in, *k) as Keras's (*k, in, out); the transposed conv's
    (in, out, *k) comes out as Keras's (*k, out, in) alike."""
    return w.transpose(*range(2, n + 2), 1, 0).copy()


def _from_keras(w, n):
    return w.transpose(n + 1, n, *range(n))


def _kernel(weights, n, layer, layout):
    """The first of `weights` as an array of n + 2 dims, or a clear error."""
    w = np.asarray(weights[0]) if len(weights) else None
    if w is None or w.ndim != n + 2:
        raise ValueError(f"{layer}: set_weights expects a kernel of {n + 2} dims {layout} "
                         f"first, got {None if w is None else w.shape}")
    return w


def _check_filters(filters, layer):
    if not (isinstance(filters, numbers.Integral) and filters > 0):
        raise ValueError(f"{layer}: filters must be a positive int, got {filters!r}")
    return int(filters)


class _ConvN(_Conv):
    """N-d convolution wrapping nn.Conv1d/nn.Conv3d, with Keras's groups."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, **kwargs)
        self.filters = _check_filters(filters, self.name)
        self.groups = _ntuple(groups, 1, "groups", self.name)[0]
        if self.filters % self.groups:
            raise ValueError(f"{self.name}: filters ({self.filters}) must be divisible by "
                             f"groups ({self.groups})")
        self.kernel_initializer = kernel_initializer

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "groups": self.groups,
                "kernel_initializer": self.kernel_initializer}

    def build(self, input_shape):
        c = self._channels(input_shape)
        if c % self.groups:
            raise ValueError(f"{self.name}: the input's {c} channels must be divisible by "
                             f"groups ({self.groups})")
        cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[self.rank - 1]
        self.module = cls(c, self.filters, self.kernel_size, self.strides, self._inner_pad(),
                          self.dilation_rate, self.groups, bias=self.use_bias)
        _init(self.module.weight, self.kernel_initializer)
        if self.use_bias:
            _init(self.module.bias, self.bias_initializer)



class Conv1D(_ConvN):
    """1-D convolution over steps: `Conv1D(32, 3, padding='causal')` (output t sees inputs
    up to t only). Shape: (N, steps, C_in) -> (N, new_steps, filters); kernel (k, in, out)."""
    rank, paddings = 1, ("valid", "same", "causal")


class Conv3D(_ConvN):
    """3-D convolution over volumes. Shape: (N, D, H, W, C_in) -> (N, D', H', W', filters);
    kernel (kd, kh, kw, in, out)."""
    rank = 3


class _ConvTranspose(_Conv):
    """Transposed convolution (the gradient of a convolution), wrapping nn.ConvTranspose*d:
    the full transposed output is cropped to Keras's size, the window TensorFlow computes
    (for 'same', n * stride outputs, the extra row cut at the start only when odd)."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, **kwargs)
        self.filters = _check_filters(filters, self.name)
        self.kernel_initializer = kernel_initializer
        self.output_padding = None if output_padding is None else \
            _ntuple(output_padding, self.rank, "output_padding", self.name, minimum=0)
        if self.output_padding and any(p >= s for p, s in zip(self.output_padding,
                                                                self.strides)):
            raise ValueError(f"{self.name}: output_padding {self.output_padding} must be "
                             f"smaller than strides {self.strides}")

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "output_padding": self.output_padding,
                "kernel_initializer": self.kernel_initializer}

    def build(self, input_shape):
        c = self._channels(input_shape)
        cls = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[self.rank - 1]
        self.module = cls(c, self.filters, self.kernel_size, self.strides,
                          bias=self.use_bias, dilation=self.dilation_rate)
        _init(self.module.weight, self.kernel_initializer)
        if self.use_bias:
            _init(self.module.bias, self.bias_initializer)

    def _lengths(self, n, i):
        """(Keras's output length, crop at the start of the full output) on spatial dim i."""
        k, s = self.kernel_size[i], self.strides[i]
        k = self.dilation_rate[i] * (k - 1) + 1
        op = None if self.output_padding is None else self.output_padding[i]
        if self.padding == "valid":
            return (n - 1) * s + k + (max(k, s) - k if op is None else op), 0
        if op is None:
            length, pad = n * s, s + k - 2
        else:
            length, pad = (n - 1) * s + k % 2 + op, k + k % 2 - 2 + op
        return length, k - 1 - min(math.ceil(pad / 2), k - 1)

    def compute_output_shape(self, input_shape):
        sizes, _ = self._split(input_shape)
        return self._join([None if n is None else self._lengths(n, i)[0]
                           for i, n in enumerate(sizes)], self.filters)

    def call_first(self, x):
        n, m = self.rank, self.module
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[n - 1]
        y = conv(x, m.weight, None, self.strides, dilation=self.dilation_rate)
        crops = []
        for i, (size, full) in enumerate(zip(x.shape[2:], y.shape[2:])):
            length, start = self._lengths(size, i)
            crops.append((-start, length - full + start))  # > 0 pads: bias-only outputs
        y = F.pad(y, _pad_arg(crops))
        if m.bias is not None:  # after the crop, so padded outputs get the bias as in Keras
            y = y + m.bias.reshape(1, -1, *(1,) * n)
        return self._activate(y)



class Conv1DTranspose(_ConvTranspose):
    """Shape: (N, steps, C_in) -> (N, new_steps, filters); kernel (k, out, in)."""
    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Shape: (N, H, W, C_in) -> (N, H', W', filters); kernel (kh, kw, out, in). 'same' gives
    H * stride rows; output_padding adds rows at the end."""
    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Shape: (N, D, H, W, C_in) -> (N, D', H', W', filters); kernel (kd, kh, kw, out, in)."""
    rank = 3


class _Depthwise(_Conv):
    """A convolution of each input channel with depth_multiplier filters of its own
    (nn.Conv with groups = channels); output channel c * depth_multiplier + m."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, **kwargs)
        self.depth_multiplier = _ntuple(depth_multiplier, 1, "depth_multiplier", self.name)[0]
        self.depthwise_initializer = depthwise_initializer

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": self.depthwise_initializer}

    def _depthwise(self, c, bias):
        cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[self.rank - 1]
        module = cls(c, c * self.depth_multiplier, self.kernel_size, self.strides,
                     self._inner_pad(), self.dilation_rate, groups=c, bias=bias)
        # Keras's fans for a (*k, in, mult) kernel are those of a brique (mult, in, *k) one:
        # fill that, then lay it out as the grouped conv's (in * mult, 1, *k).
        m, k = self.depth_multiplier, self.kernel_size
        keras_like = empty(m, c, *k)
        _init(keras_like, self.depthwise_initializer)
        with no_grad():
            module.weight.copy_(keras_like.transpose(0, 1).reshape(c * m, 1, *k))
        return module

    def _out_channels(self, c):
        return None if c is None else c * self.depth_multiplier

    def _regularized_weights(self):
        # Keras's weight names, for depthwise_/pointwise_/bias_regularizer and _constraint.
        # The depthwise kernel is seen as (*k, 1, in * mult): Keras's (*k, in, mult) values
        # in Keras's order with the last two axes merged (no permutation splits them).
        perm = tuple(range(2, self.rank + 2)) + (1, 0)
        depthwise, pointwise = (self.depthwise, self.pointwise) if \
            hasattr(self, "pointwise") else (self.module, None)
        out = [("depthwise_kernel", depthwise.weight, perm)]
        if pointwise is not None:
            out.append(("pointwise_kernel", pointwise.weight, perm))
        bias = (depthwise if pointwise is None else pointwise).bias
        return out + ([("bias", bias, None)] if bias is not None else [])

    def build(self, input_shape):
        self.module = self._depthwise(self._channels(input_shape), self.use_bias)
        if self.use_bias:
            _init(self.module.bias, self.bias_initializer)

    def _depthwise_to_keras(self, w):
        """(in * mult, 1, *k) -> Keras's (*k, in, mult)."""
        n, k = self.rank, self.kernel_size
        return w[:, 0].transpose(*range(1, n + 1), 0).reshape(*k, -1, self.depth_multiplier)

    def _depthwise_from_keras(self, w):
        n = self.rank
        return w.reshape(*w.shape[:n], -1).transpose(n, *range(n))[:, None]

    def get_weights(self):
        w = Layer.get_weights(self)
        return [self._depthwise_to_keras(w[0])] + w[1:]

    def set_weights(self, weights):
        w = _kernel(weights, self.rank, self.name, "(*kernel_size, in, depth_multiplier)")
        Layer.set_weights(self, [self._depthwise_from_keras(w)] + list(weights[1:]))


class DepthwiseConv1D(_Depthwise):
    """Shape: (N, steps, C) -> (N, new_steps, C * depth_multiplier); kernel (k, C, mult)."""
    rank = 1


class DepthwiseConv2D(_Depthwise):
    """Shape: (N, H, W, C) -> (N, H', W', C * depth_multiplier); kernel (kh, kw, C, mult)."""
    rank = 2


class _Separable(_Depthwise):
    """A depthwise convolution then a pointwise (1x1) one to `filters` channels; weights
    [depthwise (*k, in, mult), pointwise (*1, in * mult, filters), bias]."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, **kwargs)
        self.filters = _check_filters(filters, self.name)
        self.pointwise_initializer = pointwise_initializer

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "pointwise_initializer": self.pointwise_initializer}

    def _out_channels(self, c):
        return self.filters

    def build(self, input_shape):
        c = self._channels(input_shape)
        self.depthwise = self._depthwise(c, bias=False)
        cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[self.rank - 1]
        self.pointwise = cls(c * self.depth_multiplier, self.filters, 1, bias=self.use_bias)
        _init(self.pointwise.weight, self.pointwise_initializer)
        if self.use_bias:
            _init(self.pointwise.bias, self.bias_initializer)

    def call_first(self, x):
        return self._activate(self.pointwise(self.depthwise(self._pad(x))))

    def get_weights(self):
        w = Layer.get_weights(self)
        return [self._depthwise_to_keras(w[0]), _to_keras(w[1], self.rank)] + w[2:]

    def set_weights(self, weights):
        depthwise = _kernel(weights, self.rank, self.name, "(*kernel_size, in, mult)")
        pointwise = _kernel(weights[1:], self.rank, self.name, "(*ones, in * mult, filters)")
        Layer.set_weights(self, [self._depthwise_from_keras(depthwise),
                                 _from_keras(pointwise, self.rank)] + list(weights[2:]))


class SeparableConv1D(_Separable):
    """Shape: (N, steps, C) -> (N, new_steps, filters)."""
    rank = 1


class SeparableConv2D(_Separable):
    """Shape: (N, H, W, C) -> (N, H', W', filters)."""
    rank = 2
