"""`brique.testing`: `assert_close` and `make_tensor`, as in torch.testing, for tests that
compare tensors with dtype-aware tolerances."""
from __future__ import annotations

import collections.abc
import math
import numbers

import numpy

from . import backend
from .tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype, PyTorch's defaults: exact for integers and bools.
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
               "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _tolerance(*dtypes):
    pairs = [_TOLERANCES.get(str(d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _dtype_name(dtype):
    return f"brique.{numpy.dtype(dtype).name}"


def _as_array(x):
    """A tensor or array as a host NumPy array, with its device."""
    if isinstance(x, Tensor):
        return backend.to_numpy(x.detach()._data), x.device
    return backend.to_numpy(x), backend.device_of(x)


def _fail(msg, default, where):
    if msg is not None:
        text = msg(default) if callable(msg) else msg
    else:
        text = default
    raise AssertionError(text + (f"\n\nThe failure occurred for item {where}" if where else ""))


def _compare_scalars(actual, expected, rtol, atol, equal_nan, msg, where):
    if isinstance(actual, bool) or isinstance(expected, bool):
        if actual != expected:
            _fail(msg, f"Booleans mismatch: {actual} is not {expected}", where)
        return
    if rtol is None:
        floating = isinstance(actual, (float, complex)) or isinstance(expected, (float, complex))
        rtol, atol = (1e-7, 1e-7) if floating else (0.0, 0.0)
    if actual == expected or (equal_nan and math.isnan(actual) and math.isnan(expected)):
        return
    diff = abs(actual - expected)
    if diff <= atol + rtol * abs(expected):
        return
    rel = diff / abs(expected) if expected else math.inf
    _fail(msg, f"Scalars are not close!\n\nExpected {expected} but got {actual}.\n"
               f"Absolute difference: {diff} (up to {atol} allowed)\n"
               f"Relative difference: {rel} (up to {rtol} allowed)", where)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_device, check_dtype,
                     msg, where):
    a, a_dev = _as_array(actual)
    e, e_dev = _as_array(expected)
    if a.shape != e.shape:
        _fail(msg, f"The values for attribute 'shape' do not match: {tuple(a.shape)} != "
                   f"{tuple(e.shape)}.", where)
    if check_device and a_dev != e_dev:
        _fail(msg, f"The values for attribute 'device' do not match: {a_dev} != {e_dev}.",
              where)
    if check_dtype and a.dtype != e.dtype:
        _fail(msg, f"The values for attribute 'dtype' do not match: {_dtype_name(a.dtype)} != "
                   f"{_dtype_name(e.dtype)}.", where)
    if rtol is None:
        rtol, atol = _tolerance(a.dtype, e.dtype)
    exact = rtol == 0 and atol == 0 and a.dtype.kind in "biu" and e.dtype.kind in "biu"
    common = numpy.result_type(a.dtype, e.dtype)
    if common.kind == "b":
        a, e = a.astype(numpy.int64), e.astype(numpy.int64)
    a, e = a.astype(numpy.float64 if common.kind != "c" else common), \
        e.astype(numpy.float64 if common.kind != "c" else common)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        diff = numpy.abs(a - e)
        ok = (a == e) | (diff <= atol + rtol * numpy.abs(e))
        if equal_nan:
            ok |= numpy.isnan(a) & numpy.isnan(e)
        if ok.all():
            return
        rel = diff / numpy.abs(e)
    bad = ~ok
    total = a.size

    def worst(values):
        masked = numpy.where(bad, numpy.nan_to_num(values, nan=numpy.inf), -numpy.inf)
        idx = numpy.unravel_index(int(numpy.argmax(masked)), a.shape) if a.ndim else ()
        return float(values[idx]), tuple(int(i) for i in idx)

    abs_v, abs_i = worst(diff)
    rel_v, rel_i = worst(rel)
    if exact:  # integer differences print as integers, as PyTorch's
        abs_v = int(abs_v)
    allowed_a = "" if exact else f" (up to {atol} allowed)"
    allowed_r = "" if exact else f" (up to {rtol} allowed)"
    _fail(msg, f"Tensor-likes are not {'equal' if exact else 'close'}!\n\n"
               f"Mismatched elements: {int(bad.sum())} / {total} "
               f"({100.0 * bad.sum() / total:.1f}%)\n"
               f"Greatest absolute difference: {abs_v} at index {abs_i}{allowed_a}\n"
               f"Greatest relative difference: {rel_v} at index {rel_i}{allowed_r}", where)


def _compare(actual, expected, where, **kw):
    tensorish = (Tensor,) + ((numpy.ndarray,) if backend.cupy is None
                             else (numpy.ndarray, backend.cupy.ndarray))
    if isinstance(actual, tensorish) or isinstance(expected, tensorish):
        if not (isinstance(actual, tensorish) and isinstance(expected, tensorish)) or (
                isinstance(actual, Tensor) != isinstance(expected, Tensor)):
            raise TypeError(f"assert_close: cannot compare {type(actual).__name__} with "
                            f"{type(expected).__name__}{' at ' + where if where else ''}: "
                            "both must be tensors (or both arrays)")
        _compare_tensors(actual, expected, where=where, **kw)
        return
    if isinstance(actual, numbers.Number) and isinstance(expected, numbers.Number):
        _compare_scalars(actual, expected, kw["rtol"], kw["atol"], kw["equal_nan"], kw["msg"],
                         where)
        return
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected,
                                                                  collections.abc.Mapping):
        if set(actual) != set(expected):
            _fail(kw["msg"], f"The keys of the mappings do not match: {sorted(map(repr, actual))}"
                             f" != {sorted(map(repr, expected))}.", where)
        for k in actual:
            _compare(actual[k], expected[k], f"{where or ''}[{k!r}]", **kw)
        return
    seq = collections.abc.Sequence
    if isinstance(actual, seq) and isinstance(expected, seq) and not isinstance(actual, str) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            _fail(kw["msg"], f"The length of the sequences mismatch: {len(actual)} != "
                             f"{len(expected)}", where)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, f"{where or ''}[{i}]", **kw)
        return
    raise TypeError(f"assert_close: no way to compare inputs of type {type(actual).__name__} "
                    f"and {type(expected).__name__}")


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless |actual - expected| <= atol + rtol * |expected| elementwise
    (tensors, arrays, numbers, and sequences or mappings of them, compared item by item).
    Without rtol/atol, the defaults of the dtypes: float32 1.3e-6/1e-5, float64 1e-7/1e-7,
    float16 1e-3/1e-5, exact for integers and bools. Shapes, devices and dtypes must match."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"assert_close: both 'rtol' and 'atol' must be given or omitted, got "
                         f"{'no atol' if atol is None else 'no rtol'}")
    if check_stride and isinstance(actual, Tensor) and isinstance(expected, Tensor) and \
            actual.stride() != expected.stride():
        _fail(msg, f"The values for attribute 'stride()' do not match: {actual.stride()} != "
                   f"{expected.stride()}.", None)
    _compare(actual, expected, None, rtol=rtol, atol=atol, equal_nan=equal_nan,
             check_device=check_device, check_dtype=check_dtype, msg=msg)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A random tensor for tests: floats uniform in [low, high) (default [-9, 9)), integers in
    [low, high) (default [-9, 10), from 0 for unsigned), bools at random. `noncontiguous`
    gives a strided view of the same values; `exclude_zero` replaces zeros."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dtype = backend.as_dtype(dtype)
    rng = backend.rng(backend.CPU)
    if dtype.kind == "b":
        values = rng.integers(0, 2, size=shape).astype(bool)
    elif dtype.kind in "iu":
        info = numpy.iinfo(dtype)
        lo = max(info.min, -9 if low is None else math.ceil(low))
        hi = min(info.max + 1, 10 if high is None else math.ceil(high))
        if lo >= hi:
            raise ValueError(f"make_tensor: low={low} must be less than high={high} for {dtype}")
        values = rng.integers(lo, hi, size=shape).astype(dtype)
    elif dtype.kind in "fc":
        lo, hi = (-9.0 if low is None else low), (9.0 if high is None else high)
        if not lo <= hi:
            raise ValueError(f"make_tensor: low={low} must not exceed high={high}")
        values = rng.uniform(lo, hi, size=shape)
        if dtype.kind == "c":
            values = values + 1j * rng.uniform(lo, hi, size=shape)
        values = values.astype(dtype)
    else:
        raise TypeError(f"make_tensor: unsupported dtype {dtype}")
    if exclude_zero:
        eps = numpy.finfo(dtype).tiny if dtype.kind in "fc" else 1
        values[values == 0] = eps
    if noncontiguous and values.size > 1:
        doubled = numpy.repeat(values[..., None], 2, axis=-1)
        values = doubled[..., 0]  # the same values, every other element of a wider array
    out = Tensor._make(backend.to_device(values, backend.as_device(device)))
    return out.requires_grad_(True) if requires_grad else out
