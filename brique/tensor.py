"""Tensor: an n-d array (NumPy or CuPy) plus what reverse-mode autodiff needs: `requires_grad`,
`grad`, and `_ctx`, the Function that produced it (None for leaves)."""
from __future__ import annotations

import weakref

from . import _format, autograd, backend
from ._inplace import InPlaceOps

_array_types = (backend.ndarray,) if backend.cupy is None else (backend.ndarray,
                                                                backend.cupy.ndarray)


class Size(tuple):
    """PyTorch's torch.Size, for programs that build one (`Size([2, 3])`): a tuple of dims.
    Shapes themselves are plain tuples, which a Size equals."""

    def numel(self):
        n = 1
        for d in self:
            n *= d
        return n

    def __repr__(self):
        return f"brique.Size({list(self)})"


_LEGACY = object()  # Tensor(...) called without dtype=: PyTorch's legacy constructor


def _legacy_data(args):
    """torch.Tensor(*args): Tensor() and Tensor(2, 3) or Tensor(Size) are uninitialised
    default-dtype tensors of that shape, Tensor(sequence or array) its data in the default
    dtype, Tensor(tensor) that tensor's data as it is."""
    import numbers
    dtype = backend.get_default_dtype()
    one = args[0] if len(args) == 1 else None
    if one is not None and not isinstance(one, (numbers.Integral, Size)):
        if isinstance(one, Tensor):
            return one._data
        if not (hasattr(one, "__len__") or backend.is_array(one)):
            raise TypeError(f"Tensor(): data must be a sequence, got {type(one).__name__}")
        return backend.infer_array(one, dtype, backend.device_of(one))
    sizes = tuple(one) if isinstance(one, Size) else args
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"Tensor(): expected sizes (ints), a Size or one sequence of data, "
                        f"got {args!r}")
    if any(n < 0 for n in sizes):
        raise RuntimeError(f"Tensor(): trying to create a tensor with a negative dimension: "
                           f"{list(sizes)}")
    return backend.xp_of(backend.CPU).empty(tuple(int(n) for n in sizes) or (0,), dtype=dtype)


