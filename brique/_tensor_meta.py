"""Tensor metadata and odds that PyTorch programs read (data_ptr, storage_offset, is_signed,
pin_memory, new, apply_ ...) and dtype helpers of the package face (promote_types, can_cast,
asarray, empty_strided, frombuffer, the default device). `install()` attaches the methods.

brique has no separate storage object: a tensor's memory is its array's, so `untyped_storage()`
is not offered. DataLoader workers are threads, so every CPU tensor is already visible to them:
`share_memory_()` has nothing to move and `is_shared()` stays False."""
from __future__ import annotations

import numbers

from . import backend, creation
from .tensor import Tensor
from ._legacy import _LegacyType


def _base_array(array):
    base = array
    while backend.is_array(getattr(base, "base", None)):
        base = base.base
    return base


def data_ptr(self):
    """Address of the first element (views starting at the same element share it)."""
    data = self._data
    if self.device.type == "cuda":
        return int(data.data.ptr)
    return int(data.__array_interface__["data"][0])


def storage_offset(self):
    """Elements between the start of the memory this tensor views and its first element."""
    data = self._data
    if self.device.type == "cuda":
        return int((data.data.ptr - data.data.mem.ptr) // data.itemsize)
    base = _base_array(data)
    start = base.__array_interface__["data"][0]
    return int((data.__array_interface__["data"][0] - start) // data.itemsize)


def is_nonzero(self):
    if self.numel() != 1:
        raise RuntimeError(f"is_nonzero: boolean value of a tensor with {self.numel()} elements "
                           "is ambiguous")
    return bool(self.item())


def is_same_size(self, other):
    return tuple(self.shape) == tuple(other.shape)


def pin_memory(self, device=None):
    """As PyTorch without an accelerator: an error. With a GPU, CuPy copies from pageable
    memory, so the tensor is returned as it is."""
    if not backend.cuda_is_available():
        raise RuntimeError("pin_memory: cannot access an accelerator device when none is "
                           "available (pinned memory only speeds up copies to a GPU)")
    return self


def new(self, *args, device=None):
    """Legacy `x.new(2, 3)` (uninitialised, x's dtype), `x.new([1, 2])`, `x.new()`."""
    kind = _LegacyType("new", (), {"dtype": self.dtype})
    out = kind(*args)
    return out if device is None else out.to(device)


def apply_(self, callable):
    """Replace every element by callable(element), in place (CPU only, slow: a Python call per
    element)."""
    if self.device.type != "cpu":
        raise TypeError("apply_ is only implemented on CPU tensors")
    data = self._inplace("apply_")
    flat = data.reshape(-1)
    values = [callable(v) for v in flat.tolist()]
    data[...] = backend.asarray(values, data.dtype).reshape(data.shape)
    return self


def map_(self, tensor, callable):
    """self[i] = callable(self[i], tensor[i]) in place, `tensor` broadcast to self's shape."""
    if self.device.type != "cpu":
        raise TypeError("map_ is only implemented on CPU tensors")
    other = backend.to_numpy(tensor._data if isinstance(tensor, Tensor) else tensor)
    try:
        other = backend.numpy.broadcast_to(other, self.shape)
    except ValueError:
        raise RuntimeError(f"map_: the tensor of shape {tuple(other.shape)} cannot be broadcast "
                           f"to self's shape {tuple(self.shape)}") from None
    data = self._inplace("map_")
    values = [callable(a, b) for a, b in zip(data.reshape(-1).tolist(),
                                             other.reshape(-1).tolist())]
    data[...] = backend.asarray(values, data.dtype).reshape(data.shape)
    return self


def bfloat16(self, memory_format=None):
    raise TypeError("bfloat16: brique has no bfloat16 dtype (NumPy has none); use .half() "
                    "for float16 or .float()")


METHODS = {
    "data_ptr": data_ptr, "storage_offset": storage_offset, "is_nonzero": is_nonzero,
    "is_same_size": is_same_size, "pin_memory": pin_memory, "new": new, "apply_": apply_,
    "map_": map_, "bfloat16": bfloat16,
    "is_signed": lambda self: self.dtype.kind in "if",
    "is_complex": lambda self: self.dtype.kind == "c",
    "is_inference": lambda self: False,
    "is_pinned": lambda self, device=None: False,
    "share_memory_": lambda self: self,
    "is_shared": lambda self: False,
}

PROPERTIES = {
    "is_cpu": lambda self: self.device.type == "cpu",
    "retains_grad": lambda self: bool(self._retains_grad),
}


def install():
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name, fn in PROPERTIES.items():
        setattr(Tensor, name, property(fn))


# ---------------------------------------------------------------- the package face
def promote_types(type1, type2):
    """The dtype an op on tensors of these two dtypes gives (PyTorch's rules: int64 with
    float32 is float32)."""
    a, b = backend.as_dtype(type1), backend.as_dtype(type2)
    return backend.result_type(backend.numpy.empty(1, a), backend.numpy.empty(1, b))


def can_cast(from_, to):
    """Whether PyTorch's type promotion allows casting `from_` to `to`: never down a kind
    (float to integer, anything else to bool), any size within a kind."""
    a, b = backend.as_dtype(from_), backend.as_dtype(to)
    return backend.KIND_RANK[a.kind] <= backend.KIND_RANK[b.kind]


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """A tensor from `obj`, sharing memory when it can (a tensor or array of that dtype and
    device); copy=True always copies, copy=False raises when it cannot share."""
    shareable = isinstance(obj, Tensor) or backend.is_array(obj)
    if copy:
        out = creation.tensor(obj.detach() if isinstance(obj, Tensor) else obj, dtype=dtype,
                              device=device)
    else:
        out = creation.as_tensor(obj, dtype=dtype, device=device)
        if copy is False:
            source = obj._data if isinstance(obj, Tensor) else obj
            if not shareable or not backend.get_array_module(out._data).shares_memory(
                    out._data, source):
                raise ValueError(f"asarray: copy=False, but {type(obj).__name__} cannot be "
                                 f"seen as a tensor of dtype {dtype} on {device} without a copy")
    if requires_grad:
        out = out.detach().requires_grad_(True) if out is obj else out.requires_grad_(True)
    return out


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor with the given sizes and strides (in elements)."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"empty_strided: size {size} and stride {stride} must have the same "
                           "length")
    if any(not isinstance(s, numbers.Integral) or s < 0 for s in size + stride):
        raise RuntimeError(f"empty_strided: sizes and strides must be non-negative ints, got "
                           f"size {size}, stride {stride}")
    extent = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    flat = creation.empty(extent, dtype=dtype, device=device)._data
    xp = backend.get_array_module(flat)
    data = xp.lib.stride_tricks.as_strided(flat, size, [s * flat.itemsize for s in stride])
    out = Tensor._make(data)
    return out.requires_grad_(True) if requires_grad else out


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-d tensor reading `buffer`'s memory (shared, as in PyTorch). A read-only buffer
    (bytes) gives a tensor that in-place ops cannot write."""
    dtype = backend.as_dtype(dtype)
    size = memoryview(buffer).nbytes
    if offset < 0 or offset >= size or (count == -1 and (size - offset) % dtype.itemsize):
        raise ValueError(f"frombuffer: a buffer of {size} bytes with offset {offset} does not "
                         f"hold a whole number of {dtype} elements")
    if count == 0 or count < -1:
        raise ValueError(f"frombuffer: count must be positive or -1, got {count}")
    out = Tensor._make(backend.numpy.frombuffer(buffer, dtype=dtype, count=count, offset=offset))
    return out.requires_grad_(True) if requires_grad else out


def get_default_device():
    return backend.CPU


def set_default_device(device):
    """Only the CPU: brique's factories take `device=` for the GPU."""
    if device is not None and backend.device(device).type != "cpu":
        raise RuntimeError(f"set_default_device: brique creates tensors on the CPU unless a "
                           f"factory is given device=; got {device!r}")
