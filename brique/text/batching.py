"""Language-model batching: one long stream of ids cut into `batch_size` contiguous streams,
read in windows of `bptt` steps, so the hidden state carried from one window to the next
belongs to the text that follows (truncated backpropagation through time).

    streams = batchify(ids, 32)                       # (T, 32): column b is one stream
    for x, y in bptt_batches(streams, 64):            # x, y (64, 32); y is x one step on
        ...
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def batchify(ids, batch_size):
    """`ids` (1-D) cut into `batch_size` equal contiguous streams, the tail that does not
    fill a row dropped. Shape: (len(ids) // batch_size, batch_size), column b holding
    ids[b * T:(b + 1) * T] (PyTorch's word_language_model layout)."""
    ids = np.asarray(getattr(ids, "_data", ids))
    if ids.ndim != 1:
        raise ValueError(f"batchify: ids must be 1-D, got shape {ids.shape}")
    if batch_size < 1 or len(ids) < batch_size:
        raise ValueError(f"batchify: need 1 <= batch_size <= len(ids), got batch_size="
                         f"{batch_size} for {len(ids)} ids")
    T = len(ids) // batch_size
    return np.ascontiguousarray(ids[:T * batch_size].reshape(batch_size, T).T)


def bptt_batches(streams, bptt, batch_first=False, offset=0, as_tensor=True):
    """(x, y) windows over `streams` (T, B): x = streams[i:i + bptt], y = streams[i + 1:i +
    1 + bptt], for i = offset, offset + bptt, ...; the last window may be shorter. A random
    `offset` in [0, bptt) per epoch varies where the windows are cut.

    Shape: x, y (bptt, B), or (B, bptt) with batch_first; int64 Tensors (NumPy arrays with
    as_tensor=False).
    """
    streams = np.asarray(streams)
    if streams.ndim != 2:
        raise ValueError(f"bptt_batches: streams must be (T, B), got shape {streams.shape}")
    if bptt < 1:
        raise ValueError(f"bptt_batches: bptt must be >= 1, got {bptt}")
    T = streams.shape[0]
    for i in range(offset, T - 1, bptt):
        n = min(bptt, T - 1 - i)
        x, y = streams[i:i + n], streams[i + 1:i + 1 + n]
        if batch_first:
            x, y = x.T, y.T
        x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
        yield (Tensor._make(x), Tensor._make(y)) if as_tensor else (x, y)


def num_windows(streams, bptt, offset=0):
    """How many windows bptt_batches yields."""
    T = np.asarray(streams).shape[0]
    return max(0, -(-(T - 1 - offset) // bptt))


def random_windows(ids, n, length, rng):
    """`n` windows of `length + 1` ids drawn at random starts from the 1-D stream `ids`
    (for stateless training): returns (x, y) int64 NumPy arrays (n, length)."""
    ids = np.asarray(ids)
    if len(ids) <= length + 1:
        raise ValueError(f"random_windows: stream of {len(ids)} ids is too short for windows "
                         f"of {length}")
    starts = rng.integers(0, len(ids) - length - 1, size=n)
    rows = ids[starts[:, None] + np.arange(length + 1)]
    return rows[:, :-1], rows[:, 1:]
