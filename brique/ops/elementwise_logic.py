"""Comparisons, logic and bitwise ops: bool (or integer) results and no gradient; and the
closeness tests built on them. Split from elementwise.py, which re-exports every name."""
from __future__ import annotations

from .. import backend
from ..autograd import Function
from ..tensor import Tensor

xp_of = backend.get_array_module


# Comparisons and logic: bool results, no gradient. One Function, so that a traced forward
# (brique.onnx) sees the masks a model computes from its inputs.
_LOGIC = {"eq": lambda xp, a, b: a == b, "ne": lambda xp, a, b: a != b,
          "lt": lambda xp, a, b: a < b, "le": lambda xp, a, b: a <= b,
          "gt": lambda xp, a, b: a > b, "ge": lambda xp, a, b: a >= b,
          "and": lambda xp, a, b: xp.logical_and(a, b),
          "or": lambda xp, a, b: xp.logical_or(a, b),
          "xor": lambda xp, a, b: xp.logical_xor(a, b),
          "not": lambda xp, a, b: xp.logical_not(a), "isnan": lambda xp, a, b: xp.isnan(a),
          "isfinite": lambda xp, a, b: xp.isfinite(a), "isinf": lambda xp, a, b: xp.isinf(a),
          "bitwise_and": lambda xp, a, b: xp.bitwise_and(a, b),
          "bitwise_or": lambda xp, a, b: xp.bitwise_or(a, b),
          "bitwise_xor": lambda xp, a, b: xp.bitwise_xor(a, b),
          "bitwise_not": lambda xp, a, b: xp.invert(a),
          "bitwise_left_shift": lambda xp, a, b: xp.left_shift(a, b),
          "bitwise_right_shift": lambda xp, a, b: xp.right_shift(a, b)}


class Logic(Function):
    differentiable = False

    def forward(self, a, b=None, op="eq"):
        return _LOGIC[op](xp_of(a), a, b)


def _cmp(op):
    def compare(a, b=None):
        return Logic.apply(a, b, op=op)
    return compare


eq, ne, lt, le, gt, ge = (_cmp(op) for op in ("eq", "ne", "lt", "le", "gt", "ge"))
logical_and, logical_or, logical_xor = _cmp("and"), _cmp("or"), _cmp("xor")
logical_not, isnan, isfinite = _cmp("not"), _cmp("isnan"), _cmp("isfinite")


def _bitwise(op):
    """Integer and bool tensors only, as in PyTorch (a float has no bits to combine)."""
    def bitwise(a, b=None):
        for x in (a, b):
            kind = x.dtype.kind if isinstance(x, Tensor) else (
                "f" if isinstance(x, float) else "i")
            if kind not in "biu":
                raise TypeError(f"{op}: only integer and bool tensors, got "
                                f"{x.dtype if isinstance(x, Tensor) else type(x).__name__} "
                                f"(as in PyTorch, bitwise operators are not defined for floats)")
        return Logic.apply(a, b, op=op)
    bitwise.__name__ = op
    return bitwise


bitwise_and, bitwise_or, bitwise_xor = (_bitwise("bitwise_and"), _bitwise("bitwise_or"),
                                        _bitwise("bitwise_xor"))
bitwise_not = _bitwise("bitwise_not")
bitwise_left_shift = _bitwise("bitwise_left_shift")
bitwise_right_shift = _bitwise("bitwise_right_shift")
isinf = _cmp("isinf")


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    bd = b._data if isinstance(b, Tensor) else b
    return Tensor._make(xp_of(a._data).isclose(a._data, bd, rtol=rtol, atol=atol,
                                                equal_nan=equal_nan))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    bd = b._data if isinstance(b, Tensor) else b
    return bool(xp_of(a._data).allclose(a._data, bd, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    return tuple(a.shape) == tuple(b.shape) and bool((a._data == b._data).all())
