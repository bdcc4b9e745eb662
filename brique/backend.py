"""The one place that knows NumPy from CuPy: devices, array modules, dtypes and random state.

Every other module asks this one for an array module (`xp`) instead of importing numpy or cupy,
so the same op code runs on the CPU and on a CUDA GPU.
"""
from __future__ import annotations

import builtins

import numpy

try:  # CuPy is optional: present only where a CUDA GPU is.
    import cupy
except Exception:  # ImportError, or a CuPy that cannot find its CUDA libraries
    cupy = None

ndarray = numpy.ndarray

# dtypes: brique uses NumPy's dtype objects, named as PyTorch names them.
float16 = half = numpy.dtype("float16")
float32 = float = numpy.dtype("float32")
float64 = double = numpy.dtype("float64")
int8 = numpy.dtype("int8")
uint8 = numpy.dtype("uint8")
int16 = short = numpy.dtype("int16")
int32 = int = numpy.dtype("int32")
int64 = long = numpy.dtype("int64")
bool_ = numpy.dtype("bool")
_default_dtype = float32


def get_default_dtype():
    return _default_dtype


def set_default_dtype(dtype):
    global _default_dtype
    dtype = as_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point dtypes are supported, got {dtype}")
    _default_dtype = dtype


def as_dtype(dtype):
    """Accept numpy dtypes, Python types and names ('float32')."""
    if dtype is None:
        return None
    if dtype is builtins.float:
        return _default_dtype
    if dtype is builtins.int:
        return int64
    if dtype is builtins.bool:
        return bool_
    try:
        return numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


def is_floating(dtype):
    return dtype.kind == "f"


KIND_RANK = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def result_type(*operands):
    """PyTorch's dtype for an op on `operands` (tensors, arrays, Python numbers): the highest
    kind among them (bool < integer < float < complex), with the dtype that the operands with
    dims of that kind promote to, else the 0-d ones, else a Python number's (int64, the
    default float dtype). So float32 with a 0-d float64 stays float32, and int64 with float32
    gives float32 (NumPy: float64 both)."""
    levels = ([], [], [])  # Python numbers, 0-d, with dims
    for x in operands:
        d = getattr(x, "dtype", None)
        if d is not None:
            levels[2 if x.ndim else 1].append(numpy.dtype(d))
        elif isinstance(x, builtins.bool):
            levels[0].append(bool_)
        elif isinstance(x, builtins.int):
            levels[0].append(int64)
        elif isinstance(x, builtins.float):
            levels[0].append(_default_dtype)
        elif isinstance(x, builtins.complex):
            levels[0].append(numpy.dtype(numpy.complex128 if _default_dtype == float64
                                         else numpy.complex64))
    top = builtins.max(KIND_RANK[d.kind] for level in levels for d in level)
    for level in reversed(levels):
        kinds = [d for d in level if KIND_RANK[d.kind] == top]
        if kinds:
            return numpy.result_type(*kinds)


