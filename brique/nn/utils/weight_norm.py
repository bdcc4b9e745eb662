"""weight_norm / remove_weight_norm: w = g * v / ||v|| (Salimans & Kingma 2016), as a forward
pre-hook that recomputes `module.<name>` from the parameters `<name>_g` and `<name>_v` (the
names of PyTorch's state dict). `nn.utils.parametrizations.weight_norm` is the newer form."""
from __future__ import annotations

import warnings

from ...autograd import no_grad
from ..parameter import Parameter


def norm_except_dim(v, pow=2, dim=0):
    """The `pow`-norm of v over every dimension but `dim`, shaped to broadcast against v
    (dim = -1: the norm of the whole tensor, a 0-d tensor, as in PyTorch)."""
    if dim == -1:
        return v.norm(pow)
    others = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return v.abs().pow(pow).sum(others, keepdim=True).pow(1.0 / pow)


def _weight_norm(v, g, dim=0):
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook: sets `module.<name>` from `<name>_g` and `<name>_v`."""

    def __init__(self, name, dim):
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"),
                            getattr(module, self.name + "_g"), self.dim)

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def _find_hook(module, name, kind):
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    return None, None


def weight_norm(module, name="weight", dim=0):
    """Reparameterizes `module.<name>` as g * v / ||v||, the norm over every dimension but
    `dim` (dim=None: over the whole tensor). Returns the module."""
    warnings.warn("`nn.utils.weight_norm` is deprecated in favor of "
                  "`nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    if _find_hook(module, name, WeightNorm)[1] is not None:
        raise RuntimeError(f"weight_norm: cannot register two weight_norm hooks on the same "
                           f"parameter {name!r}")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
    hook = WeightNorm(name, dim)
    if hook.dim != -1 and not -weight.ndim <= hook.dim < weight.ndim:
        raise IndexError(f"weight_norm: dim {dim} is out of range for {name!r} of shape "
                         f"{tuple(weight.shape)}")
    with no_grad():
        g = Parameter(norm_except_dim(weight, 2, hook.dim))
        v = Parameter(weight.detach().clone())
    delattr(module, name)
    module.register_parameter(name + "_g", g)
    module.register_parameter(name + "_v", v)
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name="weight"):
    """Folds g * v / ||v|| back into a plain parameter `module.<name>`. Returns the module."""
    key, hook = _find_hook(module, name, WeightNorm)
    if hook is None:
        raise ValueError(f"weight_norm of {name!r} not found in {module}")
    with no_grad():
        weight = hook.compute_weight(module)
    del module._forward_pre_hooks[key]
    delattr(module, name)
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    module.register_parameter(name, Parameter(weight.detach()))
    return module
