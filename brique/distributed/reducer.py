"""The gradient reducer behind DistributedDataParallel: buckets of gradients, each summed over
the ranks through one flat host buffer as soon as its last gradient is accumulated.

Buckets hold the parameters last-layer first (backward reaches them first) and start in index
order on every rank, since MPI needs the same order of collectives everywhere. When backward
ends, the reducer starts what is left (a parameter unused this step counts as zeros), waits,
divides by the number of ranks and writes the averages into `.grad`.
"""
from __future__ import annotations

import numpy as np

from .. import autograd, backend


class _Bucket:
    def __init__(self, params):
        self.params, self.offsets, n = params, [], 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.buffer = np.zeros(n, dtype=params[0].dtype)
        self.ready, self.wait = set(), None

    def load(self, i):
        p, start = self.params[i], self.offsets[i]
        view = self.buffer[start:start + p.numel()]
        view[...] = 0 if p.grad is None else backend.to_numpy(p.grad._data).reshape(-1)
        self.ready.add(i)

    def unload(self, n):
        self.wait()
        self.buffer /= n
        for p, start in zip(self.params, self.offsets):
            avg = backend.to_device(self.buffer[start:start + p.numel()].reshape(p.shape),
                                    p.device)
            if p.grad is None:
                p.grad = type(p)._make(avg.copy())
            else:
                p.grad._data[...] = avg
        self.ready.clear()
        self.wait = None


class Reducer:
    """Averages the gradients of `params` over `group` during each synchronised backward."""

    def __init__(self, params, group, bucket_cap_bytes):
        self.group, self.enabled = group, True
        self.buckets, current, size = [], [], 0
        for p in reversed(params):
            if current and (size + p.nbytes > bucket_cap_bytes or p.dtype != current[0].dtype):
                self.buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += p.nbytes
        if current:
            self.buckets.append(_Bucket(current))
        self.where = {id(p): (b, i) for b, bucket in enumerate(self.buckets)
                      for i, p in enumerate(bucket.params)}
        self.next, self.pending = 0, False
        self.handles = [p.register_post_accumulate_grad_hook(self.grad_ready) for p in params]

    def grad_ready(self, p):
        if not self.enabled:
            return
        if not self.pending:
            self.pending = True
            autograd.queue_callback(self.finish)
        b, i = self.where[id(p)]
        self.buckets[b].load(i)
        while (self.next < len(self.buckets)
               and len(self.buckets[self.next].ready) == len(self.buckets[self.next].params)):
            self.start(self.buckets[self.next])

    def start(self, bucket):
        bucket.wait = self.group.iallreduce(bucket.buffer)
        self.next += 1

    def finish(self):
        for bucket in self.buckets[self.next:]:
            for i in range(len(bucket.params)):
                if i not in bucket.ready:
                    bucket.load(i)
            self.start(bucket)
        for bucket in self.buckets:
            bucket.unload(self.group.size)
        self.next, self.pending = 0, False

    def remove(self):
        for h in self.handles:
            h.remove()