class device:
    """A device: `device("cpu")`, `device("cuda")`, `device("cuda:0")`, `device("cuda", 1)`."""

    __slots__ = ("type", "index")

    def __init__(self, spec, index=None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device: unknown device type {kind!r}; expected 'cpu' or 'cuda'")
        if idx:
            if index is not None or not idx.isdigit():
                raise ValueError(f"device: bad device string {spec!r}")
            index = builtins.int(idx)
        if kind == "cuda" and index is None:
            index = 0
        self.type, self.index = kind, index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")


def cuda_is_available():
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def as_device(spec):
    if spec is None:
        return CPU
    dev = spec if isinstance(spec, device) else device(spec)
    if dev.type == "cuda" and not cuda_is_available():
        why = "CuPy is not installed" if cupy is None else "CuPy found no CUDA GPU"
        raise RuntimeError(f"device {str(dev)!r} was asked for, but {why}; use device='cpu' "
                           "(or install cupy on a machine with an NVIDIA GPU)")
    return dev


def get_array_module(array):
    """numpy for CPU arrays, cupy for GPU arrays."""
    if cupy is None or type(array) is ndarray:
        return numpy
    return cupy.get_array_module(array)


def xp_of(dev):
    return numpy if dev.type == "cpu" else cupy


def device_of(array):
    if type(array) is ndarray or cupy is None or not isinstance(array, cupy.ndarray):
        return CPU
    return device("cuda", array.device.id)


def to_device(array, dev):
    """Move an array to a device (a copy only when it changes device)."""
    if dev.type == "cpu":
        return array if isinstance(array, ndarray) else cupy.asnumpy(array)
    with cupy.cuda.Device(dev.index):
        return cupy.asarray(array)


def asarray(data, dtype=None, dev=CPU):
    xp = xp_of(dev)
    if dev.type == "cuda":
        with cupy.cuda.Device(dev.index):
            return xp.asarray(data, dtype=dtype)
    return numpy.asarray(data, dtype=dtype)


def to_numpy(array):
    return array if isinstance(array, ndarray) else cupy.asnumpy(array)


def from_dlpack(obj):
    """An array sharing memory with any DLPack producer (a torch tensor, a NumPy or CuPy array):
    NumPy's for CPU memory, CuPy's for CUDA memory."""
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ (a torch tensor, a NumPy "
                        f"or CuPy array), got {type(obj).__name__}; pass the tensor itself rather "
                        "than a legacy capsule")
    kind, index = obj.__dlpack_device__()
    if kind in (1, 3):  # kDLCPU, kDLCUDAHost: memory the CPU reads
        return numpy.from_dlpack(obj)
    if kind in (2, 13):  # kDLCUDA, kDLCUDAManaged
        if cupy is None:
            raise RuntimeError("from_dlpack: the object lives on a CUDA device, but CuPy is not "
                               "installed")
        with cupy.cuda.Device(index):
            return cupy.from_dlpack(obj)
    raise TypeError(f"from_dlpack: unsupported DLPack device type {kind}")


def is_array(obj):
    return isinstance(obj, ndarray) or (cupy is not None and isinstance(obj, cupy.ndarray))


# Random state: one generator per device family, both seeded by manual_seed.
# The seed is kept so that initial_seed() can report it, as torch.initial_seed() does.
_initial_seed = builtins.int(numpy.random.SeedSequence().entropy % 2**63)
_rng = numpy.random.default_rng(_initial_seed)


def manual_seed(seed):
    """Seed every random generator brique uses (NumPy's global one too, for user code)."""
    global _rng, _initial_seed
    seed = builtins.int(seed)
    _initial_seed = seed
    _rng = numpy.random.default_rng(seed)
    numpy.random.seed(seed % 2**32)
    if cupy is not None and cuda_is_available():
        cupy.random.seed(seed)
    return seed


def seed():
    """Seed from fresh entropy and return the seed used (like torch.seed())."""
    s = builtins.int(numpy.random.SeedSequence().entropy % 2**63)
    return manual_seed(s)


def rng(dev=CPU, generator=None):
    """The random generator for a device: a numpy Generator, or the cupy.random module; a
    `generator=` argument (a brique.Generator, CPU only as PyTorch's default one) wins."""
    if generator is None:
        return _rng if dev.type == "cpu" else cupy.random
    if not isinstance(getattr(generator, "rng", None), numpy.random.Generator):
        raise TypeError(f"generator: expected a brique.Generator, got "
                        f"{type(generator).__name__}")
    if dev.type != "cpu":
        raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found 'cpu'")
    return generator.rng


numpy_broadcast_shapes = numpy.broadcast_shapes


def asarray_like(x):
    """NumPy reductions return scalars, not 0-d arrays: wrap them back."""
    return numpy.asarray(x)


def infer_array(data, dtype, dev):
    """The array behind `brique.tensor(data)`, with PyTorch's dtype inference: Python floats
    give the default float dtype, Python ints int64, bools bool; arrays keep their dtype.
    Always a copy, as torch.tensor is."""
    if is_array(data) or isinstance(data, numpy.generic):
        arr = numpy.asarray(data) if isinstance(data, numpy.generic) else data
        arr = arr.astype(dtype or arr.dtype, copy=True)
        return to_device(arr, dev)
    arr = numpy.asarray(data)
    first = data
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    if dtype is None and hasattr(first, "dtype"):
        dtype = arr.dtype  # a list of NumPy scalars or of tensors keeps their dtype, as in PyTorch
    if dtype is None:
        kind = arr.dtype.kind
        if kind == "f":
            dtype = _default_dtype
        elif kind in "iu":
            dtype = int64
        elif kind == "b":
            dtype = bool_
        else:
            raise TypeError(f"tensor: can't convert data of type {type(data).__name__} "
                            f"(numpy dtype {arr.dtype}) to a tensor")
    return to_device(arr.astype(dtype, copy=False), dev)


def get_rng_state():
    """The CPU generator's state as plain numbers (JSON-able, so checkpoints can hold it)."""
    return _rng.bit_generator.state


def set_rng_state(state):
    _rng.bit_generator.state = state


def initial_seed():
    return _initial_seed


def set_num_threads(n):
    """Threads for the CPU's BLAS and compiled kernels (PyTorch's torch.set_num_threads).
    Needs threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ImportError("set_num_threads needs threadpoolctl: pip install threadpoolctl") \
            from None
    threadpool_limits(builtins.int(n))


def get_num_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        raise ImportError("get_num_threads needs threadpoolctl: pip install threadpoolctl") \
            from None
    blas = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(blas) if blas else 1
