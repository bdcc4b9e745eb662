"""`brique.special`, PyTorch's torch.special: special functions under SciPy's names (expit,
gammaln, ndtr, ...), reusing brique's ops where they exist."""
from __future__ import annotations

import math

from .ops import elementwise as _E
from .ops import reduce as _R
from .ops.special import (digamma, erfc, erfcx, erfinv, gammainc, gammaincc,  # noqa: F401
                          i0, i0e, i1, i1e, lgamma as gammaln, logit, mvlgamma as multigammaln,
                          ndtri, polygamma, sinc, xlog1py, xlogy)

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
           "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr",
           "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma",
           "psi", "round", "sinc", "softmax", "xlog1py", "xlogy"]

psi = digamma
expit = _E.sigmoid
erf, log1p, expm1, exp2 = _E.erf, _E.log1p, _E.expm1, _E.exp2

_SQRT_HALF = math.sqrt(0.5)


def logsumexp(input, dim, keepdim=False):
    return _R.logsumexp(input, dim, keepdim)


def round(input, *, decimals=0):
    return _E.round(input, decimals=decimals)


def softmax(input, dim, *, dtype=None):
    return _R.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _R.log_softmax(input, dim, dtype=dtype)


def ndtr(input):
    """The standard normal CDF, erfc(-x / sqrt(2)) / 2: no cancellation in the left tail."""
    return erfc(input * -_SQRT_HALF) * 0.5


def log_ndtr(input):
    """log of the standard normal CDF, finite far in the left tail: for x < -1,
    log(erfcx(-x/sqrt 2) / 2) - x^2/2 (no underflow); above, log1p(-ndtr(-x))."""
    left = _E.lt(input, -1.0)
    xl = _E.where(left, input, -1.0)  # each branch sees only the inputs it keeps
    xr = _E.where(left, -1.0, input)
    low = _E.log(erfcx(xl * -_SQRT_HALF) * 0.5) - xl * xl * 0.5
    high = _E.log1p(erfc(xr * _SQRT_HALF) * -0.5)
    return _E.where(left, low, high)


def entr(input):
    """-x log(x) for x > 0, 0 at 0, -inf for x < 0."""
    positive = _E.gt(input, 0)
    safe = _E.where(positive, input, 1.0)
    inner = _E.where(_E.eq(input, 0), 0.0, _E.where(_E.isnan(input), math.nan, -math.inf))
    return _E.where(positive, -safe * _E.log(safe), inner)
