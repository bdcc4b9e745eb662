"""Which k entries PyTorch's CPU `torch.topk` picks when values tie at the k-th place.

Pruning zeroes the entries `topk` returns, so a mask depends on the choice among ties (a bias
initialised to zeros, integer-valued weights, channels with equal norms). PyTorch's CPU kernel
(aten TopKImpl.h) fills a queue of (value, index) pairs and runs libstdc++'s `std::partial_sort`
when k * 64 <= n, `std::nth_element` otherwise; neither is stable. Without a tie at the
boundary the chosen set is unique and NumPy-style vectorized code finds it; with one, the
libstdc++ algorithms are replayed step for step on host lists (introselect, heap select and
insertion sort, as in bits/stl_algo.h and bits/stl_heap.h), comparing values only.
"""
from __future__ import annotations

from ... import backend


def topk_indices(values, k, largest):
    """The sorted positions of the k entries `torch.topk(values.view(-1), k, largest)` returns
    on the CPU, as a host list. `values` is a 1-D array of the backend; NaN counts as the
    largest value, as in PyTorch."""
    xp = backend.get_array_module(values)
    n = int(values.shape[0])
    if k == 0:
        return []
    keys = _ranks(xp, values)
    if largest:
        keys = -keys
    kth = xp.partition(keys, k - 1)[k - 1]
    below, at = keys < kth, keys == kth
    if int(below.sum()) + int(at.sum()) == k:  # no tie straddles the boundary
        return xp.nonzero(below | at)[0].tolist()
    queue = list(zip(keys.tolist(), range(n)))
    if k * 64 <= n:
        _heap_select(queue, 0, k, n)
    else:
        _nth_element(queue, k - 1)
    return sorted(i for _, i in queue[:k])


def _ranks(xp, values):
    """Integer keys with the comparator's order: equal values (0.0 and -0.0, NaN and NaN)
    share a key, NaN above every number."""
    nan = xp.isnan(values) if values.dtype.kind == "f" else xp.zeros(values.shape, bool)
    distinct, inverse = xp.unique(values[~nan], return_inverse=True)
    keys = xp.empty(values.shape, dtype=backend.int64)
    keys[~nan] = inverse.reshape(-1)
    keys[nan] = len(distinct)
    return keys


# ----------------------------------------------------------------- libstdc++, replayed
def _adjust_heap(q, base, hole, length, value):
    """std::__adjust_heap on q[base:base + length] (a max-heap by key)."""
    top = second = hole
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if q[base + second][0] < q[base + second - 1][0]:
            second -= 1
        q[base + hole] = q[base + second]
        hole = second
    if length & 1 == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        q[base + hole] = q[base + second - 1]
        hole = second - 1
    parent = (hole - 1) // 2
    while hole > top and q[base + parent][0] < value[0]:
        q[base + hole] = q[base + parent]
        hole = parent
        parent = (hole - 1) // 2
    q[base + hole] = value


def _heap_select(q, first, middle, last):
    """std::__heap_select: after it, q[first:middle] holds the middle - first smallest."""
    length = middle - first
    if length >= 2:
        parent = (length - 2) // 2
        while True:
            _adjust_heap(q, first, parent, length, q[first + parent])
            if parent == 0:
                break
            parent -= 1
    for i in range(middle, last):
        if q[i][0] < q[first][0]:
            value, q[i] = q[i], q[first]
            _adjust_heap(q, first, 0, length, value)


def _median_to_first(q, result, a, b, c):
    ka, kb, kc = q[a][0], q[b][0], q[c][0]
    if ka < kb:
        pick = b if kb < kc else (c if ka < kc else a)
    elif ka < kc:
        pick = a
    else:
        pick = c if kb < kc else b
    q[result], q[pick] = q[pick], q[result]


def _unguarded_partition(q, first, last, pivot):
    p = q[pivot][0]
    while True:
        while q[first][0] < p:
            first += 1
        last -= 1
        while p < q[last][0]:
            last -= 1
        if not first < last:
            return first
        q[first], q[last] = q[last], q[first]
        first += 1


def _insertion_sort(q, first, last):
    for i in range(first + 1, last):
        value = q[i]
        if value[0] < q[first][0]:
            q[first + 1:i + 1] = q[first:i]
            q[first] = value
        else:
            j = i
            while value[0] < q[j - 1][0]:
                q[j] = q[j - 1]
                j -= 1
            q[j] = value


def _nth_element(q, nth):
    """std::nth_element (introselect with a depth limit of 2 * floor(log2 n))."""
    first, last = 0, len(q)
    depth = 2 * (last.bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(q, first, nth + 1, last)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        _median_to_first(q, first, first + 1, first + (last - first) // 2, last - 1)
        cut = _unguarded_partition(q, first + 1, last, first)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(q, first, last)
