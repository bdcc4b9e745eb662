"""Reading PyTorch's `.pt`/`.pth` files (the zip written by `torch.save`) without torch, and
without running any code from the file.

Such a file is a zip: `<name>/data.pkl`, a pickle of the object in which every tensor refers to
a storage by key, and `<name>/data/<key>`, each storage's raw bytes. A pickle is a small program
that may call any importable function (`os.system`...), so the unpickler here resolves no name
by importing it: `find_class` answers only from a fixed table of tensor/storage rebuilds and
plain containers, plus the classes a user admits with `safe_globals([...])`; any other name is
refused before anything runs.
"""
from __future__ import annotations

import collections
import contextlib
import io
import pickle
import zipfile

import numpy as np

from ..nn.parameter import Parameter
from ..tensor import Tensor


class UnsafeCheckpointError(pickle.UnpicklingError):
    """The file asks to build an object brique does not admit (a whole pickled model, a
    function, an arbitrary class). Nothing from it was run."""


# ------------------------------------------------------------------ admitted by the user
_admitted = {}  # "module.name" -> the object itself


def _qualified(obj):
    if isinstance(obj, tuple):  # (obj, "module.name"), as torch accepts
        return obj[1], obj[0]
    return f"{obj.__module__}.{obj.__qualname__}", obj


def add_safe_globals(safe_globals):
    """Admit these classes (or `(obj, "module.name")` pairs) in every later load."""
    for item in safe_globals:
        name, obj = _qualified(item)
        _admitted[name] = obj


def get_safe_globals():
    return list(_admitted.values())


def clear_safe_globals():
    _admitted.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """`with brique.serialization.safe_globals([MyConfig]): brique.load(f)`: admit these
    classes inside the block only. Only list classes whose construction you trust."""
    before = dict(_admitted)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _admitted.clear()
        _admitted.update(before)


# ------------------------------------------------------------------ storages and tensors
class _StorageType:
    """What `torch.FloatStorage` etc. stand for in a pickle: a dtype."""

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype


_STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool",
}


def _bfloat16_to_float32(raw):
    # brique has no bfloat16: its 16 bits are the top half of a float32, so widen exactly
    return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    flat = storage
    itemsize = flat.itemsize
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    if len(size) and min(size) == 0:
        return Tensor._make(np.zeros(size, dtype=flat.dtype))
    # as_strided reads raw memory: a file must not point outside its own storage
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
    if (len(size) != len(stride) or storage_offset < 0 or min(size + stride, default=0) < 0
            or last >= len(flat)):
        raise pickle.UnpicklingError(f"brique.load: a tensor of size {size}, stride {stride} "
                                     f"and offset {storage_offset} does not fit its storage of "
                                     f"{len(flat)} elements: the file is corrupt")
    view = np.lib.stride_tricks.as_strided(flat[storage_offset:], shape=tuple(size),
                                           strides=tuple(s * itemsize for s in stride))
    out = Tensor._make(np.array(view))  # an owned, contiguous copy: the storage is read-only
    if requires_grad and out.is_floating_point():
        out.requires_grad_(True)
    return out


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks, *state):
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_from_type_v2(func, new_type, args, state):
    if new_type is not _TENSOR_TYPE:
        raise UnsafeCheckpointError(f"brique.load: a tensor subclass {new_type!r} is not "
                                    "admitted")
    return func(*args)


_TENSOR_TYPE = object()  # what `torch.Tensor` stands for

# (module, name) -> what the pickle gets instead; nothing here can reach the file system,
# the network or the interpreter.
_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch", "Tensor"): _TENSOR_TYPE,
    ("torch", "Size"): tuple,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
}
_ALLOWED.update({("torch", k): _StorageType(k, v) for k, v in _STORAGE_DTYPES.items()})


def _refusal(module, name, source):
    what = f"{module}.{name}"
    whole_model = module.startswith("torch.nn") or module == "__main__"
    hint = ("It looks like a whole pickled model (torch.save(model, f)). Save its weights "
            "instead: torch.save(model.state_dict(), f), then "
            "model.load_state_dict(brique.load(f))." if whole_model else
            "brique loads tensors, storages and plain containers only.")
    return UnsafeCheckpointError(
        f"brique.load: {source} asks to build {what}, which is not admitted, so nothing from "
        f"the file was run. {hint} If you trust the file and {what} is a plain class, admit it "
        f"with `with brique.serialization.safe_globals([{name}]): brique.load(...)`.")


class _Unpickler(pickle.Unpickler):
    def __init__(self, data, storages, source):
        super().__init__(io.BytesIO(data))
        self._storages, self._source = storages, source

    def find_class(self, module, name):
        module = "builtins" if module == "__builtin__" else module  # protocol-2 files
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        admitted = _admitted.get(f"{module}.{name}")
        if admitted is not None:
            return admitted
        raise _refusal(module, name, self._source)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"brique.load: unknown persistent id {pid!r:.80}")
        storage_type, key = pid[1], str(pid[2])
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"brique.load: unknown storage type {storage_type!r}")
        return self._storages(key, storage_type.dtype)


def load_torch_zip(archive, source):
    """The object in a torch.save zip (a zipfile.ZipFile), tensors as brique Tensors."""
    names = archive.namelist()
    pickles = [n for n in names if n.endswith("data.pkl")]
    if len(pickles) != 1:
        raise pickle.UnpicklingError(f"brique.load: {source} is a zip but not a PyTorch file "
                                     "(no single data.pkl entry)")
    prefix = pickles[0][: -len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in names:
        byteorder = archive.read(prefix + "byteorder").decode().strip()
    cache = {}

    def storage(key, dtype):
        if key not in cache:
            raw = archive.read(f"{prefix}data/{key}")
            if dtype == "bfloat16":
                cache[key] = _bfloat16_to_float32(raw)
            else:
                order = "<" if byteorder == "little" else ">"
                cache[key] = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder(order))
                if byteorder != "little":
                    cache[key] = cache[key].astype(np.dtype(dtype))
        return cache[key]

    return _Unpickler(archive.read(pickles[0]), storage, source).load()


def is_torch_zip(names):
    return any(n.endswith("data.pkl") for n in names)


def open_zip(data):
    return zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
