"""Special-function kernels on float64 arrays, written with the array module's ufuncs only, so
that the same code runs on NumPy and CuPy (SciPy is not a dependency). Every branch is computed
on the whole array and picked with `where`: the discarded branches may overflow or divide by
zero, hence `_quiet`. Accuracy: ~1e-15 relative (absolute near a function's zeros) in float64,
checked against PyTorch in tests/test_special.py."""
from __future__ import annotations

import contextlib
import math

from .. import _special, backend

xp_of = backend.get_array_module

_SQRT_PI = math.sqrt(math.pi)
_LOG_2PI_HALF = 0.5 * math.log(2 * math.pi)


def quiet(xp):
    """Silence the floating-point warnings of the branches `where` discards (NumPy only)."""
    errstate = getattr(xp, "errstate", None)
    return errstate(all="ignore") if errstate is not None else contextlib.nullcontext()


# ----------------------------------------------------------------- gamma family
# Lanczos (g = 7, 9 terms): Gamma to ~1e-15 relative for x >= 1/2.
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)


def _lgamma_right(xp, x):
    z = x - 1.0
    s = _LANCZOS[0]
    for i, c in enumerate(_LANCZOS[1:], 1):
        s = s + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    return _LOG_2PI_HALF + (z + 0.5) * xp.log(t) - t + xp.log(s)


def _sinpi(xp, x):
    """sin(pi x) with x first reduced to [-1, 1], exact at the integers for any magnitude."""
    return xp.sin(math.pi * (x - 2.0 * xp.round(x / 2.0)))


# B_2k / (2k)! for k = 1.., the Euler-Maclaurin coefficients of the Hurwitz zeta tail.
_EM = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000,
       1 / 74724249600, -3617 / 10670622842880000, 43867 / 5109094217170944000,
       -174611 / 802857662698291200000, 77683 / 14101100039391805440000,
       -236364091 / 1693824136731743669452800000)


def _zeta_number(k):
    """Riemann zeta(k), k >= 2, in Python floats: 20 terms, then Euler-Maclaurin."""
    n = 20.0
    total = sum(i ** -k for i in range(1, 20)) + n ** (1 - k) / (k - 1) + 0.5 * n ** -k
    rising, power = float(k), n ** (-k - 1.0)
    for j, c in enumerate(_EM[:6]):
        total += c * rising * power
        rising *= (k + 2 * j + 1) * (k + 2 * j + 2)
        power /= n * n
    return total


def _lgamma_near_one(xp, z):
    """lgamma(1 + z) = -gamma z + sum_k>=2 (-1)^k zeta(k) z^k / k, for |z| <= 1/2: relative
    accuracy near the zeros of lgamma at 1 and 2, which Lanczos's sum loses."""
    out = xp.zeros_like(z)
    for k in range(_LGAMMA_TERMS, 1, -1):
        out = (out + (-1) ** k * _ZETA[k] / k) * z
    return (out - 0.5772156649015329) * z


def lgamma(x):
    """log|Gamma(x)|: a series around 1 and 2 (on [1/2, 5/2)), Lanczos beyond, the reflection
    formula below 1/2; +inf at the poles (0 and the negative integers) and at +-inf, as in
    PyTorch."""
    xp = xp_of(x)
    with quiet(xp):
        left = x < 0.5
        right = _lgamma_right(xp, xp.where(left, 1.0 - x, x))
        reflected = math.log(math.pi) - xp.log(xp.abs(_sinpi(xp, x))) - right
        out = xp.where(left, reflected, right)
        z = xp.where(x < 1.5, x - 1.0, x - 2.0)
        near = _lgamma_near_one(xp, z)
        near = xp.where(x < 1.5, near, near + xp.log1p(z))  # lgamma(2 + z)
        out = xp.where((x >= 0.5) & (x < 2.5), near, out)
        pole = (x <= 0) & (x == xp.floor(x))
        return xp.where(pole | xp.isinf(x), math.inf, out)


_LGAMMA_TERMS = 56  # 0.5^56 / 56 < 1e-18
_ZETA = {k: _zeta_number(k) for k in range(2, _LGAMMA_TERMS + 1)}

