"""Elementwise primitives. Each class holds its forward (on arrays) and its backward (on
Tensors, so that backward is itself differentiable). Broadcasting is free: the engine sums each
gradient back to its input's shape."""
from __future__ import annotations

import math

from . import _threads
from .. import backend
from ..autograd import Function
from ..tensor import Tensor

# Comparisons and bitwise logic (elementwise_logic.py), unary math and activations
# (elementwise_unary.py) live in their own files; every name stays importable from here.
from .elementwise_logic import (Logic, _LOGIC, _bitwise, _cmp, allclose, bitwise_and,  # noqa: F401
                                bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift,
                                bitwise_xor, eq, equal, ge, gt, isclose, isfinite, isinf, isnan,
                                le, logical_and, logical_not, logical_or, logical_xor, lt, ne)
from .elementwise_unary import (Abs, Cos, Erf, Exp, Expm1, LeakyRelu, Log, Log1p,  # noqa: F401
                                Relu, ReluGrad, Round, Sigmoid, Sign, Sin, Sqrt, Tanh, _LEAKY_MIN,
                                _const, _float, _is_int, _leaky, _rounding, abs, ceil, cos, cosh,
                                deg2rad, erf, exp, exp2, expm1, floor, frac, gelu, leaky_relu, log,
                                log10, log1p, log2, reciprocal, relu, round, rsqrt, sigmoid, sign,
                                silu, sin, sinh, sqrt, square, tan, tanh, trunc)

xp_of = backend.get_array_module


def _needs(t):
    return getattr(t, "requires_grad", False)


_NUMBER_RANK = {bool: 0, int: 1, float: 2, complex: 3}


def _promote(out, *operands, floating=False):
    # NumPy's dtype where it differs from PyTorch's (backend.result_type): an integer array
    # with a float32 one or a Python float gives float64 in NumPy, float32 in PyTorch; so
    # does float32 with a 0-d float64. `floating`: a true division, whose integer operands
    # give the default float dtype.
    dtype, arrays = out.dtype, False
    for x in operands:  # the fast path: arrays all of out's dtype, numbers of no higher kind
        d = getattr(x, "dtype", None)
        if d is None:
            if x is not None and _NUMBER_RANK.get(type(x), 9) > backend.KIND_RANK[dtype.kind]:
                break
        elif d is dtype or d == dtype:
            arrays = True
        else:
            break
    else:
        if arrays:
            return out
    target = backend.result_type(*(x for x in operands if x is not None))
    if floating and target.kind in "biu":
        target = backend.get_default_dtype()
    return out if target == dtype else out.astype(target, copy=False)


class Add(Function):
    def forward(self, a, b):
        return _promote(_threads.elementwise(xp_of(a).add, a, b) if _threads.big(a) else a + b,
                        a, b)

    def backward(self, g):
        return g, g


_BOOL = backend.bool_


def check_bool_sub(a, b):
    """PyTorch refuses `-` with a bool operand (tensor or Python bool) rather than guess
    whether a mask was meant to be inverted or xor-ed."""
    bools = sum(x.__class__ is bool or getattr(x, "dtype", None) == _BOOL for x in (a, b))
    if bools == 2:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if bools:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


class Sub(Function):
    def forward(self, a, b):
        # identity tests only: the dtype check runs when a bool may be involved
        if (getattr(a, "dtype", None) is _BOOL or getattr(b, "dtype", None) is _BOOL
                or a.__class__ is bool or b.__class__ is bool):
            check_bool_sub(a, b)
        return _promote(a - b, a, b)

    def backward(self, g):
        return g, -g


class Mul(Function):
    def forward(self, a, b):
        return _promote(_threads.elementwise(xp_of(a).multiply, a, b) if _threads.big(a)
                        else a * b, a, b)

    def backward(self, g):
        a, b = self.saved_product()
        return (g * b if _needs(a) else None), (g * a if _needs(b) else None)


class Div(Function):
    def forward(self, a, b):
        return _promote(a / b, a, b, floating=True)

    def backward(self, g):
        a, b = self.saved_only(lambda ins: (1, 0) if _needs(ins[1]) else (1,))  # both read b
        ga = g / b if _needs(a) else None
        gb = -g * a / (b * b) if _needs(b) else None
        return ga, gb


class Neg(Function):
    def forward(self, a):
        if a.dtype is _BOOL:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -a

    def backward(self, g):
        return -g


