"""Layers that merge a list of tensors: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, their functional forms (add, multiply, concatenate, ...), and Keras 1's
`merge(inputs, mode='mul' | 'sum' | 'concat' | 'ave' | 'max' | 'dot' | 'cos' | callable)`,
which the courses' attention listing uses."""
from __future__ import annotations

import functools

from ...nn import functional as F
from ...ops.elementwise import maximum as _maximum, minimum as _minimum
from ...ops.movement import cat
from ..engine import Layer


def _broadcast(shapes, layer):
    rank = max(len(s) for s in shapes)
    out = []
    for dims in zip(*((1,) * (rank - len(s)) + tuple(s) for s in shapes)):
        known = {d for d in dims if d not in (None, 1)}
        if len(known) > 1:
            raise ValueError(f"{layer}: cannot merge tensors of shapes {shapes}")
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(out)


class _Merge(Layer):
    """Element-wise merges work on images in either layout."""
    image_mode = "either"

    def _check(self, shapes):
        if not isinstance(shapes, list) or len(shapes) < 2:
            raise ValueError(f"{self.name}: expects a list of at least 2 inputs, got {shapes}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return _broadcast(input_shape, self.name)

    def forward(self, inputs):
        return functools.reduce(self.op, inputs)

    def call_first(self, inputs):
        return self.forward(inputs)


class Add(_Merge):
    op = staticmethod(lambda a, b: a + b)


class Multiply(_Merge):
    op = staticmethod(lambda a, b: a * b)


class Maximum(_Merge):
    op = staticmethod(_maximum)


class Minimum(_Merge):
    op = staticmethod(_minimum)


class Subtract(_Merge):
    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"{self.name}: Subtract takes exactly 2 inputs")
        return super().compute_output_shape(input_shape)

    def forward(self, inputs):
        return inputs[0] - inputs[1]


class Average(_Merge):
    def forward(self, inputs):
        return functools.reduce(lambda a, b: a + b, inputs) / len(inputs)


class Concatenate(Layer):
    """Joins the inputs along `axis` (default -1: the channels of channels-last images)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"{self.name}: expects a list of at least 2 inputs")
        rank = len(input_shape[0])
        axis = self.axis % rank
        out = list(input_shape[0])
        for s in input_shape[1:]:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(out, s))
                                     if i != axis and None not in (a, b)):
                raise ValueError(f"{self.name}: shapes {input_shape} differ outside axis "
                                 f"{self.axis}")
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def forward(self, inputs):
        return cat(list(inputs), self.axis)


class _Dot(Layer):
    """Keras 1's 'dot' and 'cos' modes on (N, d) inputs: one number per sample, (N, 1)."""

    def __init__(self, cosine=False, **kwargs):
        super().__init__(**kwargs)
        self.cosine = cosine

    def get_config(self):
        return {**super().get_config(), "cosine": self.cosine}

    def compute_output_shape(self, input_shape):
        return (None, 1)

    def forward(self, inputs):
        a, b = inputs
        if self.cosine:
            a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
        return (a * b).sum(-1, keepdim=True)


class _LambdaMerge(Layer):
    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function, self.output_shape_arg = function, output_shape
        self.arguments = dict(arguments or {})

    def get_config(self):  # the function by name only, as Lambda's
        return {**super().get_config(), "function": self.function,
                "output_shape": self.output_shape_arg, "arguments": self.arguments}

    def compute_output_shape(self, input_shape):
        s = self.output_shape_arg
        if callable(s):
            return tuple(s(input_shape))
        if s is None:
            return tuple(input_shape[0])
        return (None,) + (tuple(s) if isinstance(s, (tuple, list)) else (s,))

    def forward(self, inputs):
        return self.function(list(inputs), **self.arguments)


_MODES = {"sum": Add, "mul": Multiply, "ave": Average, "max": Maximum}


def merge(inputs, mode="sum", concat_axis=-1, dot_axes=-1, output_shape=None,
          output_mask=None, arguments=None, name=None, **kwargs):
    """Keras 1's merge: `merge([a, b], mode='mul', name='attention_mul')`. `output_shape` is
    used by a callable mode only (Keras 1 ignored it for the named modes)."""
    if callable(mode):
        layer = _LambdaMerge(mode, output_shape, arguments, name=name)
    elif mode in _MODES:
        layer = _MODES[mode](name=name)
    elif mode == "concat":
        layer = Concatenate(axis=concat_axis, name=name)
    elif mode in ("dot", "cos"):
        if dot_axes not in (-1, 1, (1, 1), [1, 1]):
            raise ValueError(f"merge: dot_axes={dot_axes!r} is not supported (2-D inputs only)")
        layer = _Dot(cosine=mode == "cos", name=name)
    else:
        raise ValueError(f"merge: unknown mode {mode!r}; expected 'sum', 'mul', 'concat', "
                         "'ave', 'max', 'dot', 'cos' or a callable")
    return layer(inputs)


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
