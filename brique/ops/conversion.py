"""Changes of dtype and device: differentiable between floating dtypes and across devices."""
from __future__ import annotations

from .. import backend
from ..autograd import Function
from ..tensor import Tensor


class Cast(Function):
    def forward(self, a, dtype=None):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.to(self.dtype)

    @classmethod
    def apply(cls, a, dtype):
        if dtype.kind != "f":  # an integer or bool result carries no gradient
            return CastIndex.apply(a, dtype=dtype)
        return super().apply(a, dtype=dtype)


class CastIndex(Function):
    """A cast to an integer or bool dtype: no gradient."""
    differentiable = False

    def forward(self, a, dtype=None):
        return a.astype(dtype)


class ToDevice(Function):
    def forward(self, a, device=None):
        self.device = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, g):
        return g.to(self.device)