# psi(x) ~ log x - 1/(2x) - sum B_2k / (2k x^2k), good to ~1e-16 once x >= 10.
_DIGAMMA_ASYM = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def _shift_up(xp, x, s, threshold):
    """Sum (x + k)^-s (s = 1: 1/(x + k)) over the k that take x up to `threshold`, and that
    shifted x. Positive x only (a loop of at most `threshold` steps)."""
    acc = xp.zeros_like(x)
    for _ in range(int(math.ceil(threshold))):
        low = x < threshold
        acc = acc + xp.where(low, x ** -s if s != 1 else 1.0 / x, 0.0)
        x = xp.where(low, x + 1.0, x)
    return acc, x


def _digamma_right(xp, x):
    acc, x = _shift_up(xp, x, 1, 10.0)
    inv2 = 1.0 / (x * x)
    series = xp.zeros_like(x)
    for c in reversed(_DIGAMMA_ASYM):
        series = (series + c) * inv2
    return xp.log(x) - 0.5 / x - series - acc


def _zeta_right(xp, s, q):
    """Hurwitz zeta(s, q) = sum_k (q + k)^-s for integer s >= 2, q > 0: the first terms
    summed until q >= 10 + s, then Euler-Maclaurin (its terms then shrink by >~40x each)."""
    acc, a = _shift_up(xp, q, s, 10.0 + s)
    out = acc + a ** (1.0 - s) / (s - 1) + 0.5 * a ** -s
    rising, power = float(s), a ** (-s - 1.0)
    inv2 = 1.0 / (a * a)
    for k, c in enumerate(_EM):
        out = out + c * rising * power
        rising *= (s + 2 * k + 1) * (s + 2 * k + 2)
        power = power * inv2
    return out


def _cot_derivative(n):
    """Coefficients (lowest first) of P_n with d^n/dx^n cot(pi x) = P_n(cot(pi x)):
    P_0(c) = c, P_k+1(c) = -pi (1 + c^2) P_k'(c)."""
    p = [0.0, 1.0]
    for _ in range(n):
        d = [i * p[i] for i in range(1, len(p))] + [0.0, 0.0]
        p = [-math.pi * (d[i] + (d[i - 2] if i >= 2 else 0.0)) for i in range(len(d))]
    return p


def _cotpi(xp, x):
    """cot(pi x), reduced to r in [-1/2, 1/2] (period 1); near r = +-1/2 as
    tan(pi (1/2 - |r|)), exactly 0 at the half-integers (1/tan(pi/2) is 6e-17)."""
    r = x - xp.round(x)
    ar = xp.abs(r)
    far = xp.where(r < 0, -1.0, 1.0) * xp.tan(math.pi * (0.5 - ar))
    return xp.where(ar < 0.25, 1.0 / xp.tan(math.pi * r), far)


def polygamma(n, x):
    """The n-th derivative of digamma. x > 0: digamma's recurrence and asymptotic series
    (n = 0), (-1)^(n+1) n! zeta(n + 1, x) (n >= 1); x < 0: the reflection formula
    psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi d^n/dx^n cot(pi x). Poles as PyTorch gives them."""
    xp = xp_of(x)
    with quiet(xp):
        left = x < 0
        y = xp.where(left, 1.0 - x, xp.where(x == 0, 1.0, x))
        if n == 0:
            right = _digamma_right(xp, y)
        else:
            try:
                fact = float(math.factorial(n))
            except OverflowError:
                fact = math.inf
            right = (-1.0) ** (n + 1) * fact * _zeta_right(xp, n + 1, y)
        c = _cotpi(xp, x)
        poly = xp.zeros_like(x)
        for coef in reversed(_cot_derivative(n)):
            poly = poly * c + coef
        out = xp.where(left, (-1.0) ** n * right - math.pi * poly, right)
        pole = (x <= 0) & (x == xp.floor(x))
        if n == 0:
            # PyTorch: -inf at +0, +inf at -0, nan at the negative integers and at -inf
            at_zero = xp.where(xp.signbit(x), math.inf, -math.inf)
            out = xp.where(pole, xp.where(x == 0, at_zero, math.nan), out)
            return xp.where(xp.isinf(x), xp.where(x > 0, math.inf, math.nan), out)
        sign = 1.0 if n % 2 else -1.0  # the sign of psi^(n) near 0+
        out = xp.where(pole, sign * math.inf, out)
        # PyTorch's values at +-inf (Cephes' zeta), kept so that both agree
        at_inf = 0.0 if n == 1 else math.nan
        at_minus_inf = math.nan if n == 1 else sign * math.inf
        return xp.where(xp.isinf(x), xp.where(x > 0, at_inf, at_minus_inf), out)


