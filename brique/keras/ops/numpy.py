"""keras.ops' NumPy-like functions on brique Tensors: NumPy's names and arguments (`axis`,
`keepdims`, `x1`/`x2`), differentiable through brique's autograd. Arguments may be arrays,
numbers or Tensors; results are Tensors."""
from __future__ import annotations

import builtins

import numpy as np

from ... import backend as _backend
from ...ops.elementwise import maximum as _maximum, minimum as _minimum, where as _where
from ...tensor import Tensor
from .core import _dtype, convert_to_numpy, convert_to_tensor as _t


def _axes(axis, ndim):
    """None -> every axis; an int or a sequence -> a tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    for a in axes:
        if not -builtins.max(ndim, 1) <= a < builtins.max(ndim, 1):
            raise ValueError(f"keras.ops: axis {a} is out of range for a tensor of rank {ndim}")
    return tuple(a % builtins.max(ndim, 1) for a in axes)


def _reduce(method, x, axis, keepdims):
    x = _t(x)
    axes = _axes(axis, x.ndim)
    if x.ndim == 0:
        return getattr(x, method)()
    return getattr(x, method)(axes, keepdim=keepdims)


def _binary(fn):
    def op(x1, x2):
        return fn(_t(x1), _t(x2))
    return op


def _unary(method):
    def op(x):
        return getattr(_t(x), method)()
    op.__name__ = method
    return op


# -------------------------------------------------------------- elementwise
add = _binary(lambda a, b: a + b)
subtract = _binary(lambda a, b: a - b)
multiply = _binary(lambda a, b: a * b)
divide = true_divide = _binary(lambda a, b: a / b)
floor_divide = _binary(lambda a, b: a // b)
mod = _binary(lambda a, b: a % b)
power = _binary(lambda a, b: a ** b)
maximum = _binary(_maximum)
minimum = _binary(_minimum)
equal = _binary(lambda a, b: a == b)
not_equal = _binary(lambda a, b: a != b)
greater = _binary(lambda a, b: a > b)
greater_equal = _binary(lambda a, b: a >= b)
less = _binary(lambda a, b: a < b)
less_equal = _binary(lambda a, b: a <= b)
logical_and = _binary(lambda a, b: a.logical_and(b))
logical_or = _binary(lambda a, b: a.logical_or(b))
logical_xor = _binary(lambda a, b: a.logical_xor(b))
matmul = _binary(lambda a, b: a @ b)
abs = absolute = _unary("abs")  # noqa: A001 (Keras's names)
negative = _unary("neg")
sign = _unary("sign")
sqrt = _unary("sqrt")
exp = _unary("exp")
log = _unary("log")
log1p = _unary("log1p")
sin, cos, tan, tanh = _unary("sin"), _unary("cos"), _unary("tan"), _unary("tanh")
floor, ceil = _unary("floor"), _unary("ceil")
isnan, isinf, isfinite = _unary("isnan"), _unary("isinf"), _unary("isfinite")
logical_not = _unary("logical_not")
reciprocal = _unary("reciprocal")


def square(x):
    x = _t(x)
    return x * x


def round(x, decimals=0):  # noqa: A001
    return _t(x).round(decimals=decimals)


def clip(x, x_min, x_max):
    return _t(x).clamp(x_min, x_max)


def where(condition, x1=None, x2=None):
    """Elementwise choice; with only `condition`, the tuple of indices of its true entries."""
    condition = _t(condition).bool()
    if x1 is None and x2 is None:
        return tuple(Tensor._make(i) for i in np.nonzero(convert_to_numpy(condition)))
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither")
    return _where(condition, _t(x1), _t(x2))


# -------------------------------------------------------------- reductions
def sum(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce("sum", x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    return _reduce("mean", x if x.dtype.kind == "f" else x.float(), axis, keepdims)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    out = _reduce("amax", x, axis, keepdims)
    return out if initial is None else _maximum(out, _t(initial))


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    out = _reduce("amin", x, axis, keepdims)
    return out if initial is None else _minimum(out, _t(initial))


def prod(x, axis=None, keepdims=False, dtype=None):
    x = _t(x) if dtype is None else _t(x, dtype)
    for a in sorted(_axes(axis, x.ndim), reverse=True):  # brique's prod takes one dim
        x = x.prod(a, keepdim=keepdims)
    return x


def var(x, axis=None, keepdims=False):
    """The population variance (NumPy's ddof=0)."""
    x = _t(x)
    return (x if x.dtype.kind == "f" else x.float()).var(_axes(axis, x.ndim), correction=0,
                                                         keepdim=keepdims)


def std(x, axis=None, keepdims=False):
    x = _t(x)
    return (x if x.dtype.kind == "f" else x.float()).std(_axes(axis, x.ndim), correction=0,
                                                         keepdim=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce("all", _t(x).bool(), axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce("any", _t(x).bool(), axis, keepdims)


def count_nonzero(x, axis=None):
    return sum(_t(x) != 0, axis).int()


def argmax(x, axis=None, keepdims=False):
    return _t(x).argmax(axis, keepdim=keepdims)


def argmin(x, axis=None, keepdims=False):
    return _t(x).argmin(axis, keepdim=keepdims)


def cumsum(x, axis=None, dtype=None):
    x = _t(x) if dtype is None else _t(x, dtype)
    return x.reshape(-1).cumsum(0) if axis is None else x.cumsum(axis)


def cumprod(x, axis=None, dtype=None):
    x = _t(x) if dtype is None else _t(x, dtype)
    return x.reshape(-1).cumprod(0) if axis is None else x.cumprod(axis)


def sort(x, axis=-1):
    x = _t(x)
    return x.reshape(-1).sort(0)[0] if axis is None else x.sort(axis)[0]


def argsort(x, axis=-1):
    x = _t(x)
    return x.reshape(-1).argsort(0, stable=True) if axis is None else \
        x.argsort(axis, stable=True)


def top_k(x, k, sorted=True):  # noqa: A002
    """(values, indices) of the k largest entries along the last axis."""
    x = _t(x)
    if not 0 < k <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [1, {x.shape[-1]}] for a last axis of "
                         f"{x.shape[-1]}, got {k}")
    values, indices = x.topk(k, -1, largest=True, sorted=True)
    return values, indices


# -------------------------------------------------------------- creation
def _creation_dtype(dtype):
    """`dtype`, or floatx (brique's default dtype, which backend.set_floatx sets)."""
    return _dtype(dtype) if dtype is not None else _backend.get_default_dtype()


def zeros(shape, dtype=None):
    return Tensor._make(np.zeros(shape, _creation_dtype(dtype)))


def ones(shape, dtype=None):
    return Tensor._make(np.ones(shape, _creation_dtype(dtype)))


def full(shape, fill_value, dtype=None):
    return Tensor._make(np.full(shape, convert_to_numpy(fill_value), _creation_dtype(dtype)))


def zeros_like(x, dtype=None):
    x = _t(x)
    return Tensor._make(np.zeros(x.shape, _dtype(dtype) or x.dtype))


def ones_like(x, dtype=None):
    x = _t(x)
    return Tensor._make(np.ones(x.shape, _dtype(dtype) or x.dtype))


def full_like(x, fill_value, dtype=None):
    x = _t(x)
    return Tensor._make(np.full(x.shape, fill_value, _dtype(dtype) or x.dtype))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 (NumPy's names)
    return Tensor._make(np.eye(N, M, k, dtype=_creation_dtype(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None):
    values = np.arange(start, stop, step)
    if dtype is None:  # Keras: int32 for integer arguments, floatx otherwise
        dtype = "int32" if values.dtype.kind in "iu" else _backend.get_default_dtype()
    return Tensor._make(values.astype(_dtype(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    values = np.linspace(convert_to_numpy(start), convert_to_numpy(stop), num,
                         endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        values, step = values
    out = Tensor._make(values.astype(_creation_dtype(dtype)))
    return (out, step) if retstep else out


def _tri(x, k, upper):
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"{'triu' if upper else 'tril'}: expected a tensor of rank >= 2, "
                         f"got shape {tuple(x.shape)}")
    return x.triu(k) if upper else x.tril(k)


def tril(x, k=0):
    return _tri(x, k, False)


def triu(x, k=0):
    return _tri(x, k, True)


def diag(x, k=0):
    """A 1-D input gives the matrix with it on diagonal k; a 2-D input its diagonal k."""
    x = _t(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(x.shape)}")
    return x.diag(k)
