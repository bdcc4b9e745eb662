"""Gradient clipping: rescale the gradients when their global norm is too large (exploding
gradients in RNNs, early transformer training), or clamp each coordinate."""
from __future__ import annotations

import types
import warnings

from ... import backend
from ...tensor import Tensor


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=3)
    return parameters


def _norm(array, norm_type):
    """The `norm_type`-norm of a whole array, as a 0-d array of its dtype (NumPy reductions
    give scalars: wrap them back)."""
    xp = backend.get_array_module(array)
    return xp.asarray(_norm_value(xp, array, norm_type), dtype=array.dtype)


def _norm_value(xp, array, norm_type):
    if norm_type == 2.0:
        flat = array.reshape(-1)
        return xp.sqrt(xp.dot(flat, flat))
    a = xp.abs(array)
    if norm_type == float("inf"):
        return a.max() if a.size else 0.0
    if norm_type == float("-inf"):
        return a.min()
    if norm_type == 0:
        return (a != 0).sum()
    return (a ** norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of `parameters` in place so that their total `norm_type`-norm (the
    norm of the vector of all gradient entries) is at most `max_norm`: each gradient is
    multiplied by `min(1, max_norm / (total_norm + 1e-6))`, as in PyTorch.

    Returns the total norm before clipping, as a 0-d Tensor on the parameters' device (0 when
    no parameter has a gradient). With `error_if_nonfinite`, a NaN or infinite total norm raises RuntimeError.
    """
    parameters = _as_list(parameters)
    grads = [p.grad._data for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        dev = parameters[0].device if parameters else backend.CPU
        return Tensor._make(backend.xp_of(dev).zeros((), backend.get_default_dtype()))
    xp = backend.get_array_module(grads[0])
    dev = backend.device_of(grads[0])
    norms = xp.stack([backend.to_device(_norm(g, norm_type), dev) for g in grads])
    total = _norm(norms, norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable this "
                           "error and scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    coef = xp.asarray(xp.minimum(float(max_norm) / (total + 1e-6), 1.0), dtype=total.dtype)
    for p in parameters:
        if p.grad is not None:
            g = p.grad._data
            g *= backend.to_device(coef, backend.device_of(g))
            p.grad._version += 1
    return Tensor._make(total)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry of `parameters` to [-clip_value, clip_value], in place."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    clip_value = float(clip_value)
    for p in parameters:
        if p.grad is not None:
            g = p.grad._data
            backend.get_array_module(g).clip(g, -clip_value, clip_value, out=g)
            p.grad._version += 1


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type`-norm of all the entries of `tensors` (a tensor or an iterable of them;
    typically gradients) as one vector, a 0-d Tensor."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(backend.xp_of(backend.CPU).zeros((), backend.get_default_dtype()))
    arrays = [t._data for t in tensors]
    xp = backend.get_array_module(arrays[0])
    dev = backend.device_of(arrays[0])
    total = _norm(xp.stack([backend.to_device(_norm(a, norm_type), dev) for a in arrays]),
                  norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable this "
                           "error and scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return Tensor._make(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales the gradients of `parameters` in place by min(1, max_norm / (total_norm +
    1e-6)), `total_norm` computed beforehand (get_total_norm)."""
    parameters = _as_list(parameters)
    total = total_norm._data if isinstance(total_norm, Tensor) else total_norm
    for p in parameters:
        if p.grad is not None:
            g = p.grad._data
            xp = backend.get_array_module(g)
            coef = xp.minimum(float(max_norm) / (backend.to_device(xp.asarray(total),
                                                                   backend.device_of(g))
                                                 + 1e-6), 1.0)
            g *= coef.astype(g.dtype)
            p.grad._version += 1


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """Deprecated alias of clip_grad_norm_ (warns, as PyTorch does)."""
    warnings.warn("`nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