class Pow(Function):
    """a ** b, with b a Tensor or a Python number."""

    def forward(self, a, b):
        if _kind(a) in "iu" and _kind(b) in "iu" and not isinstance(b, int) and (b < 0).any():
            return _promote(_int_power(a, b), a, b)
        return _promote(a ** b, a, b)

    def backward(self, g):
        a, b = self.saved
        ga = g * b * a ** (b - 1) if _needs(a) else None
        gb = None
        if _needs(b):
            # PyTorch's convention: d(0**b)/db = 0 where b >= 0, instead of 0 * log(0) = nan.
            ad = a._data if isinstance(a, Tensor) else a
            zero = (ad == 0) & (b._data >= 0)
            if isinstance(a, Tensor):
                log_a = a.log()
            else:
                log_a = math.log(a) if a > 0 else (-math.inf if a == 0 else math.nan)
            gb = g * self.saved_output * log_a
            if zero.any():
                gb = gb.masked_fill(_const(zero), 0)
        return ga, gb


def _kind(x):
    return "i" if isinstance(x, int) else getattr(getattr(x, "dtype", None), "kind", "f")


def _int_power(a, b):
    """Integer a ** b where some exponents are negative: 1 / a**|b| rounded toward zero, as
    PyTorch gives it (1 for a = 1, +-1 for a = -1, else 0), where NumPy refuses. (A negative
    Python-number exponent still raises, as in PyTorch.)"""
    xp = xp_of(b)
    a = xp.asarray(a)
    negative = b < 0
    unit = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b % 2), 0))
    return xp.where(negative, unit, a ** xp.where(negative, 0, b))


class Clamp(Function):
    """clamp(a, min, max) with Python-number bounds; gradient passes where min <= a <= max."""
    # Fused because two `where`s against the bounds take 20x the time, forward + backward on 1M.

    def forward(self, a, min=None, max=None):
        self.lo, self.hi = min, max
        return _promote(xp_of(a).clip(a, min, max), a, min, max)

    def backward(self, g):
        (a,) = self.saved
        inside = True
        if self.lo is not None:
            inside = a._data >= self.lo
        if self.hi is not None:
            inside = inside & (a._data <= self.hi)
        return g * _const(inside)


class Maximum(Function):
    def forward(self, a, b):
        return _promote(xp_of(a).maximum(a, b), a, b)

    def backward(self, g):
        a, b = self.saved
        ad, bd = getattr(a, "_data", a), getattr(b, "_data", b)
        share = (ad > bd) + 0.5 * (ad == bd)  # ties split the gradient, as in PyTorch
        dtype = g.dtype
        return g * _const(share.astype(dtype)), g * _const((1 - share).astype(dtype))


class Minimum(Function):
    def forward(self, a, b):
        return _promote(xp_of(a).minimum(a, b), a, b)

    def backward(self, g):
        a, b = self.saved
        ad, bd = getattr(a, "_data", a), getattr(b, "_data", b)
        share = (ad < bd) + 0.5 * (ad == bd)
        dtype = g.dtype
        return g * _const(share.astype(dtype)), g * _const((1 - share).astype(dtype))


class Where(Function):
    def forward(self, cond, a, b):
        self.cond = cond
        return _promote(xp_of(cond).where(cond, a, b), a, b)

    def backward(self, g):
        return None, g.where(_const(self.cond), 0), g.where(_const(~self.cond), 0)


# ----------------------------------------------------------------- public functions


def add(a, b, alpha=1):
    return Add.apply(a, b if alpha == 1 else b * alpha)


def sub(a, b, alpha=1):
    if alpha == 1:
        return Sub.apply(a, b)
    check_bool_sub(a, b)  # before b * alpha turns a bool b into a number
    return Sub.apply(a, b * alpha)


def mul(a, b):
    return Mul.apply(a, b)


def div(a, b, rounding_mode=None):
    if rounding_mode is None:
        return Div.apply(a, b)
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got "
                         f"{rounding_mode!r}")
    ad, bd = (x._data if isinstance(x, Tensor) else x for x in (a, b))
    xp = xp_of(ad if isinstance(a, Tensor) else bd)
    if _is_int(ad) and _is_int(bd):
        # integers stay integers, as in PyTorch (int64 // 2 is int64)
        if not bool(xp.all(xp.asarray(bd) != 0)):
            raise RuntimeError("div: integer division by zero (rounding_mode="
                               f"{rounding_mode!r}); divide floats to get inf")
        q = xp.floor_divide(ad, bd)
        if rounding_mode == "trunc":
            q = q + ((q < 0) & (q * bd != ad))
        # PyTorch's promotion, not NumPy's: uint8 // a 0-d int64 tensor stays uint8
        return Tensor._make(xp.asarray(q).astype(backend.result_type(ad, bd), copy=False))
    from .special_fns import quiet
    with quiet(xp):  # 0 / 0 and inf / inf give nan as in PyTorch, without NumPy's warning
        out = Div.apply(a, b).detach()
        if rounding_mode == "trunc":
            return Tensor._make(xp.trunc(out._data).astype(out.dtype, copy=False))
        # floor(a / b) is off where a / b overflows or rounds up to an integer (1 // 0.1 is
        # 9., inf // 2 is nan); floor_divide on the operands themselves gives PyTorch's values.
        ad, bd = (xp.asarray(x).astype(out.dtype, copy=False) for x in (ad, bd))
        return Tensor._make(xp.asarray(xp.floor_divide(ad, bd)))