class Tensor(InPlaceOps):
    # `_vc` is the version counter, a one-element list shared by a tensor and its views
    # (detach(), reshape, basic indexing), so an in-place change through any of them is seen.
    # `_view_of`: (the tensor this one is a view of, the index if basic indexing made it), set
    # by ops that return views. `_history`: {version: the tensor as it was before an in-place op
    # recorded in the graph} (_record). Both stay unset on most tensors (read with getattr).
    __slots__ = ("_data", "_ctx", "requires_grad", "grad", "_vc", "_retains_grad",
                 "_hooks", "_view_of", "_history", "__weakref__")
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__

    def __init__(self, *args, dtype=_LEGACY, device=None, requires_grad=False):
        if dtype is _LEGACY and type(self) is Tensor:
            data, dtype = _legacy_data(args), None
        else:
            if len(args) != 1:
                raise TypeError(f"Tensor: expected one data argument, got {len(args)}")
            data, dtype = args[0], (None if dtype is _LEGACY else dtype)
        if isinstance(data, Tensor):
            data = data._data
        dev = backend.as_device(device) if device is not None else backend.device_of(data)
        self._data = backend.infer_array(data, backend.as_dtype(dtype), dev)
        self._ctx = None
        self.grad = None
        self._vc = [0]
        self._retains_grad = False
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data):
        """Wrap an array without copying or checks (the fast path every op takes)."""
        t = object.__new__(cls)
        t._data = data if isinstance(data, _array_types) else backend.asarray_like(data)
        t._ctx = None
        t.requires_grad = False
        t.grad = None
        t._vc = [0]
        t._retains_grad = False
        t._hooks = None
        return t

    # ------------------------------------------------------------------ attributes
    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    device = property(lambda self: backend.device_of(self._data))
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)
    is_cuda = property(lambda self: self.device.type == "cuda")
    is_xpu = is_mps = is_meta = is_sparse = is_quantized = False  # devices/layouts brique lacks
    T = property(lambda self: self.permute(tuple(range(self.ndim - 1, -1, -1))))
    mT = property(lambda self: self.transpose(-2, -1))
    itemsize = property(lambda self: self._data.itemsize)
    nbytes = property(lambda self: self._data.nbytes)

    @property
    def _version(self):
        """How many in-place changes this tensor's storage has seen."""
        return self._vc[0]

    @_version.setter
    def _version(self, value):
        self._vc[0] = value

    @property
    def data(self):
        """A detached Tensor sharing this one's storage (PyTorch's `.data`)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else backend.asarray_like(value)

    def dim(self):
        return self._data.ndim

    def size(self, dim=None):
        if dim is None:
            return self._data.shape
        return self._data.shape[dim]

    def numel(self):
        return int(self._data.size)

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(f"only tensors of floating point dtype can require gradients, "
                               f"got {self._data.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) can only be set on leaf tensors; use "
                               "detach() on a tensor computed from others")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        if self._ctx is not None:
            self._retains_grad = True
        return self

    def register_hook(self, hook):
        """hook(grad) -> new grad or None, called when this tensor's gradient is computed.
        Returns a handle whose `remove()` unregisters the hook."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't "
                               "require grad")
        self._hooks = (self._hooks or []) + [hook]
        return _HookHandle(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor), called once this leaf's `.grad` holds its gradient for the backward
        pass now running (after accumulation). Returns a handle whose `remove()` unregisters it."""
        if self._ctx is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: the tensor does not "
                               "require grad")
        hooks = autograd._post_accumulate_hooks
        if id(self) not in hooks:
            weakref.finalize(self, hooks.pop, id(self), None)
        hooks[id(self)] = hooks.get(id(self), []) + [hook]
        return _PostAccumulateHandle(self, hook)

    # ------------------------------------------------------------------ conversions
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("can't call numpy() on a tensor that requires grad; use "
                               "tensor.detach().numpy()")
        if self.device.type != "cpu":
            raise TypeError(f"can't convert a {self.device} tensor to numpy; use .cpu() first")
        return self._data

    def __array__(self, dtype=None, copy=None):
        # NumPy 2 protocol: `np.array(t)` passes copy=True and trusts the result to be a copy
        # (else a weight snapshot would change under opt.step()); `np.asarray(t)` shares memory.
        arr = backend.to_numpy(self._data)
        if copy is False and arr is not self._data:
            raise ValueError(f"a {self.device} tensor cannot be seen as a NumPy array without a "
                             "copy; use np.array(t) or t.cpu().numpy()")
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy and arr is self._data else arr

    def __dlpack__(self, *args, **kwargs):
        """DLPack export, sharing memory (torch.from_dlpack(t), np.from_dlpack(t))."""
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a tensor with {self._data.size} elements cannot be converted "
                               "to a Python scalar")
        return self._data.reshape(-1)[0].item()

    def tolist(self):
        return backend.to_numpy(self._data).tolist()

    def detach(self):
        out = Tensor._make(self._data)
        out._vc = self._vc  # as in PyTorch: an in-place change to the detached view is seen
        return out

    def detach_(self):
        self._ctx, self.requires_grad = None, False
        return self

    def clone(self):
        from .ops.elementwise import Add
        return Add.apply(self, 0) if self.requires_grad else Tensor._make(self._data.copy())

    def is_contiguous(self, memory_format=None):
        """Are the elements laid out in row-major order without gaps (size-1 dims aside)?"""
        return bool(self._data.flags.c_contiguous)

    def contiguous(self):
        if self._data.flags.c_contiguous:
            return self
        # A copy, as in PyTorch: `x.t().contiguous().add_(1)` must not change x.
        out = self.clone()
        out._data = backend.get_array_module(out._data).ascontiguousarray(out._data)
        return out

    def to(self, *args, dtype=None, device=None, copy=False):
        """`to(device)`, `to(dtype)`, `to(device, dtype)` or `to(other_tensor)`."""
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, backend.device)):
                device = a
            else:
                dtype = a
        out = self
        if device is not None:
            dev = backend.as_device(device)
            if dev != self.device:
                from .ops.conversion import ToDevice
                out = ToDevice.apply(out, device=dev)
        if dtype is not None:
            dtype = backend.as_dtype(dtype)
            if dtype != out.dtype:
                from .ops.conversion import Cast
                out = Cast.apply(out, dtype=dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else backend.device("cuda", device))

    float = lambda self: self.to(backend.float32)    # noqa: E731
    double = lambda self: self.to(backend.float64)   # noqa: E731
    half = lambda self: self.to(backend.float16)     # noqa: E731
    long = lambda self: self.to(backend.int64)       # noqa: E731
    int = lambda self: self.to(backend.int32)        # noqa: E731
    bool = lambda self: self.to(backend.bool_)       # noqa: E731
    type_as = lambda self, other: self.to(other.dtype)  # noqa: E731

    # ------------------------------------------------------------------ autodiff
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulates the gradient into `.grad` of the graph's leaves, or, with `inputs`, of
        those tensors only (leaves or not)."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    # ------------------------------------------------------------------ python protocol
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"boolean value of a tensor with {self._data.size} elements is "
                               "ambiguous")
        return bool(self.item())

    __float__ = lambda self: float(self.item())  # noqa: E731
    __int__ = lambda self: int(self.item())      # noqa: E731

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __format__(self, spec):
        # f"{loss:.4f}": a 0-d tensor formats as its Python number, as in PyTorch
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        return _format.format_tensor(self._data, self.device, self._ctx, self.requires_grad)


class _PostAccumulateHandle:
    __slots__ = ("tensor", "hook")

    def __init__(self, tensor, hook):
        self.tensor, self.hook = tensor, hook

    def remove(self):
        hooks = autograd._post_accumulate_hooks
        key = id(self.tensor)
        hooks[key] = [h for h in hooks.get(key, ()) if h is not self.hook]


class _HookHandle:
    __slots__ = ("tensor", "hook")

    def __init__(self, tensor, hook):
        self.tensor, self.hook = tensor, hook

    def remove(self):
        hooks = [h for h in self.tensor._hooks or () if h is not self.hook]
        self.tensor._hooks = hooks or None

