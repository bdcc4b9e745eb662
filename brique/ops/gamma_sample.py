"""Gamma draws that carry a gradient, and the incomplete gamma function differentiable in its
shape a, for brique.distributions (Gamma, Chi2, Beta, Dirichlet and StudentT rsample; Gamma's
cdf). Implicit reparameterization: a draw x of Gamma(a, 1) moves with a as the quantile at a
fixed P(a, x) does, dx/da = -(dP/da) / (dP/dx). PyTorch's gammainc has no derivative in a,
so dP/da is a central difference of special_fns.gammainc here (first order only)."""
from __future__ import annotations

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from . import special_fns as K
from .elementwise import _needs
from .special import GammaInc, lgamma


def _gammainc_da(a, x):
    """dP(a, x)/da on float64 arrays: a central difference, step ~1e-5 a (~1e-9 relative)."""
    xp = backend.get_array_module(a)
    h = xp.minimum(1e-5 * xp.maximum(a, 1e-3), 0.5 * a)
    return (K.gammainc(a + h, x) - K.gammainc(a - h, x)) / (2 * h)


class GammaCdf(GammaInc):
    """P(a, x), as GammaInc, with a gradient in a as well (by a finite difference, so it does
    not differentiate twice in a)."""

    def backward(self, g):
        a, x = self.saved
        ga = gx = None
        if _needs(a):
            f64 = backend.float64
            da = _gammainc_da(a._data.astype(f64), x._data.astype(f64))
            ga = g * Tensor._make(da.astype(g.dtype, copy=False))
        if _needs(x):
            # the density of Gamma(a, 1) at x: x^(a-1) e^-x / Gamma(a)
            gx = g * ((a - 1) * x.log() - x - lgamma(a)).exp()
        return ga, gx


class StandardGamma(Function):
    """A Gamma(alpha, 1) draw from brique's generator; its gradient in alpha is the implicit
    one, -dP/dalpha / density at the draw (not differentiable a second time)."""

    def forward(self, alpha):
        xp = backend.get_array_module(alpha)
        gen = backend.rng(backend.device_of(alpha))
        draw = xp.asarray(gen.standard_gamma(alpha))
        tiny = float(xp.finfo(alpha.dtype).tiny)
        return xp.maximum(draw.astype(alpha.dtype, copy=False), tiny)

    def backward(self, g):
        (alpha,) = self.saved
        x = self.saved_output._data
        xp = backend.get_array_module(x)
        f64 = backend.float64
        a64, x64 = alpha._data.astype(f64), x.astype(f64)
        with K.quiet(xp):
            log_density = (a64 - 1) * xp.log(x64) - x64 - K.lgamma(a64)
            dxda = -_gammainc_da(a64, x64) / xp.exp(log_density)
        dxda = xp.where(xp.isfinite(dxda), dxda, 0.0)
        return g * Tensor._make(dxda.astype(x.dtype))


def gamma_cdf(a, x):
    """P(a, x), differentiable in both a and x; an integer a is taken in x's float dtype (an
    integer concentration is valid in torch.distributions.Gamma)."""
    if not a.is_floating_point():
        a = a.to(x.dtype)
    return GammaCdf.apply(a, x)


def standard_gamma(alpha):
    """Gamma(alpha, 1) draws of alpha's shape, reparameterized."""
    return StandardGamma.apply(alpha)
