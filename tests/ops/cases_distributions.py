"""Registry cases for the gamma primitives of brique/ops/gamma_sample.py (the incomplete gamma
differentiable in a, reparameterized gamma draws) and for a few distribution composites,
checked against torch.special / torch.distributions. The special functions and the linear
algebra the distributions use have their cases in cases_special.py and cases_linalg.py.
Collected by cases.all_cases()."""
from __future__ import annotations

import numpy as np
import torch

import brique as B
import brique.distributions as D
from brique.ops import gamma_sample
from cases import Arg, Case as C, P, U

TD = torch.distributions
_SEED = 11
# torch's _standard_gamma_grad is an approximation good to ~1e-3 (ours: a finite difference)
_IMPLICIT_TOL = {np.float64: (3e-3, 1e-8), np.float32: (3e-3, 1e-5)}


def _lower(n):
    return Arg(lambda rng: np.tril(rng.normal(size=(n, n)) * 0.3, -1)
               + np.diag(rng.uniform(1.0, 2.0, n)))


def _b_standard_gamma(a):
    with B.random.fork_rng():
        B.manual_seed(_SEED)
        return gamma_sample.standard_gamma(a)


def _t_standard_gamma(a):
    """brique's draw replayed in torch, carrying torch's implicit gradient dx/da."""
    x = torch.tensor(_b_standard_gamma(B.tensor(a.detach().numpy())).numpy())
    return x + (a - a.detach()) * torch._standard_gamma_grad(a.detach(), x)


CASES = [
    # torch's gammainc has no gradient in a: compared in x only, a checked by finite differences
    C("dist_gamma_cdf", gamma_sample.gamma_cdf, torch.special.gammainc,
      [Arg(lambda rng: rng.uniform(0.3, 8.0, (3, 4)), grad=False), P(3, 4, lo=0.05, hi=9.0)]),
    C("dist_gamma_cdf_grad_a", gamma_sample.gamma_cdf, None,
      [P(2, 3, lo=0.3, hi=8.0), P(2, 3, hi=9.0)]),
    # a random draw: no finite differences; the gradient against torch's at the same draw
    C("dist_standard_gamma", _b_standard_gamma, _t_standard_gamma, [P(2, 3, lo=0.3, hi=6.0)],
      fd=False, tol=_IMPLICIT_TOL),
    # composites
    C("dist_normal_log_prob", lambda x, m, s: D.Normal(m, s).log_prob(x),
      lambda x, m, s: TD.Normal(m, s).log_prob(x), [U(2, 3), U(3), P(2, 3)]),
    # validate_args off: finite differences step into the upper triangle, which is not read
    C("dist_mvn_log_prob",
      lambda x, m, a: D.MultivariateNormal(m, scale_tril=a, validate_args=False).log_prob(x),
      lambda x, m, a: TD.MultivariateNormal(m, scale_tril=a, validate_args=False).log_prob(x),
      [U(4, 3), U(3), _lower(3)]),
    C("dist_gamma_log_prob", lambda x, c, r: D.Gamma(c, r).log_prob(x),
      lambda x, c, r: TD.Gamma(c, r).log_prob(x), [P(2, 3), P(3), P(3)]),
    C("dist_gamma_cdf_in_x_and_rate", lambda x, c, r: D.Gamma(c, r).cdf(x),
      lambda x, c, r: TD.Gamma(c, r).cdf(x),
      [P(2, 3), Arg(lambda rng: rng.uniform(0.5, 3.0, 3), grad=False), P(3)]),
    C("dist_dirichlet_entropy", lambda c: D.Dirichlet(c).entropy(),
      lambda c: TD.Dirichlet(c).entropy(), [P(2, 4)]),
    C("dist_categorical_entropy", lambda z: D.Categorical(logits=z).entropy(),
      lambda z: TD.Categorical(logits=z).entropy(), [U(3, 5)]),
]
