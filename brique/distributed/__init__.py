"""`brique.distributed`: process groups and collectives with PyTorch's names, on MPI.

    import brique.distributed as dist
    dist.init_process_group("mpi")          # "gloo" means the same engine here
    dist.all_reduce(t, op=dist.ReduceOp.SUM)

Run the program under `mpiexec -n 4 python train.py` (the `mpich` wheel brings `mpiexec`;
`pip install 'brique[distributed]'`). Collectives work on tensors in place, on NumPy buffers
(no pickling); CUDA tensors are staged through host memory.
"""
from __future__ import annotations

from .group import (ProcessGroup, ReduceOp, Work, all_gather, all_gather_object, all_reduce,
                    barrier, broadcast, broadcast_object_list, destroy_process_group,
                    get_backend, get_rank, get_world_size, init_process_group, is_available,
                    is_initialized, is_mpi_available, is_nccl_available, reduce_scatter)
from .functional import all_reduce_differentiable

__all__ = ["ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_object", "all_reduce",
           "all_reduce_differentiable", "barrier", "broadcast", "broadcast_object_list",
           "destroy_process_group", "get_backend", "get_rank", "get_world_size",
           "init_process_group", "is_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "reduce_scatter"]
