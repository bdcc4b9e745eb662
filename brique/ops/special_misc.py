"""Elementwise functions of PyTorch's that need no primitive of their own: composites
(float_power, logaddexp2, ldexp, rad2deg) and non-differentiable ones (sign bits, infinities,
integer division, gcd/lcm, float decomposition)."""
from __future__ import annotations

import math
from collections import namedtuple

from . import elementwise as E
from .. import backend
from ..tensor import Tensor
from .special import _check_other, _check_tensor

xp_of = backend.get_array_module

frexp_result = namedtuple("frexp", ["mantissa", "exponent"])  # torch.return_types.frexp


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def float_power(input, exponent):
    """input ** exponent computed in float64 (the result is float64)."""
    base = input.to(backend.float64) if isinstance(input, Tensor) else float(input)
    if isinstance(exponent, Tensor):
        return E.pow(base, exponent.to(backend.float64))
    _check_tensor("float_power", input)
    return E.pow(base, float(exponent))


def logaddexp2(input, other):
    """log2(2^input + 2^other) without overflow."""
    _check_tensor("logaddexp2", input)
    _check_other("logaddexp2", other)
    dtype = backend.result_type(input, other)
    if dtype.kind != "f":
        raise RuntimeError(f"logaddexp2: not implemented for integer or bool operands, got "
                           f"{input.dtype} and {other.dtype}")
    input, other = (x.to(dtype) if isinstance(x, Tensor) else x for x in (input, other))
    return E.maximum(input, other) + \
        E.log1p(E.exp2(-E.abs(input - other))) * (1 / math.log(2))


def ldexp(input, other):
    """input * 2 ** other."""
    _check_tensor("ldexp", input)
    _check_other("ldexp", other)
    if input.dtype.kind == "f" and other.dtype == backend.bool_:  # PyTorch refuses this pair
        raise RuntimeError(f"ldexp: a bool exponent is not supported with a {input.dtype} input")
    return input * E.pow(2.0, other)


def heaviside(input, values):
    """0 where input < 0, values where input == 0, 1 where input > 0. Not differentiable."""
    _check_tensor("heaviside", input)
    _check_other("heaviside", values)
    if isinstance(values, Tensor) and values.dtype != input.dtype:
        raise RuntimeError(f"heaviside: input ({input.dtype}) and values ({values.dtype}) "
                           "must have the same dtype")
    xp, x = xp_of(input._data), input._data
    out = xp.where(x == 0, _data(values), x > 0).astype(input.dtype, copy=False)
    return Tensor._make(out)


def rad2deg(input):
    return input * (180 / math.pi)


def signbit(input):
    _check_tensor("signbit", input)
    return Tensor._make(xp_of(input._data).signbit(input._data))


def isposinf(input):
    return E.eq(input, math.inf)


def isneginf(input):
    return E.eq(input, -math.inf)


def isreal(input):
    """True everywhere: brique has no complex tensors."""
    _check_tensor("isreal", input)
    return Tensor._make(xp_of(input._data).ones(input.shape, dtype=backend.bool_))


def sgn(input):
    """sign(input), 0 at NaN as in PyTorch."""
    _check_tensor("sgn", input)
    if input.dtype == backend.bool_:  # the sign of a bool is itself
        return input.clone()
    return E.where(E.isnan(input), 0, E.sign(input))


def positive(input):
    _check_tensor("positive", input)
    if input.dtype == backend.bool_:
        raise TypeError("positive: the `+` operator on a bool tensor is not supported")
    return input


def floor_divide(input, other):
    if all(isinstance(x, Tensor) and x.dtype == backend.bool_ for x in (input, other)):
        raise RuntimeError("floor_divide: not implemented for two bool tensors")
    return E.div(input, other, rounding_mode="floor")


def nextafter(input, other):
    """The next float after input in the direction of other, in their promoted float dtype."""
    _check_tensor("nextafter", input)
    _check_other("nextafter", other)
    dtype = backend.result_type(input, other)
    if dtype.kind != "f":
        raise RuntimeError(f"nextafter: needs a floating operand, got {input.dtype} and "
                           f"{other.dtype}")
    return Tensor._make(xp_of(input._data).nextafter(input._data.astype(dtype, copy=False),
                                                     other._data.astype(dtype, copy=False)))


def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1);
    the exponent is int32, as in PyTorch."""
    _check_tensor("frexp", input)
    if input.dtype.kind != "f":
        raise RuntimeError(f"frexp: only floating-point dtypes are supported, got {input.dtype}")
    mantissa, exponent = xp_of(input._data).frexp(input._data)
    return frexp_result(Tensor._make(mantissa), Tensor._make(exponent.astype(backend.int32)))


def _integer_op(name):
    def fn(input, other):
        for x in (input, other):
            kind = x.dtype.kind if isinstance(x, Tensor) else ("i" if isinstance(x, int)
                                                                else "f")
            if kind not in "iub":
                what = x.dtype if isinstance(x, Tensor) else type(x).__name__
                raise TypeError(f"{name}: only integer tensors, got {what}")
        _check_tensor(name, input)
        if backend.result_type(input, other) == backend.bool_:
            raise RuntimeError(f"{name}: not implemented for bool tensors")
        xp = xp_of(input._data)
        out = getattr(xp, name)(input._data, _data(other))
        return Tensor._make(out.astype(backend.result_type(input, other), copy=False))
    fn.__name__ = name
    return fn


gcd, lcm = _integer_op("gcd"), _integer_op("lcm")
