"""Spare column buffers: the conv's biggest temporaries, kept between training steps.

glibc serves blocks above its largest mmap threshold (32 MB, the most `_malloc` can raise it
to) by mapping fresh memory, which the kernel faults in and zeroes on first touch, and unmaps
them when freed. A conv's im2col columns are 9x its input for a 3x3 kernel: at batch 128,
ResNet-20's first two stages need 75 MB and 38 MB per conv, allocated again every step.
Measured: 50,000 page faults and 0.4 s of system time per ResNet-20 step of ~1 s.

So columns of at least MIN_BYTES are given back here when their conv is done with them and
taken by the next im2col of the same shape: the step after the first runs on memory already
mapped (what PyTorch's CPU allocator does for its own buffers). At most MAX_BYTES are kept
idle; CuPy arrays never come here (CuPy pools GPU memory itself).
"""
from __future__ import annotations

import math
import threading

from .. import backend

MIN_BYTES = 32 << 20
MAX_BYTES = 2 << 30

_lock = threading.Lock()
_spare = {}          # (shape, dtype) -> [arrays]


def empty(xp, shape, dtype):
    """xp.empty(shape, dtype), or a spare NumPy array of that shape if there is one."""
    dtype = backend.as_dtype(dtype)
    if xp is not backend.numpy or math.prod(shape) * dtype.itemsize < MIN_BYTES:
        return xp.empty(shape, dtype=dtype)
    with _lock:
        stack = _spare.get((tuple(shape), dtype))
        if stack:
            return stack.pop()
    return xp.empty(shape, dtype=dtype)


def held():
    """Bytes kept idle here."""
    with _lock:
        return _held()


def _held():
    return sum(a.nbytes for stack in _spare.values() for a in stack)


def give(array):
    """Keep `array` for a later `empty` of its shape. The caller promises that nothing else
    refers to it any more; small arrays, CuPy arrays and views are simply dropped."""
    if (type(array) is not backend.ndarray or array.nbytes < MIN_BYTES or array.base is not None
            or not array.flags.c_contiguous):
        return
    with _lock:
        if _held() + array.nbytes <= MAX_BYTES:
            _spare.setdefault((array.shape, array.dtype), []).append(array)


def clear():
    """Drop every spare buffer (their memory goes back to the OS)."""
    with _lock:
        _spare.clear()
