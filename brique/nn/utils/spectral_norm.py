"""spectral_norm / remove_spectral_norm: w / sigma(w), sigma the largest singular value of w
(reshaped to a matrix), estimated by power iteration (Miyato et al. 2018). A forward
pre-hook recomputes `module.<name>` from the parameter `<name>_orig` and the buffers
`<name>_u`, `<name>_v` (PyTorch's state-dict names); the power iteration runs in training
mode only. `nn.utils.parametrizations.spectral_norm` is the newer form."""
from __future__ import annotations

from ... import creation
from ...autograd import no_grad
from ..parameter import Parameter


def _normalize(x, eps):
    return x / x.norm().clamp(min=eps)


def weight_matrix(weight, dim):
    """`weight` as (size of `dim`, everything else)."""
    if dim != 0:
        order = [dim] + [d for d in range(weight.ndim) if d != dim]
        weight = weight.permute(*order)
    return weight.reshape(weight.shape[0], -1)


def power_iteration(mat, u, v, steps, eps, u_first=False):
    """Updates the buffers u, v in place: v <- normalize(W^T u), u <- normalize(W v) (the
    parametrization's order, u first, when `u_first`)."""
    with no_grad():
        w = mat.detach()
        for _ in range(steps):
            if u_first:
                u.copy_(_normalize(w @ v, eps))
                v.copy_(_normalize(w.t() @ u, eps))
            else:
                v.copy_(_normalize(w.t() @ u, eps))
                u.copy_(_normalize(w @ v, eps))


class SpectralNorm:
    """The forward pre-hook: sets `module.<name>` to `<name>_orig` / sigma."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.eps = name, dim, eps
        self.n_power_iterations = n_power_iterations

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = weight_matrix(weight, self.dim)
        if do_power_iteration:
            power_iteration(mat, u, v, self.n_power_iterations, self.eps)
        sigma = (u.detach().clone() * (mat @ v.detach().clone())).sum()
        return weight / sigma

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, module.training))


def _transposed(module):
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d
    return isinstance(module, (ConvTranspose1d, ConvTranspose2d))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divides `module.<name>` by its spectral norm before each forward. dim (0, or 1 for
    ConvTranspose) is the output dimension of the weight. Returns the module."""
    from .weight_norm import _find_hook
    if _find_hook(module, name, SpectralNorm)[1] is not None:
        raise RuntimeError(f"spectral_norm: cannot register two spectral_norm hooks on the "
                           f"same parameter {name!r}")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    dim = (1 if _transposed(module) else 0) if dim is None else dim
    hook = SpectralNorm(name, n_power_iterations, dim, eps)
    with no_grad():
        h, w = weight_matrix(weight, dim).shape
        u = _normalize(creation.empty(h, dtype=weight.dtype, device=weight.device).normal_(), eps)
        v = _normalize(creation.empty(w, dtype=weight.dtype, device=weight.device).normal_(), eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module, name="weight"):
    """Folds weight / sigma (with the current u, v) back into a plain parameter."""
    from .weight_norm import _find_hook
    key, hook = _find_hook(module, name, SpectralNorm)
    if hook is None:
        raise ValueError(f"spectral_norm of {name!r} not found in {module}")
    with no_grad():
        weight = hook.compute_weight(module, do_power_iteration=False)
    del module._forward_pre_hooks[key]
    for suffix in ("", "_u", "_v", "_orig"):
        delattr(module, name + suffix)
    module.register_parameter(name, Parameter(weight.detach()))
    return module