# ----------------------------------------------------------------- modified Bessel I0, I1
_BESSEL_SWITCH = 25.0


def _bessel(xp, x, nu, scaled):
    """I_nu(x) (nu = 0 or 1), times exp(-|x|) if `scaled`: the power series (positive terms,
    no cancellation) below |x| = 25, the asymptotic expansion beyond (30 terms: < 1e-18)."""
    ax = xp.abs(x)
    q = 0.25 * x * x
    term = xp.ones_like(x)
    total = xp.ones_like(x)
    for k in range(1, 61):
        term = term * q / (k * (k + nu))
        total = total + term
    if nu:
        total = total * (0.5 * x)
    small = total * xp.exp(-ax) if scaled else total
    big_ax = xp.where(ax >= _BESSEL_SWITCH, ax, _BESSEL_SWITCH)
    mu = 4.0 * nu * nu
    term = xp.ones_like(x)
    series = xp.ones_like(x)
    for k in range(1, 31):
        term = term * -(mu - (2 * k - 1) ** 2) / (8.0 * k * big_ax)
        series = series + term
    big = series / xp.sqrt(2 * math.pi * big_ax)
    if not scaled:
        half = xp.exp(0.5 * big_ax)  # exp(|x|) as a square: no overflow before I(x) does
        big = big * half * half
    if nu:
        big = xp.where(x < 0, -big, big)
    return xp.where(ax < _BESSEL_SWITCH, small, big)


def bessel(x, kind):
    """kind: 'i0', 'i0e', 'i1' or 'i1e' (torch.special's names)."""
    xp = xp_of(x)
    with quiet(xp):
        out = _bessel(xp, x, 1 if kind.startswith("i1") else 0, kind.endswith("e"))
        return xp.where(xp.isnan(x), math.nan, out)


# ----------------------------------------------------------------- the error function family
_CF_SWITCH = 1.5


def _erfcx_cf(xp, a):
    """exp(a^2) erfc(a) for a >= 1.5 by the continued fraction
    1/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))) (as brique's erf computes it)."""
    a = xp.where(a >= _CF_SWITCH, a, _CF_SWITCH)
    frac = xp.zeros_like(a)
    for k in range(80, 0, -1):
        frac = (k / 2.0) / (a + frac)
    return 1.0 / (_SQRT_PI * (a + frac))


def _exp_minus_square(xp, a):
    """exp(-a^2) with a^2 split into an exact part and a small one: a^2 rounded loses
    ~a^2 * 1e-16 relative in the exponential (6e-14 at a = 25)."""
    hi = xp.floor(a * 4096.0) / 4096.0  # hi * hi is exact for a < 2^14
    lo = a - hi
    return xp.exp(-hi * hi) * xp.exp(-(2.0 * hi + lo) * lo)


def erfc(x):
    """1 - erf(x), without erf's cancellation for large x."""
    xp = xp_of(x)
    with quiet(xp):
        ax = xp.abs(x)
        tail = _exp_minus_square(xp, ax) * _erfcx_cf(xp, ax)
        tail = xp.where(ax == math.inf, 0.0, tail)
        out = xp.where(x >= 0, tail, 2.0 - tail)
        return xp.where(ax >= _CF_SWITCH, out, 1.0 - _special.erf(x))


def erfcx(x):
    """exp(x^2) erfc(x), the scaled complementary error function: finite for large x."""
    xp = xp_of(x)
    with quiet(xp):
        near = xp.exp(x * x) * erfc(x)
        return xp.where(x >= _CF_SWITCH, _erfcx_cf(xp, x), near)


