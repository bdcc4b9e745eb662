"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Lambda."""
from __future__ import annotations

import math

from ... import creation, nn
from ...autograd import no_grad
from .. import activations, initializers
from ..engine import Layer, to_first, to_last

# Activations that act element by element: they work on images in either layout.
ELEMENTWISE = {None, "linear", "relu", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign",
               "hard_sigmoid", "exponential", "swish", "silu", "gelu"}


def _init(module_param, initializer):
    with no_grad():
        initializers.get(initializer)(module_param)


class Dense(Layer):
    """`activation(x @ kernel + bias)` on the last axis, wrapping `nn.Linear`.
    Keras's defaults: glorot-uniform kernel, zero bias. A mask passes through, as in Keras.

    Shape: (N, *, in) -> (N, *, units)."""
    supports_masking = True

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(units, int) and units > 0):
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units, self.use_bias = units, use_bias
        self.activation_name, self.activation = activation, activations.get(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"{self.name}: the last axis of the input must be known, got "
                             f"{input_shape}")
        self.module = nn.Linear(input_shape[-1], self.units, bias=self.use_bias)
        _init(self.module.weight, self.kernel_initializer)
        if self.use_bias:
            _init(self.module.bias, self.bias_initializer)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": self.activation_name, "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}

    def forward(self, x):
        return self.activation(self.module(x))

    def get_weights(self):
        w = super().get_weights()
        return [w[0].T.copy()] + w[1:]  # Keras's kernel is (in, out)

    def set_weights(self, weights):
        super().set_weights([weights[0].T] + list(weights[1:]))


class Activation(Layer):
    """An activation as a layer: `Activation('relu')`. Softmax is over the last axis."""
    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation_name, self.activation = activation, activations.get(activation)
        if activation in ELEMENTWISE:
            self.call_first, self.image_mode = self.forward, "either"

    def get_config(self):
        return {**super().get_config(), "activation": self.activation_name}

    def forward(self, x):
        return self.activation(x)


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs in training (scaling the rest by 1/(1-rate)),
    wrapping `nn.Dropout`; the identity in evaluation. With `noise_shape` (None entries: the
    input's size), one draw is shared along the axes of size 1 (e.g. (batch, 1, features):
    the same features dropped at every time step)."""
    image_mode = "either"
    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not (isinstance(rate, (int, float)) and 0 <= rate < 1):
            raise ValueError(f"Dropout: rate must be a number in [0, 1), got {rate!r}")
        self.rate, self.seed = rate, seed
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.module = nn.Dropout(rate)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}

    def forward(self, x):
        if self.noise_shape is None or not self.module.training or not self.rate:
            return self.module(x)
        if len(self.noise_shape) != x.ndim:
            raise ValueError(f"{self.name}: noise_shape {self.noise_shape} does not match an "
                             f"input of shape {tuple(x.shape)}")
        shape = tuple(d if s is None else s for s, d in zip(self.noise_shape, x.shape))
        keep = creation.empty(*shape, dtype=x.dtype, device=x.device).bernoulli_(1 - self.rate)
        return x * keep / (1 - self.rate)

    def call_first(self, x):
        if self.noise_shape is None:
            return self.module(x)
        return to_first(self.forward(to_last(x)))


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1*d2*...), in Keras's (channels-last) order."""

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (None, None if None in rest else math.prod(rest))

    def forward(self, x):
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))  # explicit: a batch may be empty


class Reshape(Layer):
    """Reshape each sample to `target_shape` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}

    def compute_output_shape(self, input_shape):
        shape = list(self.target_shape)
        if -1 in shape:
            known = math.prod(s for s in shape if s != -1)
            rest = input_shape[1:]
            shape[shape.index(-1)] = None if None in rest else math.prod(rest) // known
        return (None,) + tuple(shape)

    def forward(self, x):
        return x.reshape((x.shape[0],) + self.target_shape)


class Lambda(Layer):
    """Any function of Tensors as a layer: `Lambda(lambda x: x ** 2)`. The output shape is
    `output_shape` (a tuple without the batch, or a function of the input shape) or, if not
    given, found by running the function on zeros."""
    accepts_strings = True  # the function decides what it takes

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function, self.output_shape_arg = function, output_shape
        self.arguments = dict(arguments or {})

    def get_config(self):
        # The function is saved by name only (files hold no code): load_model finds it in
        # custom_objects.
        return {**super().get_config(), "function": self.function,
                "output_shape": self.output_shape_arg, "arguments": self.arguments}

    def compute_output_shape(self, input_shape):
        if callable(self.output_shape_arg):
            return tuple(self.output_shape_arg(input_shape))
        if self.output_shape_arg is not None:
            return (None,) + tuple(self.output_shape_arg)
        several = isinstance(input_shape, list)
        zeros = [creation.zeros(*(2 if s is None else s for s in shape))
                 for shape in (input_shape if several else [input_shape])]
        with no_grad():
            out = self.forward(zeros if several else zeros[0])
        return (None,) + tuple(out.shape[1:])

    def forward(self, x):
        return self.function(x, **self.arguments)
