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
        array = data._data if isinstance(data, Tensor) else Tensor(data)._data
        Tensor.__init__(self, array)
        self._data = array  # Tensor.__init__ copies; a Parameter shares
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
