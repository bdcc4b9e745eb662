"""Registry cases for the special and inverse-trigonometric functions (brique/ops/special.py)
and the composites built on them, checked against torch and torch.special. Collected by
cases.all_cases(); tests/test_special.py checks values over wide ranges, poles and errors."""
from __future__ import annotations

import numpy as np
import torch

import brique as B
import brique.special as BS
from cases import Arg, Away, Case as C, Const, P, U

TS = torch.special


def Frozen(*shape, lo, hi):
    """Uniform values that get no gradient (gammainc's a, which has none in PyTorch)."""
    return Arg(lambda rng: rng.uniform(lo, hi, shape), grad=False)


# xlogy at its conventions: x = 0 with y = 0 and y > 0 (value 0, gradient in x zero there)
XLOGY_X = np.array([[0.0, 0.0, 1.5, -0.7], [2.0, 0.0, 0.3, 1.1]])
XLOGY_Y = np.array([[0.0, 1.3, 0.8, 2.0], [0.6, 0.0, 1.7, 0.9]])

CASES = [
    # inverse trigonometric and hyperbolic
    C("asin", B.asin, torch.asin, [U(3, 4, lo=-0.9, hi=0.9)], gradgrad=True),
    C("acos", lambda a: a.acos(), lambda a: a.acos(), [U(3, 4, lo=-0.9, hi=0.9)]),
    C("atan", B.arctan, torch.arctan, [U(3, 4, lo=-3, hi=3)]),
    C("asinh", B.asinh, torch.asinh, [U(3, 4, lo=-3, hi=3)]),
    C("acosh", B.acosh, torch.acosh, [U(3, 4, lo=1.2, hi=4)]),
    C("atanh", lambda a: a.arctanh(), lambda a: a.arctanh(), [U(3, 4, lo=-0.9, hi=0.9)]),
    C("atan2", B.atan2, torch.atan2, [U(3, 4), Away(4, margin=0.3)], gradgrad=True),
    C("arctan2_broadcast", lambda a, b: a.arctan2(b), lambda a, b: a.arctan2(b),
      [U(2, 1, 4), Away(3, 1, margin=0.3)]),
    # error function family
    C("erfc", B.erfc, torch.erfc, [U(3, 4, lo=-3, hi=5)]),
    C("erfcx", BS.erfcx, TS.erfcx, [U(3, 4, lo=-2, hi=8)]),
    C("erfinv", B.erfinv, torch.erfinv, [U(3, 4, lo=-0.99, hi=0.99)], gradgrad=True),
    C("ndtri", BS.ndtri, TS.ndtri, [U(3, 4, lo=0.01, hi=0.99)]),
    C("ndtr", BS.ndtr, TS.ndtr, [U(3, 4, lo=-6, hi=4)]),
    C("log_ndtr", BS.log_ndtr, TS.log_ndtr, [Away(3, 4, kinks=(-1.0,), lo=-12, hi=5)]),
    # gamma family
    C("lgamma", B.lgamma, torch.lgamma, [Away(3, 4, kinks=(-2.0, -1.0, 0.0), lo=-3, hi=8)],
      gradgrad=True),
    C("digamma", B.digamma, torch.digamma, [Away(3, 4, kinks=(-1.0, 0.0), lo=-2, hi=12)]),
    C("polygamma_1", lambda a: B.polygamma(1, a), lambda a: torch.polygamma(1, a),
      [Away(3, 4, kinks=(-1.0, 0.0), margin=0.2, lo=-2, hi=6)]),
    C("polygamma_3_method", lambda a: a.polygamma(3), lambda a: a.polygamma(3),
      [P(3, 4, lo=0.5, hi=5)]),
    C("mvlgamma", lambda a: B.mvlgamma(a, 3), lambda a: torch.mvlgamma(a, 3),
      [P(3, 4, lo=1.2, hi=5)]),
    C("gammaln_psi", lambda a: BS.gammaln(a) + BS.psi(a), lambda a: TS.gammaln(a) + TS.psi(a),
      [P(3, 4, lo=0.2, hi=6)]),
    C("gammainc", BS.gammainc, TS.gammainc, [Frozen(3, 4, lo=0.5, hi=6), P(3, 4, lo=0.2, hi=9)]),
    C("gammaincc", BS.gammaincc, TS.gammaincc,
      [Frozen(3, 4, lo=0.5, hi=6), P(3, 4, lo=0.2, hi=9)]),
    # modified Bessel functions (both sides of the series/asymptotic switch at |x| = 25)
    C("i0", B.i0, torch.i0, [U(3, 4, lo=-4, hi=4)]),
    C("i0e", BS.i0e, TS.i0e, [Away(3, 4, lo=-30, hi=30)]),
    C("i1", BS.i1, TS.i1, [U(3, 4, lo=-4, hi=4)], gradgrad=True),
    C("i1e", BS.i1e, TS.i1e, [Away(3, 4, lo=-30, hi=30)]),
    C("i1_at_zero", BS.i1, TS.i1, [Const([0.0, 1.0, -2.0], grad=True)], fd=False),
    # xlogy and friends
    C("xlogy", B.xlogy, torch.xlogy, [U(3, 4), P(3, 4)], gradgrad=True),
    C("xlogy_zeros", B.xlogy, torch.xlogy, [Const(XLOGY_X, grad=True), Const(XLOGY_Y)],
      fd=False),
    C("xlogy_scalar", lambda b: B.xlogy(2.0, b), lambda b: torch.xlogy(2.0, b), [P(3, 4)]),
    C("xlog1py", BS.xlog1py, TS.xlog1py, [U(3, 4), P(3, 4, lo=-0.5, hi=2)]),
    C("entr", BS.entr, TS.entr, [P(3, 4, lo=0.1, hi=3)]),
    C("sinc", B.sinc, torch.sinc, [Away(3, 4, kinks=(0.0,), lo=-3, hi=3)]),
    C("sinc_at_zero", B.sinc, torch.sinc, [Const([0.0, 0.5, -1.5], grad=True)], fd=False),
    C("logit", B.logit, torch.logit, [U(3, 4, lo=0.05, hi=0.95)]),
    C("logit_eps", lambda a: a.logit(eps=0.2), lambda a: a.logit(eps=0.2),
      [Away(3, 4, kinks=(0.2, 0.8), margin=0.05, lo=0.0, hi=1.0)]),
    C("expit", BS.expit, TS.expit, [U(3, 4)]),
    # sign and comparison composites
    C("copysign", B.copysign, torch.copysign, [Away(3, 4), U(4)]),
    C("copysign_number", lambda a: a.copysign(-1.0), lambda a: a.copysign(-1.0), [Away(3, 4)]),
    C("fmax", B.fmax, torch.fmax, [Const([[1.0, np.nan, 2.0, np.nan], [0.5, 3.0, -1.0, 2.0]],
                                         grad=True),
                                   Const([[0.0, 1.0, np.nan, np.nan], [0.5, 4.0, -2.0, 1.0]],
                                         grad=True)], fd=False),
    C("fmin", B.fmin, torch.fmin, [U(3, 4), U(3, 4)]),
    C("float_power", B.float_power, torch.float_power, [P(3, 4), U(3, 4)]),
    C("float_power_number", lambda a: a.float_power(2.5), lambda a: a.float_power(2.5),
      [P(3, 4)]),
    C("logaddexp2", B.logaddexp2, torch.logaddexp2, [U(3, 4, lo=-5, hi=5), U(4, lo=-5, hi=5)]),
    C("ldexp", B.ldexp, torch.ldexp, [U(3, 4), U(4, lo=-3, hi=3)]),
    C("rad2deg", B.rad2deg, torch.rad2deg, [U(3, 4)]),
]
