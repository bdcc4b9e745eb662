"""Unary elementwise primitives (exp, log, trig, sigmoid, relu, ...) and the composites built
from them alone. Split from elementwise.py, which re-exports every name; each class holds its
forward (on arrays) and its backward (on Tensors)."""
from __future__ import annotations

import functools
import math

from . import _kernels, _threads
from .. import _special, backend
from ..autograd import Function
from ..tensor import Tensor

xp_of = backend.get_array_module


def _const(array):
    return Tensor._make(array)


def _float(a):
    # PyTorch computes transcendental functions of integer tensors in the default float dtype.
    return a if a.dtype.kind == "f" else a.astype(backend.get_default_dtype())


def _is_int(x):
    return x.dtype.kind in "biu" if hasattr(x, "dtype") else isinstance(x, int)


class Exp(Function):
    def forward(self, a):
        return xp_of(a).exp(_float(a))

    def backward(self, g):
        return g * self.saved_output


class Log(Function):
    def forward(self, a):
        return xp_of(a).log(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g / a


class Log1p(Function):
    """log(1 + a), exact for tiny a where log(a + 1) rounds 1 + a to 1."""

    def forward(self, a):
        return xp_of(a).log1p(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g / (a + 1)


class Expm1(Function):
    """exp(a) - 1, exact for tiny a where exp(a) - 1 cancels to 0."""

    def forward(self, a):
        return xp_of(a).expm1(_float(a))

    def backward(self, g):
        return g * (self.saved_output + 1)


class Sqrt(Function):
    def forward(self, a):
        return xp_of(a).sqrt(_float(a))

    def backward(self, g):
        return g / (2 * self.saved_output)


class Abs(Function):
    # Fused because a * sign(a) (same gradient) takes 2.7x the time, forward + backward on 1M.
    def forward(self, a):
        return xp_of(a).abs(a)

    def backward(self, g):
        (a,) = self.saved
        return g * a.sign()


class Sign(Function):
    def forward(self, a):
        xp = xp_of(a)
        out = xp.sign(a)
        if out.dtype.kind == "f":  # NaN's sign is 0 in PyTorch, NaN in NumPy
            out = xp.where(out == out, out, out.dtype.type(0))
        return out

    def backward(self, g):
        return g.new_zeros(g.shape)  # zero even where g is inf or NaN, as in PyTorch


class Round(Function):
    """floor, ceil, round (half to even, with `decimals`) and trunc: piecewise constant, so
    their gradient is zero, as in PyTorch."""

    def forward(self, a, mode="round", decimals=0):
        xp = xp_of(a)
        if mode == "round":
            return xp.round(a, decimals)
        return getattr(xp, mode)(a)

    def backward(self, g):
        return g.new_zeros(g.shape)  # zero even where g is inf or NaN, as in PyTorch


class Sin(Function):
    def forward(self, a):
        return xp_of(a).sin(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g * a.cos()


class Cos(Function):
    def forward(self, a):
        return xp_of(a).cos(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return -g * a.sin()


class Tanh(Function):
    def forward(self, a):
        return xp_of(a).tanh(_float(a))

    def backward(self, g):
        out = self.saved_output
        return g * (1 - out * out)


class Sigmoid(Function):
    def forward(self, a):
        xp = xp_of(a)
        a = _float(a)
        e = xp.exp(-xp.abs(a))  # never overflows: stable on both tails
        return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, g):
        out = self.saved_output
        return g * out * (1 - out)


# Below this many elements the compiled call costs more than NumPy's passes (ReLU's backward
# on 16 x 16: 2.7 us against 1.2 us; on 64 x 256: 4.6 against 6.7 us).
_LEAKY_MIN = 4096


def _leaky(g, a, slope):
    """g where a > 0, else g * slope: one compiled pass (split between the cores when big) on
    NumPy float arrays of one shape and dtype; None where the kernel does not apply."""
    if g.size >= _LEAKY_MIN and g.shape == a.shape and _kernels.usable_flat(g, a):
        return _threads.elementwise(functools.partial(_kernels.leaky, slope=slope), g, a)
    return None


class Relu(Function):
    def forward(self, a):
        if a.size >= _LEAKY_MIN and _kernels.usable_flat(a):
            return _threads.elementwise(_kernels.clamp_min, a, 0)
        y = _threads.elementwise(xp_of(a).maximum, a, 0) if _threads.big(a) else \
            xp_of(a).maximum(a, 0)
        return y.astype(a.dtype, copy=False)

    def backward(self, g):
        (a,) = self.saved
        return ReluGrad.apply(g, _const(a._data))


class LeakyRelu(Function):
    # One primitive because where(a > 0, a, a * slope) as a composite takes 2.3x the time,
    # forward + backward on 1M; compiled (_leaky), 1M float32 forward 4.4 -> 0.21 ms.
    def forward(self, a, negative_slope=0.01):
        self.slope = negative_slope
        y = _leaky(a, a, negative_slope)
        return xp_of(a).where(a > 0, a, a * negative_slope) if y is None else y

    def backward(self, g):
        (a,) = self.saved
        return ReluGrad.apply(g, _const(a._data), negative_slope=self.slope)


class ReluGrad(Function):
    """g * (a > 0), or g * (1 where a > 0 else negative_slope): the backward of Relu (PyTorch's
    threshold_backward) and of LeakyRelu, a primitive so that a compiled loop does it in one
    pass; in g it is its own derivative, in a zero."""

    def forward(self, g, a, negative_slope=0.0):
        self.slope = negative_slope
        if not negative_slope:  # a mask, not a product: NaN or inf in g where a <= 0 gives 0
            if g.size >= _LEAKY_MIN and g.shape == a.shape and _kernels.usable_flat(g, a):
                return _threads.elementwise(_kernels.relu_grad, g, a)
            return xp_of(a).where(a > 0, g, g.dtype.type(0))
        out = _leaky(g, a, negative_slope)
        if out is not None:
            return out
        return g * xp_of(a).where(a > 0, 1, negative_slope).astype(a.dtype)

    def backward(self, gg):
        _, a = self.saved
        return ReluGrad.apply(gg, a, negative_slope=self.slope), None


class Erf(Function):
    def forward(self, a):
        return _special.erf(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g * (2 / math.sqrt(math.pi)) * (-(a * a)).exp()


exp = lambda a: Exp.apply(a)           # noqa: E731
log = lambda a: Log.apply(a)           # noqa: E731
sqrt = lambda a: Sqrt.apply(a)         # noqa: E731
abs = lambda a: Abs.apply(a)           # noqa: E731
sign = lambda a: Sign.apply(a)         # noqa: E731
sin = lambda a: Sin.apply(a)           # noqa: E731
cos = lambda a: Cos.apply(a)           # noqa: E731
tanh = lambda a: Tanh.apply(a)         # noqa: E731
sigmoid = lambda a: Sigmoid.apply(a)   # noqa: E731
relu = lambda a: Relu.apply(a)         # noqa: E731
erf = lambda a: Erf.apply(a)           # noqa: E731


def leaky_relu(a, negative_slope=0.01):
    return LeakyRelu.apply(a, negative_slope=negative_slope)


def gelu(a, approximate="none"):
    if approximate == "tanh":
        return 0.5 * a * (1 + (math.sqrt(2 / math.pi) * (a + 0.044715 * a * a * a)).tanh())
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * a * (1 + erf(a * (1 / math.sqrt(2))))


def square(a):
    return a * a


def reciprocal(a):
    return 1 / a


def rsqrt(a):
    return 1 / sqrt(a)


def log1p(a):
    return Log1p.apply(a)


def expm1(a):
    return Expm1.apply(a)


def _rounding(mode):
    def fn(a):
        return a if _is_int(a._data) else Round.apply(a, mode=mode)
    fn.__name__ = mode
    return fn


floor, ceil, trunc = _rounding("floor"), _rounding("ceil"), _rounding("trunc")


def round(a, decimals=0):
    return a if _is_int(a._data) else Round.apply(a, mode="round", decimals=decimals)


def log2(a):
    return log(a) * (1 / math.log(2))


def log10(a):
    return log(a) * (1 / math.log(10))


def exp2(a):
    return exp(a * math.log(2))


def tan(a):
    return sin(a) / cos(a)


def sinh(a):
    return (exp(a) - exp(-a)) * 0.5


def cosh(a):
    return (exp(a) + exp(-a)) * 0.5


def frac(a):
    return a - trunc(a)


def deg2rad(a):
    return a * (math.pi / 180)


def silu(a):
    return a * sigmoid(a)

