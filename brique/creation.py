"""Tensor factories with PyTorch's signatures: tensor, zeros, ones, full, arange, rand, ..."""
from __future__ import annotations

from . import backend
from .tensor import Tensor


def _allocating(fn):
    """A factory whose allocation cannot succeed raises RuntimeError naming it and the bytes
    asked for, as PyTorch's does, not a bare MemoryError."""
    import functools

    @functools.wraps(fn)
    def factory(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MemoryError as e:
            raise RuntimeError(f"{fn.__name__}: cannot allocate memory: {e}") from e
    return factory


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, int) and not hasattr(s, "__index__") or int(s) < 0:
            raise ValueError(f"size must be a tuple of non-negative integers, got {size}")
    return tuple(int(s) for s in size)


def _finish(array, requires_grad):
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype):
    return backend.as_dtype(dtype) or backend.get_default_dtype()


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (list, number, array or tensor)."""
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with `data` when it is already a tensor or an array of
    the right dtype and device."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if backend.is_array(data):
        same_dtype = dtype is None or backend.as_dtype(dtype) == data.dtype
        same_device = device is None or backend.as_device(device) == backend.device_of(data)
        if same_dtype and same_device:
            return Tensor._make(data)
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (no copy)."""
    if not backend.is_array(array):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with `ext_tensor`, any DLPack producer: a torch tensor, a NumPy or
    CuPy array (no copy: an in-place change through one is seen by the other)."""
    return Tensor._make(backend.from_dlpack(ext_tensor))


def _fill_dtype(value, dtype):
    if dtype is not None:
        return backend.as_dtype(dtype)
    if isinstance(value, bool):
        return backend.bool_
    if isinstance(value, int):
        return backend.int64
    return backend.get_default_dtype()


def _filled(value, size, dtype, device, requires_grad):
    dev = backend.as_device(device)
    array = backend.xp_of(dev).full(_shape(size), value, dtype=_fill_dtype(value, dtype))
    return _finish(array, requires_grad)


@_allocating
def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled(0.0, size, _float_dtype(dtype), device, requires_grad)


@_allocating
def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(1.0, size, _float_dtype(dtype), device, requires_grad)


@_allocating
def empty(*size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


@_allocating
def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    return _filled(fill_value, (size,), dtype, device, requires_grad)


def _like(factory):
    def like(t, dtype=None, device=None, requires_grad=False):
        return factory(t.shape, dtype=dtype or t.dtype, device=device or t.device,
                       requires_grad=requires_grad)
    like.__name__ = factory.__name__ + "_like"
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


@_allocating
def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError(f"arange: step must be nonzero, got {step}")
    if (end - start) * step < 0:
        raise ValueError(f"arange: upper bound and lower bound inconsistent with step sign "
                         f"(start={start}, end={end}, step={step})")
    dev = backend.as_device(device)
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.get_default_dtype() if floats else backend.int64
    array = backend.xp_of(dev).arange(start, end, step, dtype=backend.float64)
    return _finish(array.astype(backend.as_dtype(dtype)), requires_grad)


@_allocating
def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"linspace: number of steps must be a non-negative integer, got "
                         f"{steps!r}")
    dev = backend.as_device(device)
    array = backend.xp_of(dev).linspace(start, end, steps).astype(_float_dtype(dtype))
    return _finish(array, requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    dev = backend.as_device(device)
    array = backend.xp_of(dev).logspace(start, end, steps, base=base)
    return _finish(array.astype(_float_dtype(dtype)), requires_grad)


@_allocating
def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    dev = backend.as_device(device)
    return _finish(backend.xp_of(dev).eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def _draw_dtype(dtype):
    # Draw float32 directly: half the work, and a float64 draw just below 1 would round up to
    # 1.0 in float32, outside rand's [0, 1). float16 is drawn in float32 and clipped.
    return dtype if dtype in (backend.float32, backend.float64) else backend.float32


@_allocating
def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    dev = backend.as_device(device)
    dtype = _float_dtype(dtype)
    array = backend.rng(dev, generator).random(_shape(size), dtype=_draw_dtype(dtype))
    if array.dtype != dtype:
        xp = backend.xp_of(dev)
        array = xp.minimum(array.astype(dtype), xp.nextafter(dtype.type(1), dtype.type(0)))
    return _finish(array, requires_grad)


@_allocating
def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    dev = backend.as_device(device)
    dtype = _float_dtype(dtype)
    array = backend.rng(dev, generator).standard_normal(_shape(size),
                                                   dtype=_draw_dtype(dtype))
    return _finish(array.astype(dtype, copy=False), requires_grad)


@_allocating
def randint(low, high=None, size=(), dtype=None, device=None, generator=None):
    """`randint(high, size)` or `randint(low, high, size)`, as in PyTorch."""
    if isinstance(high, (tuple, list)):  # randint(10, (3,)): the second argument is the size
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if not low < high:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    dev = backend.as_device(device)
    gen = backend.rng(dev, generator)
    draw = gen.integers if dev.type == "cpu" else gen.randint
    array = draw(low, high, size=_shape((size,)))
    return Tensor._make(array.astype(backend.as_dtype(dtype) or backend.int64))


@_allocating
def randperm(n, dtype=None, device=None, generator=None):
    dev = backend.as_device(device)
    return Tensor._make(backend.rng(dev, generator).permutation(n).astype(
        backend.as_dtype(dtype) or backend.int64))


def normal(mean, std, size=None, dtype=None, device=None, generator=None):
    """`normal(0.0, 1.0, (3, 4))`, or `normal(mean_tensor, std)` with the broadcast shape."""
    if size is None:
        size = backend.numpy_broadcast_shapes(*(getattr(v, "shape", ()) for v in (mean, std)))
        like = mean if isinstance(mean, Tensor) else std
        if isinstance(like, Tensor):
            dtype, device = dtype or like.dtype, device or like.device
    return randn(*_shape((size,)), dtype=dtype, device=device, generator=generator) * std + mean


rand_like = _like(rand)
randn_like = _like(randn)


def randint_like(t, low, high=None, dtype=None, device=None):
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device or t.device)


def bernoulli(input, p=None, generator=None):
    """1 with probability `input` (or `p`) per element, else 0, in input's dtype."""
    probs = input._data if p is None else p
    draw = backend.rng(input.device, generator).random(input.shape)
    return Tensor._make((draw < probs).astype(input.dtype))


def multinomial(input, num_samples, replacement=False, generator=None):
    """`num_samples` category indices per row of the (unnormalized) weights `input`.

    Shape: (C,) -> (num_samples,); (N, C) -> (N, num_samples)."""
    weights = backend.to_numpy(input._data).astype("float64")
    rows = weights.reshape(-1, weights.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {rows.shape[1]} categories")
    if (rows < 0).any() or not (rows.sum(1) > 0).all():
        raise ValueError("multinomial: weights must be non-negative with a positive sum per row")
    gen = backend.rng(backend.CPU, generator)
    out = [gen.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum())
           for r in rows]
    out = backend.asarray(out, backend.int64, input.device)
    return Tensor._make(out.reshape(weights.shape[:-1] + (num_samples,)))
