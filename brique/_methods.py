"""The Tensor method table: the ops as methods and operators, so `x.sum(1)`, `x @ w` and `x[i]`
reach the same functions as `brique.sum(x, 1)`. The package face calls `install()` once, after
the ops are defined (tensor.py itself never imports the ops)."""
from __future__ import annotations

from . import creation as C
from .ops import elementwise as E
from .ops import indexing as I
from .ops import linalg as L
from .ops import movement as M
from .ops import reduce as R
from .tensor import Tensor


def _remainder(a, b):
    return a - E.div(a, b, rounding_mode="floor") * b


def _where(self, condition, other):
    return E.where(condition, self, other)


def _view(a, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):  # view(dtype)
        return a.to(shape[0])
    return M.reshape(a, *shape)


def _new(factory):
    def method(self, *args, dtype=None, device=None, requires_grad=False, **kwargs):
        return factory(*args, dtype=dtype or self.dtype, device=device or self.device,
                       requires_grad=requires_grad, **kwargs)
    return method


METHODS = {
    # arithmetic
    "add": E.add, "sub": E.sub, "mul": E.mul, "div": E.div, "neg": E.neg, "pow": E.pow,
    "exp": E.exp, "log": E.log, "sqrt": E.sqrt, "rsqrt": E.rsqrt, "abs": E.abs, "sign": E.sign,
    "sin": E.sin, "cos": E.cos, "tanh": E.tanh, "sigmoid": E.sigmoid, "relu": E.relu,
    "erf": E.erf, "square": E.square, "reciprocal": E.reciprocal, "log1p": E.log1p,
    "expm1": E.expm1, "clamp": E.clamp, "clip": E.clamp, "maximum": E.maximum,
    "minimum": E.minimum, "where": _where, "remainder": _remainder,
    "multiply": E.mul, "subtract": E.sub, "divide": E.div, "true_divide": E.div,
    # comparisons and logic
    "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt, "ge": E.ge,
    "logical_and": E.logical_and, "logical_or": E.logical_or, "logical_xor": E.logical_xor,
    "logical_not": E.logical_not, "isnan": E.isnan, "isfinite": E.isfinite,
    "allclose": E.allclose, "equal": E.equal, "all": R.all, "any": R.any,
    # linear algebra
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "dot": L.dot, "outer": L.outer,
    # reductions
    "sum": R.sum, "mean": R.mean, "prod": R.prod, "var": R.var, "std": R.std, "max": R.max,
    "min": R.min, "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin,
    "logsumexp": R.logsumexp, "softmax": R.softmax, "log_softmax": R.log_softmax,
    "cumsum": R.cumsum, "norm": R.norm,
    # shape
    "reshape": M.reshape, "view": _view, "flatten": M.flatten, "unflatten": M.unflatten,
    "squeeze": M.squeeze, "unsqueeze": M.unsqueeze, "permute": M.permute,
    "transpose": M.transpose, "t": M.t, "expand": M.expand, "broadcast_to": M.broadcast_to,
    "sum_to_size": M.sum_to_size, "repeat": M.repeat, "flip": M.flip, "split": M.split,
    "chunk": M.chunk, "unbind": M.unbind,
    "view_as": lambda a, other: M.reshape(a, other.shape),
    "reshape_as": lambda a, other: M.reshape(a, other.shape),
    "expand_as": lambda a, other: M.expand(a, other.shape),
    # indexing
    "gather": I.gather, "scatter_add": I.scatter_add, "index_select": I.index_select,
    "masked_fill": I.masked_fill, "topk": I.topk, "sort": I.sort, "argsort": I.argsort,
}

OPERATORS = {
    "__add__": lambda a, b: E.Add.apply(a, b),
    "__radd__": lambda a, b: E.Add.apply(b, a),
    "__sub__": lambda a, b: E.Sub.apply(a, b),
    "__rsub__": lambda a, b: E.Sub.apply(b, a),
    "__mul__": lambda a, b: E.Mul.apply(a, b),
    "__rmul__": lambda a, b: E.Mul.apply(b, a),
    "__truediv__": lambda a, b: E.Div.apply(a, b),
    "__rtruediv__": lambda a, b: E.Div.apply(b, a),
    "__floordiv__": lambda a, b: E.div(a, b, rounding_mode="floor"),
    "__rfloordiv__": lambda a, b: E.div(b, a, rounding_mode="floor"),
    "__mod__": _remainder,
    "__rmod__": lambda a, b: _remainder(b, a),
    "__neg__": E.neg, "__abs__": E.abs,
    "__pow__": E.pow,
    "__rpow__": lambda a, b: E.pow(b, a),
    "__matmul__": L.matmul,
    "__rmatmul__": lambda a, b: L.matmul(b, a),
    "__eq__": E.eq, "__ne__": E.ne, "__lt__": E.lt, "__le__": E.le, "__gt__": E.gt,
    "__ge__": E.ge,
    "__and__": E.logical_and, "__or__": E.logical_or, "__xor__": E.logical_xor,
    "__invert__": E.logical_not,
    "__getitem__": I.getitem,
}

FACTORIES = {"new_zeros": C.zeros, "new_ones": C.ones, "new_full": C.full, "new_empty": C.empty,
             "new_tensor": C.tensor}


def install():
    """Attach the methods, operators and `new_*` factories to Tensor."""
    for name, fn in {**METHODS, **OPERATORS}.items():
        setattr(Tensor, name, fn)
    for name, factory in FACTORIES.items():
        setattr(Tensor, name, _new(factory))
