"""Layers that merge a list of tensors: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot, their functional forms (add, multiply, concatenate, dot, ...), and Keras 1's
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


def _masks_and(masks, inputs):
    """The inputs' masks combined, as Keras's merges do: a step is kept where every input
    keeps it (None: no input has a mask)."""
    if not isinstance(masks, (list, tuple)) or all(m is None for m in masks):
        return None
    kept = [m for m in masks if m is not None]
    return functools.reduce(lambda a, b: a & b, kept)


class _Merge(Layer):
    """Element-wise merges work on images in either layout."""
    image_mode = "either"
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return _masks_and(mask, inputs)

    def _check(self, shapes):
        if not isinstance(shapes, list) or len(shapes) < 2:
            raise ValueError(f"{self.name}: expects a list of at least 2 inputs, got {shapes}")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return _broadcast(input_shape, self.name)

    def _inputs(self, inputs):
        """The list of inputs, after checking it is one of at least 2 (Subtract: exactly 2)."""
        n = len(inputs) if isinstance(inputs, (list, tuple)) else 0
        if n < 2 or (isinstance(self, Subtract) and n != 2):
            what = "exactly 2" if isinstance(self, Subtract) else "at least 2"
            got = f"{n} inputs" if n else f"one tensor of shape {tuple(inputs.shape)}"
            raise ValueError(f"{self.name}: expects a list of {what} inputs, got {got}")
        return list(inputs)

    def forward(self, inputs):
        return functools.reduce(self.op, self._inputs(inputs))

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
        a, b = self._inputs(inputs)
        return a - b


class Average(_Merge):
    def forward(self, inputs):
        inputs = self._inputs(inputs)
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
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            got = (f"{len(inputs)} inputs" if isinstance(inputs, (list, tuple)) else
                   f"one tensor of shape {tuple(inputs.shape)}")
            raise ValueError(f"{self.name}: expects a list of at least 2 inputs, got {got}")
        return cat(list(inputs), self.axis)

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Joined along the steps (axis 1 of sequences), the masks join too (an input without
        one keeps every step); along the features, a step is kept where all inputs keep it."""
        if not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        rank = inputs[0].ndim
        if self.axis % rank != rank - 1 and rank > 2:
            from ...creation import ones
            full = [m if m is not None else ones(*x.shape[:2], dtype=bool)
                    for m, x in zip(mask, inputs)]
            return cat(full, self.axis % rank)
        return _masks_and(mask, inputs)


class Dot(Layer):
    """Dot products of two tensors along `axes` (an int, or one axis per input), sample by
    sample (Keras's batch_dot); `normalize=True` takes cosine similarities instead (each input
    L2-normalized along its axis first). Keras 1's merge modes 'dot' and 'cos' are this layer.

    Shape: (N, d) and (N, d) -> (N, 1); (N, a, d) and (N, b, d) with axes=2 -> (N, a, b)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        ok = (isinstance(axes, int) and not isinstance(axes, bool)) or (
            isinstance(axes, (list, tuple)) and len(axes) == 2 and
            all(isinstance(a, int) and not isinstance(a, bool) for a in axes))
        if not ok:
            raise TypeError(f"Dot: axes must be an int or a pair of ints, got {axes!r}")
        self.axes, self.normalize = axes, bool(normalize)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}

    def _axes(self, shapes):
        if not isinstance(shapes, list) or len(shapes) != 2:
            raise ValueError(f"{self.name}: Dot takes a list of 2 inputs, got {shapes}")
        a, b = shapes
        if len(a) < 2 or len(b) < 2:
            raise ValueError(f"{self.name}: Dot needs inputs with a batch axis and at least one "
                             f"more, got shapes {a} and {b}")
        pair = self.axes if isinstance(self.axes, (list, tuple)) else (self.axes, self.axes)
        axes = []
        for ax, s in zip(pair, (a, b)):
            if not -len(s) <= ax < len(s) or ax % len(s) == 0:
                raise ValueError(f"{self.name}: axis {ax} is out of range (or the batch axis) "
                                 f"for an input of shape {s}")
            axes.append(ax % len(s))
        if None not in (a[axes[0]], b[axes[1]]) and a[axes[0]] != b[axes[1]]:
            raise ValueError(f"{self.name}: the dot axes differ in size: axis {axes[0]} of "
                             f"{a} and axis {axes[1]} of {b}")
        return axes

    def compute_output_shape(self, input_shape):
        (a, b), (ia, ib) = input_shape, self._axes(input_shape)
        rest = [d for i, d in enumerate(a) if i not in (0, ia)] + \
            [d for i, d in enumerate(b) if i not in (0, ib)]
        return (None,) + (tuple(rest) if rest else (1,))

    def forward(self, inputs):
        a, b = inputs
        ia, ib = self._axes([tuple(a.shape), tuple(b.shape)])
        if self.normalize:
            a, b = F.normalize(a, dim=ia), F.normalize(b, dim=ib)
        # (N, A..., d) @ (N, d, B...) as one batched matmul over the flattened rest
        a, b = a.movedim(ia, -1), b.movedim(ib, 1)
        n, d = a.shape[0], a.shape[-1]
        out = a.reshape(n, -1, d) @ b.reshape(n, d, -1)
        rest = tuple(a.shape[1:-1]) + tuple(b.shape[2:])
        return out.reshape((n,) + (rest or (1,)))




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
        layer = Dot(axes=dot_axes, normalize=mode == "cos", name=name)
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


def dot(inputs, axes, normalize=False, **kwargs):
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
