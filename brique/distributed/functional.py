"""Collectives that take part in autograd (what synchronised batch norm is built from)."""
from __future__ import annotations

from .. import backend
from ..autograd import Function
from .group import ReduceOp, _group


class AllReduceSum(Function):
    """y = the sum over ranks of x. Every rank's loss depends on y, so the gradient reaching x
    is the sum over ranks of their upstream gradients: the backward is an all-reduce too."""

    def forward(self, a, group=None):
        self.group = group
        host = backend.to_numpy(a).copy(order="C")  # never reduce into the input's memory
        _group(group).allreduce(host, ReduceOp.SUM)
        return backend.to_device(host, backend.device_of(a))

    def backward(self, g):
        return AllReduceSum.apply(g, group=self.group)


def all_reduce_differentiable(tensor, group=None):
    """The sum of `tensor` over the ranks, differentiable (the identity with one process).

    Shape: any; the result has the input's shape."""
    return AllReduceSum.apply(tensor, group=group)
