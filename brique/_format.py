"""How a Tensor prints (`repr`): PyTorch's layout, computed on a host copy of the array."""
from __future__ import annotations

import sys

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


# set_printoptions: PyTorch's options and profiles. linewidth None keeps NumPy's line width.
_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=None),
             "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=None),
             "full": dict(precision=4, threshold=float("inf"), edgeitems=3, linewidth=None)}
_options = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How tensors print, as torch.set_printoptions: `profile` ('default', 'short', 'full')
    first, then each option given; sci_mode True/False forces scientific notation on or off
    (None: chosen from the values)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"got {profile!r}")
        _options.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"set_printoptions: {name} must be a non-negative number, got "
                                 f"{value!r}")
            _options[name] = value
    _options["sci_mode"] = sci_mode


def _print_kwargs(array):
    precision = int(_options["precision"])
    threshold = _options["threshold"]
    kwargs = dict(precision=precision, edgeitems=int(_options["edgeitems"]),
                  threshold=sys.maxsize if threshold == float("inf") else int(threshold),
                  floatmode=_float_mode(array))
    if _options["linewidth"] is not None:
        kwargs["max_line_width"] = int(_options["linewidth"])
    if array.dtype.kind == "f" and _options["sci_mode"] is True:
        kwargs["formatter"] = {"float_kind": lambda v: f"{v:.{precision}e}"}
    elif array.dtype.kind == "f" and _options["sci_mode"] is False:
        kwargs["suppress"] = True
    return kwargs


def format_tensor(array, dev, ctx, requires_grad):
    """`tensor([...], dtype=..., device=..., grad_fn=<...>)` for an array on device `dev`."""
    array = backend.to_numpy(array)
    default = backend.get_default_dtype()
    body = numpy.array2string(array, separator=", ", prefix="tensor(", **_print_kwargs(array))
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
