"""glibc allocator tuning for training loops, applied on the first backward() or the first conv
that runs on every core (never at import: importing brique changes nothing process-wide). Set
BRIQUE_MALLOPT=0 to leave malloc alone.

A training step frees and reallocates the same megabyte-sized arrays every step. glibc hands
blocks above 128 KB back to the OS when freed and page-faults them in again on the next step:
thousands of faults per step, 20-40% of a step's time. Serving them from a heap that is not
trimmed keeps them mapped, as PyTorch's CPU allocator does.
"""
from __future__ import annotations

import ctypes
import os
import sys

done = False


def keep_freed_memory():
    """Raise glibc's mmap and trim thresholds, once per process; a no-op off glibc, or when
    the environment says BRIQUE_MALLOPT=0."""
    global done
    if done:
        return
    done = True
    if os.environ.get("BRIQUE_MALLOPT", "1") == "0" or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)   # M_MMAP_THRESHOLD: blocks under 32 MB come from the heap
        # M_TRIM_THRESHOLD: keep up to 2 GB of freed heap (the most a C int says). A step's
        # conv columns are freed at its end and allocated again by the next one: ResNet-20 on
        # 128 images frees 1.1 GB of them, and trimming at 256 MB cost 238,000 page faults
        # per step (a 360 ms step took 800 ms).
        libc.mallopt(-1, (1 << 31) - 1)
        # M_ARENA_MAX: one heap for all threads. A conv's chunks run on worker threads
        # (ops/_threads.py); each would otherwise get an arena of its own, whose freed memory
        # glibc returns to the OS regardless of the trim threshold (78,000 page faults per
        # ResNet-20 step).
        libc.mallopt(-8, 1)
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        pass
