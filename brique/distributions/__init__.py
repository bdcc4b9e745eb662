"""Probability distributions with PyTorch's names (`torch.distributions`): sampling (with
reparameterized `rsample` where the family allows it), `log_prob`, `entropy`, moments, and
`kl_divergence`, all on brique tensors and differentiable through brique's autograd.

    import brique.distributions as D
    pi = D.Categorical(logits=scores)
    action = pi.sample()
    loss = -(pi.log_prob(action) * advantage).mean() - 0.01 * pi.entropy().mean()

Sampling draws from the generator that `brique.manual_seed` seeds.
"""
from . import constraints
from .continuous import Cauchy, Exponential, Laplace, Normal, Uniform
from .discrete import Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson
from .distribution import Distribution
from .gamma import Beta, Chi2, Dirichlet, Gamma, StudentT
from .independent import Independent, MultivariateNormal
from .kl import kl_divergence, register_kl
from .mixture import MixtureSameFamily
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from . import transforms
from .transformed import TransformedDistribution
from .transformed_families import Gumbel, HalfCauchy, HalfNormal, LogNormal, Weibull
from .multinomial import Multinomial
from .lowrank import LowRankMultivariateNormal
# PyTorch exports every transform at this level too.
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform,
                         PowerTransform, SigmoidTransform, SoftmaxTransform,
                         StickBreakingTransform, TanhTransform, Transform, identity_transform)

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet",
           "Distribution", "Exponential", "Gamma", "Geometric", "Independent", "Laplace",
           "LogNormal", "MixtureSameFamily", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson",
           "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "Uniform", "constraints",
           "kl_divergence", "register_kl",
           "Gumbel", "HalfCauchy", "HalfNormal", "LowRankMultivariateNormal", "Multinomial",
           "TransformedDistribution", "Weibull", "transforms",
           "AbsTransform", "AffineTransform", "ComposeTransform", "ExpTransform",
           "PowerTransform", "SigmoidTransform", "SoftmaxTransform", "StickBreakingTransform",
           "TanhTransform", "Transform", "identity_transform"]
