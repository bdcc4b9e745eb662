"""nn.Parameter: a leaf Tensor that a Module registers as a learnable weight."""
from __future__ import annotations

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad by default and is found by `Module.parameters()`.
    `Parameter(t)` shares t's storage, as in PyTorch."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from ..creation import empty
            data = empty(0)
        array = data._data if isinstance(data, Tensor) else Tensor(data, dtype=None)._data
        Tensor.__init__(self, array)
        self._data = array  # Tensor.__init__ copies; a Parameter shares
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """`self.name = nn.Buffer(t, persistent=True)` in a Module registers t as a buffer, as
    `register_buffer` would (PyTorch >= 2.5). The module keeps a plain Tensor sharing t's
    storage; the Buffer only carries the request."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            from ..creation import empty
            data = empty(0)
        source = data if isinstance(data, Tensor) else Tensor(data, dtype=None)
        Tensor.__init__(self, source._data)
        self._data = source._data  # shares, as Parameter does
        self.requires_grad_(source.requires_grad)
        self.persistent = persistent

    def as_tensor(self):
        out = Tensor._make(self._data)
        out._vc = self._vc
        return out.requires_grad_(self.requires_grad)


def __getattr__(name):
    # torch.nn.parameter also names the lazy layers' placeholders; they live with those layers
    if name in ("UninitializedParameter", "UninitializedBuffer"):
        from .modules import lazy
        return getattr(lazy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
