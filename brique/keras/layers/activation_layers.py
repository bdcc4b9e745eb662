"""Activations as layers with their own arguments: ReLU, LeakyReLU, PReLU (learned slopes),
ELU, Softmax, ThresholdedReLU. Those that act element by element work on images in either
layout, so a Model keeps its channels-first tensors through them."""
from __future__ import annotations

import numbers

from ... import nn
from ...autograd import no_grad
from ...creation import empty
from ...nn import functional as F
from .. import initializers
from ..engine import Layer, snake_case


def _number(value, what, layer, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{layer}: {what} must be a number >= 0, got {value!r}")
    return float(value)


class _Elementwise(Layer):
    image_mode = "either"
    supports_masking = True

    def call_first(self, x):
        return self.forward(x)


class ReLU(_Elementwise):
    """Keras's general rectifier: max_value above it, x from threshold up, and
    negative_slope * (x - threshold) below threshold. Defaults: the plain relu."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _number(max_value, "max_value", "ReLU", allow_none=True)
        self.negative_slope = _number(negative_slope, "negative_slope", "ReLU")
        self.threshold = _number(threshold, "threshold", "ReLU")

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}

    def forward(self, x):
        y = F.threshold(x, self.threshold, 0.0)  # x above threshold, 0 at and below
        if self.max_value is not None:
            y = y.clamp(max=self.max_value)
        if self.negative_slope:
            y = y - self.negative_slope * F.relu(self.threshold - x)
        return y


class LeakyReLU(_Elementwise):
    """x for x >= 0, slope * x below: Keras 2's `alpha=` (default 0.3) or Keras 3's
    `negative_slope=`."""

    def __init__(self, alpha=None, negative_slope=None, **kwargs):
        super().__init__(**kwargs)
        if alpha is not None and negative_slope is not None:
            raise ValueError("LeakyReLU: give alpha (Keras 2) or negative_slope (Keras 3), "
                             "not both")
        slope = 0.3 if alpha is None and negative_slope is None else \
            (negative_slope if alpha is None else alpha)
        self.alpha = _number(slope, "alpha (negative_slope)", "LeakyReLU")

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}

    def forward(self, x):
        return F.leaky_relu(x, self.alpha)


class PReLU(Layer):
    """A leaky relu whose slopes `alpha` are learned, one per input entry, shared along
    `shared_axes` (counted from 1 after the batch: (1, 2) shares one slope per channel of an
    image). alpha has Keras's shape: the input's without the batch, 1 on shared axes."""
    supports_masking = True

    def __init__(self, alpha_initializer="zeros", shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha_initializer, str) and alpha_initializer not in \
                initializers.INITIALIZERS:
            alpha_initializer = snake_case(alpha_initializer)  # Keras 3's 'Zeros'
        initializers.get(alpha_initializer)  # an unknown name fails here, not at build
        self.alpha_initializer = alpha_initializer
        axes = shared_axes if isinstance(shared_axes, (tuple, list)) or shared_axes is None \
            else [shared_axes]
        if axes is not None and not all(isinstance(a, numbers.Integral) and a >= 1
                                        for a in axes):
            raise ValueError(f"PReLU: shared_axes must be axes >= 1 (after the batch), got "
                             f"{shared_axes!r}")
        self.shared_axes = None if axes is None else tuple(int(a) for a in axes)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": self.alpha_initializer,
                "shared_axes": self.shared_axes}

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if a > len(shape):
                raise ValueError(f"{self.name}: shared axis {a} is out of range for inputs of "
                                 f"shape {tuple(input_shape)}")
            shape[a - 1] = 1
        if None in shape:
            raise ValueError(f"{self.name}: the input's axes that are not shared must have "
                             f"known sizes, got shape {tuple(input_shape)} with shared_axes "
                             f"{self.shared_axes}")
        self.alpha = nn.Parameter(empty(*shape))
        with no_grad():
            initializers.get(self.alpha_initializer)(self.alpha)

    def forward(self, x):
        if x.ndim != self.alpha.ndim + 1 or any(
                a not in (1, n) for a, n in zip(self.alpha.shape, x.shape[1:])):
            raise ValueError(f"{self.name}: alpha of shape {tuple(self.alpha.shape)} does not "
                             f"fit an input of shape {tuple(x.shape)}")
        return F.relu(x) - self.alpha * F.relu(-x)


class ELU(_Elementwise):
    """x for x > 0, alpha * (exp(x) - 1) below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool):
            raise ValueError(f"ELU: alpha must be a number, got {alpha!r}")
        self.alpha = float(alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}

    def forward(self, x):
        return F.elu(x, self.alpha)


class Softmax(Layer):
    """Softmax along `axis` (default -1; a tuple of axes normalises over them together)."""
    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        if not axes or not all(isinstance(a, numbers.Integral) for a in axes):
            raise ValueError(f"Softmax: axis must be an int or a tuple of ints, got {axis!r}")
        self.axis = axis if isinstance(axis, numbers.Integral) else tuple(axes)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

    def forward(self, x):
        axes = self.axis if isinstance(self.axis, tuple) else (self.axis,)
        if any(not -x.ndim <= a < x.ndim for a in axes):
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for an input of "
                             f"shape {tuple(x.shape)}")
        if len(axes) == 1:
            return F.softmax(x, dim=axes[0])
        return (x - x.logsumexp(axes, keepdim=True)).exp()


class ThresholdedReLU(_Elementwise):
    """x where x > theta, 0 elsewhere (Keras 2; default theta 1.0)."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = _number(theta, "theta", "ThresholdedReLU")

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}

    def forward(self, x):
        return F.threshold(x, self.theta, 0.0)
