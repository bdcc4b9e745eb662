"""Sequential, ModuleList, ModuleDict: modules that hold modules."""
from __future__ import annotations

from collections import OrderedDict

from ..parameter import Parameter
from .module import Module


class _Indexed(Module):
    """What Sequential and ModuleList share: modules held in order, by position."""

    def __setitem__(self, idx, module):
        self.add_module(list(self._modules)[idx], module)  # keeps the replaced one's name

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def __delitem__(self, idx):
        names = list(self._modules)
        for name in names[idx] if isinstance(idx, slice) else [names[idx]]:
            delattr(self, name)
        self._renumber(list(self._modules.values()))

    def insert(self, index, module):
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"insert: index {index} is out of range for {n} modules")
        mods = list(self._modules.values())
        mods.insert(index + n if index < 0 else index, module)
        self._renumber(mods)

    def pop(self, idx=-1):
        module = self[idx]
        del self[idx]
        return module

    def _renumber(self, modules):
        """Hold `modules` under the names 0, 1, ...: as PyTorch, a deletion or an insertion
        numbers the modules again (and so their state_dict keys)."""
        for name in list(self._modules):
            delattr(self, name)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)


class Sequential(_Indexed):
    """Applies its modules in order: `Sequential(Linear(2, 8), Tanh(), Linear(8, 1))`, or from
    an OrderedDict of named modules."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, idx):
        mods = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(mods[idx]))
        return mods[idx][1]


class ModuleList(_Indexed):
    def __init__(self, modules=None):
        super().__init__()
        for m in modules or []:
            self.append(m)

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        return ModuleList(mods[idx]) if isinstance(idx, slice) else mods[idx]


class ModuleDict(Module):
    def __init__(self, modules=None):
        super().__init__()
        for name, m in (modules or {}).items():
            self.add_module(name, m)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def __delitem__(self, key):
        delattr(self, key)

    def pop(self, key):
        module = self._modules[key]
        del self[key]
        return module

    def update(self, modules):
        for name, m in (modules.items() if hasattr(modules, "items") else modules):
            self.add_module(name, m)

    def clear(self):
        for name in list(self._modules):
            delattr(self, name)


class ParameterList(Module):
    """A list of Parameters registered with the module (`self.ws = nn.ParameterList(...)`)."""

    def __init__(self, values=None):
        super().__init__()
        for v in values or []:
            self.append(v)

    def append(self, value):
        self.register_parameter(str(len(self._parameters)), _as_parameter(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, idx):
        values = list(self._parameters.values())
        return ParameterList(values[idx]) if isinstance(idx, slice) else values[idx]

    def __setitem__(self, idx, value):
        self.register_parameter(str(idx % len(self)), _as_parameter(value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())


class ParameterDict(Module):
    """A dict of Parameters registered with the module under their keys."""

    def __init__(self, parameters=None):
        super().__init__()
        for k, v in dict(parameters or {}).items():
            self[k] = v

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def __contains__(self, key):
        return key in self._parameters

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters):
        for k, v in dict(parameters).items():
            self[k] = v


def _as_parameter(value):
    return value if isinstance(value, Parameter) else Parameter(value)
