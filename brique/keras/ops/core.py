"""keras.ops' core: conversions (convert_to_tensor, convert_to_numpy, cast, shape),
stop_gradient, and control flow run eagerly (cond, fori_loop, while_loop), as Keras 3's ops
do on an eager backend."""
from __future__ import annotations

import numpy as np

from ... import backend as _backend
from ...tensor import Tensor


def _dtype(dtype):
    """A Keras dtype spelling ('float32', 'int32', 'bool', np.float64, a brique dtype) as a
    NumPy dtype."""
    if dtype is None:
        return None
    try:
        return _backend.as_dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"keras.ops: unknown dtype {dtype!r}; expected a name such as "
                        "'float32', 'int32' or 'bool'") from None


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A brique Tensor from an array, a number, a (nested) list or a Tensor.

    Keras's rules for dtypes: Python floats become floatx ('float32'), Python ints 'int32',
    bools 'bool'; a NumPy array or Tensor keeps its dtype unless `dtype` is given."""
    if sparse or ragged:
        raise ValueError("convert_to_tensor: brique has no sparse or ragged tensors")
    target = _dtype(dtype)
    if isinstance(x, Tensor):
        return x if target is None or x.dtype == target else x.to(target)
    if isinstance(x, (np.ndarray, np.generic)) or _backend.is_array(x):
        a = x
    else:
        a = np.asarray(x)
        if a.dtype == object:
            raise TypeError(f"convert_to_tensor: cannot convert {type(x).__name__} with "
                            "items of different lengths or types to a tensor")
        if target is None and a.dtype.kind == "f":
            a = a.astype(_backend.get_default_dtype())
        elif target is None and a.dtype.kind in "iu":
            a = a.astype(np.int32)
    if getattr(a, "dtype", None) is not None and a.dtype.kind in "USO":
        raise TypeError(f"convert_to_tensor: strings and objects are not tensors, got "
                        f"dtype {a.dtype}")
    if target is not None:
        a = a.astype(target, copy=False)
    return Tensor._make(np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a)


def convert_to_numpy(x):
    """A NumPy array of a Tensor (on any device), an array or a number."""
    if isinstance(x, Tensor):
        return _backend.to_numpy(x.detach()._data)
    return np.asarray(x)


def cast(x, dtype):
    return convert_to_tensor(x).to(_dtype(dtype))


def shape(x):
    """The shape as a tuple of ints (Keras 3 returns a tuple on eager backends)."""
    return tuple(convert_to_tensor(x).shape) if not hasattr(x, "shape") else tuple(x.shape)


def is_tensor(x):
    return isinstance(x, Tensor)


def dtype(x):
    """The dtype name ('float32', ...), as Keras's standardized dtype strings."""
    return str(np.dtype(convert_to_tensor(x).dtype))


def stop_gradient(variable):
    return convert_to_tensor(variable).detach()


def cond(pred, true_fn, false_fn):
    """true_fn() if pred else false_fn(): pred is a bool or a one-element tensor."""
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise ValueError(f"cond: pred must be a scalar, got shape {tuple(pred.shape)}")
        pred = bool(pred.item())
    return true_fn() if pred else false_fn()


def fori_loop(lower, upper, body_fun, init_val):
    """val = body_fun(i, val) for i in range(lower, upper); returns val."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeats loop_vars = body(*loop_vars) while cond(*loop_vars), at most
    maximum_iterations times; a single loop variable may be given bare, as in Keras."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and _truth(cond(*state)):
        out = body(*state)
        state = (out,) if single else tuple(out) if isinstance(out, (list, tuple)) else (out,)
        steps += 1
    return state[0] if single else type(loop_vars)(state)


def _truth(value):
    return bool(value.item()) if isinstance(value, Tensor) else bool(value)
