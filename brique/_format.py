"""How a Tensor prints (`repr`): PyTorch's layout, computed on a host copy of the array."""
from __future__ import annotations

import numpy

from . import backend


def _float_mode(array):
    """PyTorch's look: whole-valued floats print as `1.`; others, and any printed in scientific
    notation (a range over 1e3, or values of 1e8 and more), with 4 fixed decimals."""
    if array.dtype.kind != "f":
        return "maxprec"
    nonzero = numpy.abs(array[numpy.isfinite(array) & (array != 0)]).astype(numpy.float64)
    if nonzero.size == 0:
        return "maxprec"
    whole = bool((nonzero == numpy.round(nonzero)).all())
    sci = nonzero.max() >= 1e8 or nonzero.max() / nonzero.min() > 1e3
    return "maxprec" if whole and not sci else "fixed"


def format_tensor(array, dev, ctx, requires_grad):
    """`tensor([...], dtype=..., device=..., grad_fn=<...>)` for an array on device `dev`."""
    array = backend.to_numpy(array)
    default = backend.get_default_dtype()
    body = numpy.array2string(array, separator=", ", prefix="tensor(", precision=4,
                              floatmode=_float_mode(array), threshold=1000, edgeitems=3)
    extras = []
    if array.size == 0 and array.ndim > 1:
        extras.append(f"size={array.shape}")
    if dev.type != "cpu":
        extras.append(f"device='{dev}'")
    if array.dtype not in (default, backend.int64, backend.bool_) or (
            array.size == 0 and array.dtype != default):
        extras.append(f"dtype={array.dtype}")
    if ctx is not None:
        extras.append(f"grad_fn=<{type(ctx).__name__}Backward>")
    elif requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + extras) + ")"
