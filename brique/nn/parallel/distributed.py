"""DistributedDataParallel: one model per process, gradients averaged across processes.

Each rank runs forward and backward on its own share of the batch; a `distributed.Reducer`
sums buckets of gradients over the ranks while backward goes on (see reducer.py), so every rank
then takes the same optimizer step.
"""
from __future__ import annotations

import contextlib

from ... import distributed
from ...autograd import no_grad
from ...distributed.reducer import Reducer
from ..modules.module import Module


def _describe(entry):
    name, shape, dtype = entry
    return f"parameter {name!r} of shape {shape} ({dtype})"


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training (PyTorch's `nn.parallel.
    DistributedDataParallel`). At construction rank 0's parameters and buffers are copied to every
    rank, after checking that all ranks hold parameters of the same names and shapes.

    `state_dict()` keys carry the `module.` prefix; `ddp.module.state_dict()` does not. Inside
    `with ddp.no_sync():` gradients only accumulate locally (the next synchronised backward
    reduces the sum). Buffers (batch-norm running statistics) are broadcast from rank 0 before
    each forward when `broadcast_buffers`; use `nn.SyncBatchNorm` for synchronised batch
    statistics.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=25,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got "
                            f"{type(module).__name__}")
        self.module = module
        self.process_group = distributed.group._group(process_group)
        self.broadcast_buffers = broadcast_buffers
        self._check_same_parameters()
        self._broadcast_state()
        self.reducer = Reducer([p for p in module.parameters() if p.requires_grad],
                               self.process_group, bucket_cap_mb * 2**20)

    # ------------------------------------------------------------------ construction
    def _check_same_parameters(self):
        mine = [(name, tuple(p.shape), str(p.dtype))
                for name, p in self.module.named_parameters()]
        everyone = self.process_group.allgather_object(mine)
        for rank, theirs in enumerate(everyone):
            if theirs != mine:
                diff = next((tuple(map(_describe, pair)) for pair in zip(mine, theirs)
                             if pair[0] != pair[1]),
                            (f"{len(mine)} parameters", f"{len(theirs)} parameters"))
                raise RuntimeError(f"DistributedDataParallel: rank {self.process_group.rank} "
                                   f"has {diff[0]} where rank {rank} has {diff[1]}; every rank "
                                   "must build the same model")

    def _broadcast_state(self):
        with no_grad():
            for t in list(self.module.parameters()) + list(self.module.buffers()):
                distributed.broadcast(t, 0, self.process_group)

    # ------------------------------------------------------------------ forward and backward
    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.process_group.size > 1:
            with no_grad():
                for b in self.module.buffers():
                    distributed.broadcast(b, 0, self.process_group)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside this block accumulate gradients without communicating."""
        before, self.reducer.enabled = self.reducer.enabled, False
        try:
            yield
        finally:
            self.reducer.enabled = before

    def __del__(self):
        # The hooks live on the parameters: a dropped wrapper must not keep reducing.
        reducer = self.__dict__.get("reducer")
        if reducer is not None:
            reducer.remove()

    @property
    def require_backward_grad_sync(self):
        return self.reducer.enabled
