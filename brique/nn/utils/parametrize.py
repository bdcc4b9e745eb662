"""nn.utils.parametrize: make a module's tensor the output of modules applied to a stored one
(`register_parametrization(layer, "weight", Symmetric())`), as PyTorch does. The stored tensor
lives at `module.parametrizations.<name>.original` (PyTorch's state-dict keys); reading
`module.<name>` runs the parametrizations, assigning to it runs their right_inverse."""
from __future__ import annotations

import contextlib

from ...autograd import no_grad
from ...tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

_cache_depth = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Inside the block, each parametrized tensor is computed once and reused (a weight used
    at every step of an RNN)."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


def _register(module, name, tensor):
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _set(target, value):
    """PyTorch's `set_`: `target` takes value's data (and shape), keeping its identity."""
    target._data = value._data if isinstance(value, Tensor) else value
    target._vc[0] += 1


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order to `original` (or to `original0`,
    `original1`, ... when the first right_inverse returns several tensors)."""

    def __init__(self, modules, original, unsafe=False):
        if not modules:
            raise ValueError("ParametrizationList requires one or more modules")
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and (new.dtype != original.dtype or new.shape != original.shape):
                raise ValueError(f"register_parametrization: right_inverse must keep the "
                                 f"tensor's shape {tuple(original.shape)} and dtype "
                                 f"{original.dtype}, got {tuple(new.shape)} and {new.dtype}")
            if new is not original:
                _set(original, new.detach())
            _register(self, "original", original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError(f"register_parametrization: right_inverse must return a "
                                     f"tensor or a sequence of tensors, got {type(t).__name__}")
                keep = (Parameter(t.detach(), original.requires_grad)
                        if isinstance(original, Parameter) else t.detach())
                _register(self, f"original{i}", keep)

    def right_inverse(self, value):
        """Stores `value` (what `module.<name> = value` assigns) through the right_inverses."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       f"implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not self.unsafe and (value.dtype != self.original.dtype
                                        or value.shape != self.original.shape):
                    raise ValueError(f"right_inverse gave shape {tuple(value.shape)} and dtype "
                                     f"{value.dtype}; the original has "
                                     f"{tuple(self.original.shape)} and {self.original.dtype}")
                _set(self.original, value.detach())
            else:
                for i, t in enumerate(value):
                    _set(getattr(self, f"original{i}"), t.detach())

    def forward(self):
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _get(module, name):
    plist = module.parametrizations[name]
    if not _cache_depth:
        return plist()
    key = (id(module), name)
    if key not in _cache:
        _cache[key] = plist()
    return _cache[key]


def _inject_class(module):
    """Gives `module` a class of its own, so properties for its parametrized tensors can be
    set on the class without touching other instances."""
    base = type(module)

    def __setattr__(self, name, value):  # assignment to a parametrized tensor: right_inverse
        if is_parametrized(self, name):
            self.parametrizations[name].right_inverse(value)
        else:
            base.__setattr__(self, name, value)

    module.__class__ = type(f"Parametrized{base.__name__}", (base,),
                            {"__setattr__": __setattr__, "_unparametrized_class": base})


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Makes `module.<tensor_name>` the output of `parametrization` (a Module) applied to the
    stored tensor; a second call on the same tensor appends to the chain. Returns module."""
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: the parametrization must be an nn.Module, "
                        f"got {type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            current = getattr(module, tensor_name)
            out = parametrization(current)
            if not isinstance(out, Tensor) or out.shape != current.shape \
                    or out.dtype != current.dtype:
                raise ValueError(f"register_parametrization: the parametrization must keep "
                                 f"{tensor_name!r}'s shape {tuple(current.shape)} and dtype")
        plist.append(parametrization)
        plist.unsafe |= unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"register_parametrization: module {type(module).__name__} has no "
                         f"parameter or buffer named {tensor_name!r}")
    original = getattr(module, tensor_name)
    if original is None:
        raise ValueError(f"register_parametrization: {tensor_name!r} is None")
    if not unsafe:
        out = parametrization(original)
        if not isinstance(out, Tensor) or out.shape != original.shape \
                or out.dtype != original.dtype:
            raise ValueError(f"register_parametrization: the parametrization must return a "
                             f"tensor of {tensor_name!r}'s shape {tuple(original.shape)} and "
                             f"dtype {original.dtype}")
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_class(module)
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name,
            property(lambda self: _get(self, tensor_name),
                     lambda self, value: self.parametrizations[tensor_name].right_inverse(value)))
    return module


def is_parametrized(module, tensor_name=None):
    """Whether `module` has parametrizations (on `tensor_name`, if given)."""
    plists = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module):
    """The module's class as it was before any parametrization."""
    return type(module)._unparametrized_class if is_parametrized(module) else type(module)


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Makes `module.<tensor_name>` a plain tensor again: its current (parametrized) value,
    or the stored original with leave_parametrized=False. Returns module."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {type(module).__name__} does not have a parametrization on "
                         f"{tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                _set(original, getattr(module, tensor_name).detach())
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        with no_grad():
            value = getattr(module, tensor_name).detach()
        original = Parameter(value, plist.original0.requires_grad) \
            if isinstance(plist.original0, Parameter) else value
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module)._unparametrized_class
    return module