def neg(a):
    return Neg.apply(a)


def pow(a, b):
    return Pow.apply(a, b)


def elu(a, alpha=1.0):
    """a where a > 0, else alpha * (exp(a) - 1); expm1 sees only the non-positive part, so a
    large positive a never overflows it (nor its gradient)."""
    positive = gt(a, 0)
    return where(positive, a, alpha * expm1(where(positive, 0.0, a)))


def softplus(a, beta=1.0, threshold=20.0):
    """log(1 + exp(beta a)) / beta, written as relu(z) + log1p(exp(-|z|)) (z = beta a) so that
    neither tail overflows; linear (a) where z > threshold, as PyTorch."""
    z = a if beta == 1 else a * beta
    # -|z| written as min(z, 0) - max(z, 0): its derivative at z = 0 is 1, which gives
    # softplus'(0) = 1/2 (abs'(0) = 0 would give 0 there, a dead start for zero-initialized
    # logits such as word2vec's)
    pos = relu(z)
    soft = pos + log1p(exp((z - pos) - pos))
    return where(gt(z, threshold), a, soft if beta == 1 else soft / beta)


def clamp(a, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        # `where`, not maximum/minimum: at a tie PyTorch gives the whole gradient to `a`
        out = a if min is None else where(lt(a, min), min, a)
        return out if max is None else where(gt(out, max), max, out)
    return Clamp.apply(a, min=min, max=max)


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


def where(cond, a=None, b=None):
    """Elements of a where cond is true, else of b; a or b may be Python numbers. With cond
    alone, the indices where it is true (nonzero(cond, as_tuple=True))."""
    if a is None and b is None:
        from .indexing import nonzero
        return nonzero(cond if isinstance(cond, Tensor) else Tensor._make(cond), as_tuple=True)
    if not isinstance(cond, Tensor):
        cond = Tensor._make(cond)
    if cond.dtype != backend.bool_:
        cond = cond.to(backend.bool_)
    return Where.apply(cond, a, b)


def clamp_min(a, min):
    return clamp(a, min=min)


def clamp_max(a, max):
    return clamp(a, max=max)


def lerp(a, end, weight):
    """a + weight (end - a)."""
    return a + (end - a) * weight


def fmod(a, b):
    """The remainder of a / b with the sign of a (C's fmod; `%` follows b's sign)."""
    return a - div(a, b, rounding_mode="trunc") * b


def hypot(a, b):
    return sqrt(a * a + b * b)


def logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow: max + log1p(exp(-|a - b|))."""
    if _BOOL in (getattr(a, "dtype", None), getattr(b, "dtype", None)):  # a - b refuses bools
        dtype = backend.result_type(a, b)
        a, b = (x.to(dtype) if isinstance(x, Tensor) else x for x in (a, b))
    return maximum(a, b) + log1p(exp(-abs(a - b)))


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    """NaN -> nan, +inf -> posinf (default: the dtype's max), -inf -> neginf (its min)."""
    xp = xp_of(a._data)
    info = xp.finfo(a.dtype)
    out = where(isnan(a), nan, a)
    out = where(eq(out, math.inf), info.max if posinf is None else posinf, out)
    out = where(eq(out, -math.inf), info.min if neginf is None else neginf, out)
    return out if out.dtype == a.dtype else out.to(a.dtype)


def hardtanh(a, min_val=-1.0, max_val=1.0):
    return clamp(a, min_val, max_val)


# Two activations that are also Tensor methods (Tensor.hardshrink, Tensor.prelu).
def hardshrink(input, lambd=0.5):
    return where(abs(input) > lambd, input, 0.0)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x); a weight of C values applies per channel (dim 1).

    Shape: input (N, C, *) or (C, *) with weight (C,) or (1,)."""
    if weight.numel() != 1:
        channel = 1 if input.ndim >= 2 else 0
        if input.shape[channel] != weight.numel():
            raise ValueError(f"prelu: {weight.numel()} weights for input of shape "
                             f"{tuple(input.shape)}; expected 1 or one per channel "
                             f"({input.shape[channel]})")
        weight = weight.reshape((-1,) + (1,) * (input.ndim - channel - 1))
    return where(input >= 0, input, weight * input)
