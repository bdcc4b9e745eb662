"""Special and inverse-trigonometric functions (torch.asin ... torch.special.i1e). The
primitives here compute their values with NumPy/CuPy ufuncs or with the kernels of
special_fns.py (float64 inside, then the input's float dtype); each backward is written with
differentiable Tensor ops. The rest are composites of these and of elementwise.py's ops."""
from __future__ import annotations

import math

from . import special_fns as K
from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from . import elementwise as E
from .elementwise import _const, _float, _needs, _promote, where

xp_of = backend.get_array_module

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _as_float(x):
    """An array in the float dtype PyTorch computes in (integers: the default float); a Python
    number as a float."""
    return _float(x) if hasattr(x, "dtype") else float(x)


def _kernel(fn, a, *args):
    """fn(*args, a), a special_fns kernel, on a's values in float64, returned in a's float
    dtype."""
    a = _float(a)
    return fn(*args, a.astype(backend.float64, copy=False)).astype(a.dtype, copy=False)


# ----------------------------------------------------------------- inverse trigonometric
class Asin(Function):
    def forward(self, a):
        return xp_of(a).arcsin(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g / (1 - a * a).sqrt()


class Acos(Function):
    def forward(self, a):
        return xp_of(a).arccos(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return -g / (1 - a * a).sqrt()


class Atan(Function):
    def forward(self, a):
        return xp_of(a).arctan(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g / (1 + a * a)


class Asinh(Function):
    def forward(self, a):
        return xp_of(a).arcsinh(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g / (a * a + 1).sqrt()


class Acosh(Function):
    def forward(self, a):
        return xp_of(a).arccosh(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g / ((a - 1) * (a + 1)).sqrt()


class Atanh(Function):
    def forward(self, a):
        return xp_of(a).arctanh(_float(a))

    def backward(self, g):
        (a,) = self.saved
        return g / (1 - a * a)


class Atan2(Function):
    """The angle of the point (b, a): atan(a / b) placed in the right quadrant."""

    def forward(self, a, b):
        xp = xp_of(a if hasattr(a, "dtype") else b)
        return _promote(xp.arctan2(_as_float(a), _as_float(b)), a, b, floating=True)

    def backward(self, g):
        a, b = self.saved
        r2 = a * a + b * b
        return (g * b / r2 if _needs(a) else None), (-g * a / r2 if _needs(b) else None)


# ----------------------------------------------------------------- error function family
class Erfc(Function):
    # A primitive: 1 - erf(a) rounds to 0 (and loses all digits before) once a > ~6.
    def forward(self, a):
        return _kernel(K.erfc, a)

    def backward(self, g):
        (a,) = self.saved
        return g * -_TWO_OVER_SQRT_PI * (-(a * a)).exp()


class Erfcx(Function):
    """exp(a^2) erfc(a), finite where exp(a^2) overflows."""

    def forward(self, a):
        return _kernel(K.erfcx, a)

    def backward(self, g):
        (a,) = self.saved
        return g * (2 * a * self.saved_output - _TWO_OVER_SQRT_PI)


class Erfinv(Function):
    def forward(self, a):
        return _kernel(K.erfinv, a)

    def backward(self, g):
        out = self.saved_output
        return g * (math.sqrt(math.pi) / 2) * (out * out).exp()


class Ndtri(Function):
    """The inverse of the standard normal CDF (the probit)."""

    def forward(self, a):
        return _kernel(K.ndtri, a)

    def backward(self, g):
        out = self.saved_output
        return g * math.sqrt(2 * math.pi) * (out * out * 0.5).exp()


# ----------------------------------------------------------------- gamma family, Bessel
class Lgamma(Function):
    def forward(self, a):
        return _kernel(K.lgamma, a)

    def backward(self, g):
        (a,) = self.saved
        return g * Polygamma.apply(a, n=0)


class Polygamma(Function):
    """The n-th derivative of digamma (n = 0: digamma itself)."""

    def forward(self, a, n=0):
        self.n = n
        return _kernel(K.polygamma, a, n)

    def backward(self, g):
        (a,) = self.saved
        return g * Polygamma.apply(a, n=self.n + 1)


class Bessel(Function):
    """The modified Bessel functions of the first kind: kind 'i0', 'i1', or 'i0e', 'i1e'
    (scaled by exp(-|a|))."""

    def forward(self, a, kind="i0"):
        self.kind = kind
        return _kernel(lambda x: K.bessel(x, kind), a)

    def backward(self, g):
        (a,) = self.saved
        kind = self.kind
        if kind == "i0":
            return g * Bessel.apply(a, kind="i1")
        if kind == "i0e":
            return g * (Bessel.apply(a, kind="i1e") - a.sign() * self.saved_output)
        # i1' = i0 - i1 / a and i1e' = i0e - i1e (sign(a) + 1 / a), both 1/2 at a = 0
        zero = _const(a._data == 0)
        safe = where(zero, 1.0, a)
        if kind == "i1":
            d = Bessel.apply(safe, kind="i0") - Bessel.apply(safe, kind="i1") / safe
        else:
            d = Bessel.apply(safe, kind="i0e") - \
                Bessel.apply(safe, kind="i1e") * (safe.sign() + 1 / safe)
        return g * where(zero, 0.5, d)


class XLogY(Function):
    """a * log(b) (log1p: a * log1p(b)), 0 where a == 0 unless b is NaN: PyTorch's
    convention, which a composite's 0 * log(0) = nan cannot give (nor its gradient)."""

    def forward(self, a, b, log1p=False):
        self.log1p = log1p
        xp = xp_of(a if hasattr(a, "dtype") else b)
        fa, fb = _as_float(a), _as_float(b)
        with K.quiet(xp):
            out = fa * (xp.log1p(fb) if log1p else xp.log(fb))
            out = xp.where((fa == 0) & ~xp.isnan(fb), 0.0, out)
        return _promote(xp.asarray(out), a, b, floating=True)

    def backward(self, g):
        a, b = self.saved
        ga = gb = None
        if _needs(a):  # g log(b), but 0 where a == 0 and log(b) is -inf or nan (PyTorch's)
            bd = b._data if isinstance(b, Tensor) else b
            flat = (a._data == 0) & (bd <= (-1 if self.log1p else 0))
            ga = where(_const(flat), 0.0, XLogY.apply(g, b, log1p=self.log1p))
        if _needs(b):
            gb = g * a / (b + 1 if self.log1p else b)
        return ga, gb


class GammaInc(Function):
    """The regularized incomplete gamma function P(a, x) (upper: Q(a, x) = 1 - P); a gradient
    in x only, as in PyTorch."""

    def forward(self, a, x, upper=False):
        self.upper = upper
        dtype = backend.result_type(a, x)
        if dtype.kind != "f":  # one floating operand is enough: the other is promoted
            raise TypeError(f"gammainc: input and other must not both be integer or bool, got "
                            f"{a.dtype} and {x.dtype}")
        f64 = backend.float64
        return K.gammainc(a.astype(f64), x.astype(f64), upper).astype(dtype, copy=False)

    def backward(self, g):
        a, x = self.saved
        if _needs(a):
            raise RuntimeError("gammainc: the derivative with respect to input (a) is not "
                               "implemented, as in PyTorch; detach it")
        density = ((a - 1) * x.log() - x - lgamma(a)).exp()  # x^(a-1) e^-x / Gamma(a)
        return None, (-g if self.upper else g) * density


# ----------------------------------------------------------------- public functions
def _check_tensor(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, got {type(x).__name__}")


def _unary(cls, name):
    def fn(input):
        _check_tensor(name, input)
        return cls.apply(input)
    fn.__name__ = name
    return fn


asin, acos, atan = _unary(Asin, "asin"), _unary(Acos, "acos"), _unary(Atan, "atan")
asinh, acosh, atanh = _unary(Asinh, "asinh"), _unary(Acosh, "acosh"), _unary(Atanh, "atanh")
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
erfc, erfcx, erfinv = _unary(Erfc, "erfc"), _unary(Erfcx, "erfcx"), _unary(Erfinv, "erfinv")
ndtri, lgamma = _unary(Ndtri, "ndtri"), _unary(Lgamma, "lgamma")


def _check_other(op, other):
    # PyTorch's signature takes a Tensor here, not a Python number
    if not isinstance(other, Tensor):
        raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def atan2(input, other):
    _check_tensor("atan2", input)
    _check_other("atan2", other)
    return Atan2.apply(input, other)


arctan2 = atan2


def digamma(input):
    _check_tensor("digamma", input)
    return Polygamma.apply(input, n=0)


def polygamma(n, input):
    """The n-th derivative of digamma at input (torch.polygamma(n, input))."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"polygamma(): argument 'n' must be an int, got {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n={n}")
    _check_tensor("polygamma", input)
    return Polygamma.apply(input, n=n)


def _bessel(kind):
    def fn(input):
        _check_tensor(kind, input)
        return Bessel.apply(input, kind=kind)
    fn.__name__ = kind
    return fn


i0, i0e, i1, i1e = _bessel("i0"), _bessel("i0e"), _bessel("i1"), _bessel("i1e")


def xlogy(input, other):
    """input * log(other), 0 where input == 0 (unless other is NaN)."""
    if not (isinstance(input, Tensor) or isinstance(other, Tensor)):
        raise TypeError("xlogy(): at least one of input and other must be a Tensor")
    return XLogY.apply(input, other)


def xlog1py(input, other):
    """input * log1p(other), 0 where input == 0 (unless other is NaN)."""
    if not (isinstance(input, Tensor) or isinstance(other, Tensor)):
        raise TypeError("xlog1py(): at least one of input and other must be a Tensor")
    return XLogY.apply(input, other, log1p=True)


def mvlgamma(input, p):
    """The log of the multivariate gamma function of dimension p: sum_i lgamma(x - i/2)
    + p (p - 1)/4 log(pi), defined for x > (p - 1)/2."""
    if isinstance(p, bool) or not isinstance(p, int) or p < 1:
        raise ValueError(f"mvlgamma: p must be an int >= 1, got {p!r}")
    _check_tensor("mvlgamma", input)
    if input.dtype == backend.bool_:
        raise RuntimeError("mvlgamma: the input tensor may not be a boolean tensor")
    # Out of the domain x > (p - 1)/2, PyTorch (2.x) no longer refuses: lgamma's values stand.
    out = lgamma(input)
    for i in range(1, p):
        out = out + lgamma(input - i / 2)
    return out + p * (p - 1) / 4 * math.log(math.pi)


def sinc(input):
    """sin(pi x) / (pi x), 1 at x = 0 (gradient 0 there)."""
    _check_tensor("sinc", input)
    zero = E.eq(input, 0)
    safe = where(zero, 1.0, input) * math.pi  # no 0/0 in the branch `where` discards
    return where(zero, 1.0, E.sin(safe) / safe)


def logit(input, eps=None):
    """log(p / (1 - p)); with eps, p is first clamped to [eps, 1 - eps]."""
    _check_tensor("logit", input)
    if input.dtype.kind != "f":  # 1 - z in uint8 would wrap around
        input = input.to(backend.get_default_dtype())
    z = input if eps is None else E.clamp(input, eps, 1 - eps)
    return E.log(z / (1 - z))


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _xp(*xs):
    return xp_of(next(x._data for x in xs if isinstance(x, Tensor)))


def _float_result_dtype(input, other):
    dtype = backend.result_type(input, other)
    return backend.get_default_dtype() if dtype.kind in "biu" else dtype


def copysign(input, other):
    """|input| with the sign of other (its sign bit: copysign(1, -0.0) = -1)."""
    _check_tensor("copysign", input)
    negative = _xp(input).signbit(_data(other))
    sign = _const(_xp(input).where(negative, -1.0, 1.0).astype(
        _float_result_dtype(input, other)))
    return E.abs(input) * sign


def fmax(input, other):
    """The larger of the two, ignoring NaN (NaN only where both are); ties go to input."""
    _check_tensor("fmax", input)
    _check_other("fmax", other)
    take = E.logical_or(E.ge(input, other), E.isnan(other))
    return where(take, input, other)


def fmin(input, other):
    """The smaller of the two, ignoring NaN (NaN only where both are); ties go to input."""
    _check_tensor("fmin", input)
    _check_other("fmin", other)
    take = E.logical_or(E.le(input, other), E.isnan(other))
    return where(take, input, other)


def gammainc(input, other):
    """The regularized lower incomplete gamma function P(a = input, x = other)."""
    _check_tensor("gammainc", input)
    _check_tensor("gammainc", other)
    return GammaInc.apply(input, other)


def gammaincc(input, other):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    _check_tensor("gammaincc", input)
    _check_tensor("gammaincc", other)
    return GammaInc.apply(input, other, upper=True)