def _inverse(xp, a, q):
    """x >= 0 with erf(x) = a, given also q = 1 - a (exact where it matters: a >= 0.9).
    A first guess (Winitzki's formula, ~2e-3 relative), then Halley steps on erf(x) - a where
    erf(x) < 0.9, or Newton steps on log erfc(x) - log q in the tail, where a's last bits
    are all in q and erfc(x) may underflow."""
    log_1my2 = xp.log(q * (2.0 - q))  # log(1 - a^2), with 1 - a^2 = q (1 + a)
    k = 0.147
    b = 2.0 / (math.pi * k) + 0.5 * log_1my2
    x = xp.sqrt(xp.maximum(xp.sqrt(b * b - log_1my2 / k) - b, 0.0))
    out = xp.empty_like(x)
    core = q >= 0.1  # each region is solved on its own elements only
    xc, ac = x[core], a[core]
    for _ in range(3):
        u = (_special.erf(xc) - ac) / (2.0 / _SQRT_PI * xp.exp(-xc * xc))
        xc = xc - u / (1.0 + xc * u)
    out[core] = xc
    tail = ~core
    xt, log_q = x[tail], xp.log(q[tail])
    for _ in range(5):
        big = xt >= _CF_SWITCH
        cf = _erfcx_cf(xp, xt)
        near = 1.0 - _special.erf(xt)  # erfc below the switch, where it is >= 0.03
        erfcx_t = xp.where(big, cf, xp.exp(xt * xt) * near)
        log_erfc = xp.where(big, -xt * xt + xp.log(cf), xp.log(near))
        xt = xt + (log_erfc - log_q) * (0.5 * _SQRT_PI) * erfcx_t
    out[tail] = xt
    return out


def erfinv(y):
    """The inverse of erf on [-1, 1]: +-inf at +-1, nan outside."""
    xp = xp_of(y)
    with quiet(xp):
        a = xp.abs(y)
        out = xp.copysign(_inverse(xp, a, 1.0 - a), y)
        out = xp.where(a == 1.0, xp.copysign(math.inf, y), out)
        return xp.where(a > 1.0, math.nan, out)


def erfcinv(q):
    """The inverse of erfc on [0, 2]."""
    xp = xp_of(q)
    with quiet(xp):
        upper = q > 1.0
        qq = xp.where(upper, 2.0 - q, q)
        out = _inverse(xp, 1.0 - qq, qq)
        out = xp.where(upper, -out, out)
        out = xp.where(q == 0, math.inf, xp.where(q == 2, -math.inf, out))
        return xp.where((q < 0) | (q > 2), math.nan, out)


def ndtri(p):
    """The inverse of the standard normal CDF: -sqrt(2) erfcinv(2p)."""
    return -math.sqrt(2.0) * erfcinv(2.0 * p)


# ----------------------------------------------------------------- incomplete gamma
def gammainc(a, x, upper=False):
    """The regularized incomplete gamma function P(a, x) (upper: Q = 1 - P), a, x >= 0: its
    power series where x < a + 1, Legendre's continued fraction for Q (modified Lentz)
    beyond. Both need ~10 sqrt(a) terms, so the loop is sized by the largest a."""
    xp = xp_of(x)
    with quiet(xp):
        a, x = xp.broadcast_arrays(a, x)
        valid = (a > 0) & (x > 0) & (a < math.inf) & (x < math.inf)
        aa, xx = xp.where(valid, a, 1.0), xp.where(valid, x, 1.0)
        steps = 40 + int(10 * math.sqrt(float(aa.max()))) if aa.size else 0
        prefactor = xp.exp(aa * xp.log(xx) - xx - lgamma(aa))  # x^a e^-x / Gamma(a)
        term = 1.0 / aa
        total = term
        for n in range(1, steps):
            term = term * xx / (aa + n)
            total = total + term
        p_series = prefactor * total
        tiny = 1e-300
        b = xx + 1.0 - aa
        c = xp.full_like(xx, 1.0 / tiny)
        d = 1.0 / b
        h = d
        for i in range(1, steps):
            an = -i * (i - aa)
            b = b + 2.0
            d = an * d + b
            d = 1.0 / xp.where(xp.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < tiny, tiny, c)
            h = h * d * c
        q_cf = prefactor * h
        series = xx < aa + 1.0
        out = xp.where(series, 1.0 - p_series, q_cf) if upper else \
            xp.where(series, p_series, 1.0 - q_cf)
        # the edges, as PyTorch: P(0, x > 0) = 1, P(a, 0) = 0, P(a, inf) = 1, P(inf, x) = 0
        one, zero = (0.0, 1.0) if upper else (1.0, 0.0)
        out = xp.where((a == 0) | (x == math.inf), one, out)
        out = xp.where(((x == 0) & (a > 0)) | ((a == math.inf) & (x < math.inf)), zero, out)
        bad = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | xp.isnan(a) | xp.isnan(x)
        return xp.where(bad | ((a == math.inf) & (x == math.inf)), math.nan, out)
