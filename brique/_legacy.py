"""PyTorch's legacy tensor types (`torch.FloatTensor` ...), still common in older course code:
`FloatTensor(2, 3)` (uninitialised, of that shape), `LongTensor([1, 2])` (from data),
`isinstance(x, FloatTensor)` (true for float32 CPU tensors), `x.type(LongTensor)`.
They are not subclasses of Tensor: each names a dtype, as in PyTorch 2."""
from __future__ import annotations

import numbers
import warnings

from . import backend
from . import creation
from .tensor import Size, Tensor

_NAMES = {"Float": backend.float32, "Double": backend.float64, "Half": backend.float16,
          "Long": backend.int64, "Int": backend.int32, "Short": backend.int16,
          "Char": backend.int8, "Byte": backend.uint8, "Bool": backend.bool_}


class _LegacyType(type):
    """The metaclass: calling a legacy type makes a tensor of its dtype, and isinstance
    asks for that dtype on the CPU."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == "cpu"

    def __call__(cls, *args, device=None):
        if device is not None and backend.device(device).type != "cpu":
            raise RuntimeError(f"{cls.__name__}: a legacy CPU type cannot make a tensor on "
                               f"{device}; use brique.empty(..., device={str(device)!r})")
        if not args:
            return creation.empty(0, dtype=cls.dtype)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}: expected a tensor of dtype {cls.dtype}, got "
                                f"{args[0].dtype}; use x.type({cls.__name__}) to convert")
            return args[0]
        if len(args) == 1 and isinstance(args[0], Size):
            return creation.empty(tuple(args[0]), dtype=cls.dtype)
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
            if any(a < 0 for a in args):
                raise RuntimeError(f"{cls.__name__}: trying to create a tensor with a negative "
                                   f"dimension: {list(args)}")
            return creation.empty(tuple(int(a) for a in args), dtype=cls.dtype)
        if len(args) == 1 and (hasattr(args[0], "__len__") or backend.is_array(args[0])):
            return creation.tensor(args[0], dtype=cls.dtype)
        raise TypeError(f"{cls.__name__}: expected sizes (ints), a torch.Size, a sequence of "
                        f"data or a tensor, got {tuple(type(a).__name__ for a in args)}")

    def __repr__(cls):
        return f"<class 'torch.{cls.__name__}'>"


def _make(name, dtype):
    return _LegacyType(f"{name}Tensor", (), {"dtype": dtype, "is_cuda": False,
                                             "__module__": "brique",
                                             "__doc__": f"Legacy type: {dtype} tensors."})


TYPES = {f"{name}Tensor": _make(name, dtype) for name, dtype in _NAMES.items()}
FloatTensor, DoubleTensor, HalfTensor = TYPES["FloatTensor"], TYPES["DoubleTensor"], \
    TYPES["HalfTensor"]
LongTensor, IntTensor, ShortTensor = TYPES["LongTensor"], TYPES["IntTensor"], \
    TYPES["ShortTensor"]
CharTensor, ByteTensor, BoolTensor = TYPES["CharTensor"], TYPES["ByteTensor"], \
    TYPES["BoolTensor"]


def type_name(tensor):
    """PyTorch's type string of a tensor: 'torch.FloatTensor', 'torch.cuda.LongTensor'."""
    name = next((n for n, d in _NAMES.items() if d == tensor.dtype), str(tensor.dtype))
    return f"torch.{'cuda.' if tensor.device.type == 'cuda' else ''}{name}Tensor"


def as_type(spec):
    """A `type(...)` argument (a legacy type, its name as a string, or a dtype) ->
    (dtype, device or None)."""
    if isinstance(spec, _LegacyType):
        return spec.dtype, None
    if isinstance(spec, str) and (spec.endswith("Tensor") or spec.startswith("torch.")):
        parts = spec.split(".")
        cuda = parts[1:2] == ["cuda"]
        key = parts[-1]
        if parts[0] != "torch" or key not in TYPES or len(parts) != (3 if cuda else 2):
            raise ValueError(f"type: invalid type {spec!r}; expected a name like "
                             "'torch.FloatTensor' or 'torch.cuda.LongTensor'")
        return TYPES[key].dtype, ("cuda" if cuda else "cpu")
    return backend.as_dtype(spec), None


def typename(obj):
    """torch.typename: a tensor's type string, else the object's qualified class name."""
    if isinstance(obj, Tensor):
        return type_name(obj)
    kind = type(obj)
    module = "" if kind.__module__ in ("builtins", "__builtin__", None) else kind.__module__ + "."
    return module + kind.__qualname__


def set_default_tensor_type(t):
    """Deprecated in PyTorch: sets the default float dtype from a floating legacy type."""
    warnings.warn("set_default_tensor_type() is deprecated, as in PyTorch; use "
                  "brique.set_default_dtype()", UserWarning, stacklevel=2)
    dtype, device = as_type(t)
    if dtype.kind != "f":
        raise TypeError(f"set_default_tensor_type: only floating-point types are supported as "
                        f"the default type, got {t!r}")
    if device == "cuda":
        raise RuntimeError("set_default_tensor_type: brique has no default device other than "
                           "the CPU")
    backend.set_default_dtype(dtype)
